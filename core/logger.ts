/**
 * One logger factory for every component: pino to stderr (stdout belongs to the CLI's output), as
 * JSON lines for machines or as human lines (pino-pretty: time, level, message, then the fields on
 * the same line), with secrets redacted wherever they appear in structured fields — redaction runs
 * before either format.
 */
import { isatty } from "node:tty";
import { pino } from "pino";
import type { DestinationStream, Logger as PinoLogger } from "pino";
import pinoPretty from "pino-pretty";

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
  /** JSON lines (default) or human lines. */
  format?: LogFormat;
  /** Human lines: ANSI colours. Default: FORCE_COLOR, else NO_COLOR, else whether `fd` is a terminal. */
  color?: boolean;
}

/** How log lines are written: `json` (one JSON object a line) or `human` (one readable line). */
export const LogFormat = { Json: "json", Human: "human" } as const;
export type LogFormat = (typeof LogFormat)[keyof typeof LogFormat];

export const LOG_FORMATS: readonly LogFormat[] = [LogFormat.Human, LogFormat.Json];

export function createLogger(options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 2;
  return pino(
    {
      level: options.level ?? process.env["ASSAY_LOG_LEVEL"] ?? "warn",
      ...(options.name === undefined ? {} : { name: options.name }),
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
    },
    options.format === LogFormat.Human ? humanDestination(fd, options.color ?? colourLogs(fd)) : pino.destination({ fd, sync: true }),
  );
}

/**
 * `15:40:01 WARN (assay): retrying ... attempt=2 waitMs=500`: synchronous (a line is never lost
 * at exit), coloured only on a terminal that allows colour (NO_COLOR, FORCE_COLOR respected).
 */
function humanDestination(fd: number, color: boolean): DestinationStream {
  return pinoPretty({
    destination: fd,
    sync: true,
    colorize: color,
    translateTime: "SYS:HH:MM:ss",
    // The task fields are 0-based indexes for machines; human messages name "task N" as the report numbers it.
    ignore: "pid,hostname,task,taskName",
    singleLine: true,
    errorLikeObjectKeys: ["err", "error"],
  });
}

function colourLogs(fd: number): boolean {
  const force = process.env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  const noColor = process.env["NO_COLOR"];
  if (noColor !== undefined && noColor !== "") return false;
  return isatty(fd) && process.env["TERM"] !== "dumb";
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
