/**
 * One logger factory for every component: pino, JSON to stderr (stdout belongs to the CLI's
 * output), with secrets redacted wherever they appear in structured fields.
 */
import { pino } from "pino";
import type { Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;

/** Field paths whose values are never logged. */
export const REDACTED_PATHS: readonly string[] = [
  "token",
  "password",
  "secret",
  "authorization",
  "headers.authorization",
  "headers.Authorization",
  "*.token",
  "*.password",
  "*.secret",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "*.webhookUrl",
  "webhookUrl",
];

export interface LoggerOptions {
  /** pino level; default from ASSAY_LOG_LEVEL, else "warn" (the CLI is quiet by default). */
  level?: string;
  /** Component name, e.g. "coordinator", "agent". */
  name?: string;
  /** Destination file descriptor; default 2 (stderr). */
  fd?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env["ASSAY_LOG_LEVEL"] ?? "warn",
      ...(options.name === undefined ? {} : { name: options.name }),
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
    },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
