/**
 * Parsing a submitted experiment off the service's event loop. The parse (YAML, `--set`
 * overrides, validation, every template compiled and every `if:` parsed) runs in a worker thread
 * (thread.ts) with a time budget and a heap cap: a document that is expensive though within the
 * parse limits (core/experiment/limits.ts) costs the service that thread for at most `timeoutMs`,
 * never its heartbeats, other runs or API. Past the budget the worker is terminated (a fresh one
 * serves the next parse) and the submit fails with EXPERIMENT_TOO_LARGE naming the limit.
 */
import { ErrorCode, InternalError, ValidationError } from "../../core/index.js";
import type { AssayError, Experiment } from "../../core/index.js";
import { IsolationThread } from "./thread.js";

/** Budgets of one isolated parse. */
export interface IsolatedParseLimits {
  /** Wall time of one parse once the worker has it (default 5000 ms). */
  readonly timeoutMs: number;
  /** Heap of the worker (default 512 MiB). */
  readonly maxHeapMb: number;
  /** How long a new worker may take to load (default 60000 ms). */
  readonly startTimeoutMs: number;
}

export const DEFAULT_ISOLATED_PARSE_LIMITS: IsolatedParseLimits = { timeoutMs: 5000, maxHeapMb: 512, startTimeoutMs: 60_000 };

/** A warm parser thread, replaced when a parse overruns its budget or the thread dies. */
export class IsolatedParser {
  private readonly limits: IsolatedParseLimits;
  private readonly thread: IsolationThread;

  constructor(limits: Partial<IsolatedParseLimits> = {}) {
    this.limits = { ...DEFAULT_ISOLATED_PARSE_LIMITS, ...limits };
    this.thread = new IsolationThread("the parser's worker thread", this.limits);
  }

  /** Parses like parseExperimentText, in the worker thread, within the limits. */
  async parse(text: string, source: string, options: { readonly overrides: readonly string[]; readonly baseDir: string; readonly readableFiles?: readonly string[] | undefined }): Promise<Experiment> {
    const request = { text, source, overrides: [...options.overrides], baseDir: options.baseDir, ...(options.readableFiles ? { readableFiles: [...options.readableFiles] } : {}) };
    const { timeoutMs, maxHeapMb } = this.limits;
    return (await this.thread.run(
      { kind: "parse", request },
      { timeoutMs, overBudget: () => overBudget(source, timeoutMs), failure: (error) => workerFailure(source, error, maxHeapMb) },
    )) as Experiment;
  }

  /** Terminates the worker; queued parses fail. */
  close(): Promise<void> {
    return this.thread.close();
  }
}

function overBudget(source: string, timeoutMs: number): ValidationError {
  return new ValidationError(ErrorCode.TooLarge, `${source}: reading the experiment took longer than ${timeoutMs} ms (the service's parse time limit); refused`, {
    location: { file: source, line: 1, column: 1 },
    suggestion: "make the document smaller or simpler (fewer fields, headers or template actions)",
  });
}

function workerFailure(source: string, error: Error, maxHeapMb: number): AssayError {
  if (/memory|heap/i.test(error.message)) {
    return new ValidationError(ErrorCode.TooLarge, `${source}: reading the experiment needed more than ${maxHeapMb} MiB (the service's parse memory limit); refused`, {
      location: { file: source, line: 1, column: 1 },
    });
  }
  return new InternalError(ErrorCode.Invariant, `${source}: the parser's worker thread failed: ${error.message}`, { cause: error });
}
