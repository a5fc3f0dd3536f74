/**
 * The CLI's streams. Output is written through here so commands can be tested with fake streams
 * and so the process never exits before stdout is flushed.
 */
import { ValidationError, ErrorCode } from "../core/index.js";

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Writes and resolves once the chunk is flushed (large JSON to a pipe must not be cut). */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

export const OutputFormat = { Text: "text", Json: "json", Html: "html" } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

export function parseOutputFormat(value: string | undefined, allowed: readonly OutputFormat[], flag = "--output"): OutputFormat {
  const format = (value ?? "text") as OutputFormat;
  if (!allowed.includes(format)) {
    throw new ValidationError(ErrorCode.BadFlag, `${flag}: "${value}" is not one of ${allowed.join(", ")}`, { field: flag });
  }
  return format;
}
