/**
 * Parsing a submitted experiment off the service's event loop. The parse (YAML, `--set`
 * overrides, validation, every template compiled and every `if:` parsed) runs in a worker thread
 * with a time budget and a heap cap: a document that is expensive though within the parse limits
 * (core/experiment/limits.ts) costs the service that thread for at most `timeoutMs`, never its
 * heartbeats, other runs or API. Past the budget the worker is terminated (a fresh one serves the
 * next parse) and the submit fails with EXPERIMENT_TOO_LARGE naming the limit.
 *
 * One warm worker serves parses one at a time (loading the parser costs a second or more on a busy
 * machine, paid once); the budget starts when the worker takes the document.
 */
import { Worker } from "node:worker_threads";
import {
  CancelledError,
  ConfigurationError,
  ErrorCode,
  ErrorKind,
  ExperimentValidationError,
  InternalError,
  TargetError,
  TransportError,
  ValidationError,
  isErrorCode,
} from "../../core/index.js";
import type { Experiment ,
  AssayError} from "../../core/index.js";
import type { ParseRequest, SerializedError, WorkerMessage, WorkerRequest } from "./worker.js";

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

/** The worker entry next to this file: worker.ts under a TypeScript loader (tests), worker.js in dist/. */
function spawnWorker(maxHeapMb: number): Worker {
  const typescript = import.meta.url.endsWith(".ts");
  const entry = new URL(typescript ? "./worker.ts" : "./worker.js", import.meta.url);
  const resourceLimits = { maxOldGenerationSizeMb: maxHeapMb };
  if (!typescript) return new Worker(entry, { resourceLimits });
  // Loader hooks given with --import (how tsx runs) do not reach worker threads on Node 20.
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, resourceLimits });
}

interface Job {
  readonly request: ParseRequest;
  readonly resolve: (experiment: Experiment) => void;
  readonly reject: (error: unknown) => void;
}

/** A warm parser thread, replaced when a parse overruns its budget or the thread dies. */
export class IsolatedParser {
  private readonly limits: IsolatedParseLimits;
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly queue: Job[] = [];
  private busy = false;
  private nextId = 1;
  private closed = false;

  constructor(limits: Partial<IsolatedParseLimits> = {}) {
    this.limits = { ...DEFAULT_ISOLATED_PARSE_LIMITS, ...limits };
  }

  /** Parses like parseExperimentText, in the worker thread, within the limits. */
  parse(text: string, source: string, options: { readonly overrides: readonly string[]; readonly baseDir: string; readonly readableFiles?: readonly string[] | undefined }): Promise<Experiment> {
    if (this.closed) return Promise.reject(new InternalError(ErrorCode.Invariant, "the isolated parser is closed"));
    return new Promise<Experiment>((resolve, reject) => {
      this.queue.push({ request: { text, source, overrides: [...options.overrides], baseDir: options.baseDir, ...(options.readableFiles ? { readableFiles: [...options.readableFiles] } : {}) }, resolve, reject });
      this.pump();
    });
  }

  /** Terminates the worker; queued parses fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new InternalError(ErrorCode.Invariant, "the isolated parser was closed"));
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker) await worker.terminate();
  }

  private pump(): void {
    if (this.busy || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    void this.run(job).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  private async run(job: Job): Promise<void> {
    let worker: Worker;
    try {
      worker = await this.warmWorker();
    } catch (error) {
      job.reject(error);
      return;
    }
    worker.ref();
    const id = this.nextId++;
    const { source } = job.request;
    await new Promise<void>((done) => {
      const finish = (outcome: () => void, discard: boolean): void => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        if (discard) this.discard(worker);
        else worker.unref();
        outcome();
        done();
      };
      const onMessage = (message: WorkerMessage): void => {
        if (message.type !== "parsed" || message.id !== id) return;
        const { response } = message;
        finish(() => (response.ok ? job.resolve(response.experiment) : job.reject(rebuildError(response.error))), false);
      };
      const onError = (error: Error): void => finish(() => job.reject(workerFailure(source, error, this.limits.maxHeapMb)), true);
      const onExit = (code: number): void =>
        finish(() => job.reject(new InternalError(ErrorCode.Invariant, `${source}: the parser's worker thread exited (code ${code}) without an answer`)), true);
      const timer = setTimeout(() => finish(() => job.reject(overBudget(source, this.limits.timeoutMs)), true), this.limits.timeoutMs);
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      const message: WorkerRequest = { id, request: job.request };
      worker.postMessage(message);
    });
  }

  /** The worker, loaded and ready; spawned when there is none. */
  private warmWorker(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = spawnWorker(this.limits.maxHeapMb);
      this.worker = worker;
      const fail = (error: Error): void => {
        clearTimeout(timer);
        this.discard(worker);
        reject(new InternalError(ErrorCode.Invariant, `the parser's worker thread did not start: ${error.message}`, { cause: error }));
      };
      const timer = setTimeout(() => fail(new Error(`not ready within ${this.limits.startTimeoutMs} ms`)), this.limits.startTimeoutMs);
      worker.once("error", fail);
      worker.once("exit", (code) => fail(new Error(`exited with code ${code}`)));
      worker.once("message", (message: WorkerMessage) => {
        if (message.type !== "ready") return;
        clearTimeout(timer);
        worker.removeAllListeners("error");
        worker.removeAllListeners("exit");
        // Idle, it may still die (never unhandled): the next parse gets a fresh one.
        worker.on("error", () => this.discard(worker));
        worker.on("exit", () => this.discard(worker));
        worker.unref();
        resolve(worker);
      });
    });
    return this.ready;
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) {
      this.worker = undefined;
      this.ready = undefined;
    }
    void worker.terminate();
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

/** The worker's error as the class the parser threw (the same message, code, field and location). */
function rebuildError(error: SerializedError): AssayError {
  if (error.problems !== undefined && error.problems.length > 0) return new ExperimentValidationError(error.problems);
  const code = isErrorCode(error.code) ? error.code : ErrorCode.Invariant;
  const options = {
    ...(error.field === undefined ? {} : { field: error.field }),
    ...(error.location === undefined ? {} : { location: error.location }),
    ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
  };
  switch (error.kind) {
    case ErrorKind.Validation:
      return new ValidationError(code, error.message, options);
    case ErrorKind.Configuration:
      return new ConfigurationError(code, error.message, options);
    case ErrorKind.Transport:
      return new TransportError(code, error.message, options);
    case ErrorKind.Target:
      return new TargetError(code, error.message, options);
    case ErrorKind.Cancelled:
      return new CancelledError(code, error.message, options);
    default:
      return new InternalError(code, error.message, options);
  }
}
