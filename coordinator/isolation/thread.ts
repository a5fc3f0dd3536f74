/**
 * One warm worker thread that runs isolated jobs (worker.ts) one at a time, each within a wall-time
 * budget, under a heap cap. A job past its budget terminates the thread (a fresh one serves the
 * next job) and fails with the caller's over-budget error; a thread that dies fails its job. Loading
 * the worker costs a second or more on a busy machine, paid once; a job's budget starts when the
 * thread takes it.
 */
import { Worker } from "node:worker_threads";
import { ErrorCode, InternalError } from "../../core/index.js";
import type { AssayError } from "../../core/index.js";
import { rebuildError } from "./errors.js";
import type { IsolatedJob, WorkerMessage, WorkerRequest } from "./worker.js";

export interface ThreadLimits {
  /** Heap of the worker, MiB. */
  readonly maxHeapMb: number;
  /** How long a new worker may take to load, ms. */
  readonly startTimeoutMs: number;
}

/** How one job is bounded, and what its caller sees when it is not answered. */
export interface JobBudget {
  readonly timeoutMs: number;
  readonly overBudget: () => AssayError;
  /** The error of a thread that failed (e.g. out of heap) while running the job. */
  readonly failure: (error: Error) => AssayError;
}

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

interface Queued {
  readonly job: IsolatedJob;
  readonly budget: JobBudget;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class IsolationThread {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly queue: Queued[] = [];
  private busy = false;
  private nextId = 1;
  private closed = false;

  /** `label` names the thread in errors ("the parser's worker thread"). */
  constructor(
    private readonly label: string,
    private readonly limits: ThreadLimits,
  ) {}

  /** Runs `job` in the thread within `budget`; resolves to the job's value or rejects with its error. */
  run(job: IsolatedJob, budget: JobBudget): Promise<unknown> {
    if (this.closed) return Promise.reject(new InternalError(ErrorCode.Invariant, `${this.label} is closed`));
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push({ job, budget, resolve, reject });
      this.pump();
    });
  }

  /** Terminates the worker; queued jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const queued of this.queue.splice(0)) queued.reject(new InternalError(ErrorCode.Invariant, `${this.label} was closed`));
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker) await worker.terminate();
  }

  private pump(): void {
    if (this.busy || this.closed) return;
    const queued = this.queue.shift();
    if (!queued) return;
    this.busy = true;
    void this.execute(queued).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  private async execute(queued: Queued): Promise<void> {
    let worker: Worker;
    try {
      worker = await this.warmWorker();
    } catch (error) {
      queued.reject(error);
      return;
    }
    worker.ref();
    const id = this.nextId++;
    const { budget } = queued;
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
        if (message.type !== "done" || message.id !== id) return;
        const { response } = message;
        finish(() => (response.ok ? queued.resolve(response.value) : queued.reject(rebuildError(response.error))), false);
      };
      const onError = (error: Error): void => finish(() => queued.reject(budget.failure(error)), true);
      const onExit = (code: number): void =>
        finish(() => queued.reject(new InternalError(ErrorCode.Invariant, `${this.label} exited (code ${code}) without an answer`)), true);
      const timer = setTimeout(() => finish(() => queued.reject(budget.overBudget()), true), budget.timeoutMs);
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
      const message: WorkerRequest = { id, job: queued.job };
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
        reject(new InternalError(ErrorCode.Invariant, `${this.label} did not start: ${error.message}`, { cause: error }));
      };
      const timer = setTimeout(() => fail(new Error(`not ready within ${this.limits.startTimeoutMs} ms`)), this.limits.startTimeoutMs);
      worker.once("error", fail);
      worker.once("exit", (code) => fail(new Error(`exited with code ${code}`)));
      worker.once("message", (message: WorkerMessage) => {
        if (message.type !== "ready") return;
        clearTimeout(timer);
        worker.removeAllListeners("error");
        worker.removeAllListeners("exit");
        // Idle, it may still die (never unhandled): the next job gets a fresh one.
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
