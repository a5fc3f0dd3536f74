/**
 * The CLI's streams. Output is written through here so commands can be tested with fake streams
 * and so the process never exits before stdout is flushed; and the one place that decides whether
 * output is coloured.
 */
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

/**
 * Whether to colour what goes to `stream`, decided here only. Precedence: `--no-color` (off), then
 * FORCE_COLOR (on, unless "0" or "false"), then NO_COLOR (off when set and not empty), then on when
 * `stream` is a terminal that is not TERM=dumb.
 */
export function resolveColor(options: { noColorFlag: boolean; env: NodeJS.ProcessEnv; stream: { isTTY?: boolean } }): boolean {
  if (options.noColorFlag) return false;
  const force = options.env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  const noColor = options.env["NO_COLOR"];
  if (noColor !== undefined && noColor !== "") return false;
  return options.stream.isTTY === true && options.env["TERM"] !== "dumb";
}

/** `iter8`: Iter8's experiment result (`assay report -o iter8`). */
export const OutputFormat = { Text: "text", Json: "json", Html: "html", Iter8: "iter8" } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];
