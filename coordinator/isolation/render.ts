/**
 * Run-time templates of the service's experiments (notify, slack, github and cloudevent payloads,
 * k8s-patch patches, custommetrics queries and provider templates) rendered off the service's
 * event loop: jobs run one at a time in a worker thread (thread.ts). Each job keeps its own
 * template budget (steps, output, time: TemplateLimits, checked by the engine as it runs); the
 * thread is the backstop for what the engine cannot interrupt — a job not answered within its
 * time limit plus `graceMs`, or one that exhausts the thread's heap, terminates the thread and
 * fails with TEMPLATE_BUDGET_EXCEEDED. Either way the service's heartbeats, other runs and API go
 * on while the template runs.
 */
import { DEFAULT_TEMPLATE_LIMITS, ErrorCode, ValidationError } from "../../core/index.js";
import type { TemplateExecutor, TemplateJob } from "../tasks/types.js";
import { IsolationThread } from "./thread.js";

export interface IsolatedTemplateLimits {
  /** How long past a job's own time limit the thread is given before it is terminated (default 1000 ms). */
  readonly graceMs: number;
  /** Heap of the worker (default 512 MiB). */
  readonly maxHeapMb: number;
  /** How long a new worker may take to load (default 60000 ms). */
  readonly startTimeoutMs: number;
}

export const DEFAULT_ISOLATED_TEMPLATE_LIMITS: IsolatedTemplateLimits = { graceMs: 1000, maxHeapMb: 512, startTimeoutMs: 60_000 };

/** A TemplateExecutor whose jobs run in a worker thread. */
export class IsolatedTemplates implements TemplateExecutor {
  private readonly limits: IsolatedTemplateLimits;
  private readonly thread: IsolationThread;

  constructor(limits: Partial<IsolatedTemplateLimits> = {}) {
    this.limits = { ...DEFAULT_ISOLATED_TEMPLATE_LIMITS, ...limits };
    this.thread = new IsolationThread("the template worker thread", this.limits);
  }

  async render(job: TemplateJob): Promise<string> {
    const templateMs = job.limits?.timeoutMs ?? DEFAULT_TEMPLATE_LIMITS.timeoutMs;
    const timeoutMs = templateMs + this.limits.graceMs;
    const value = await this.thread.run(
      { kind: "render", job },
      {
        timeoutMs,
        overBudget: () => budgetError(job.name, `it ran longer than ${templateMs} ms (its time limit) and was stopped after ${timeoutMs} ms`),
        failure: (error) =>
          budgetError(job.name, /memory|heap/i.test(error.message) ? `it needed more than ${this.limits.maxHeapMb} MiB (the service's template memory limit)` : `its worker thread failed: ${error.message}`),
      },
    );
    return value as string;
  }

  /** Terminates the worker; queued jobs fail. */
  close(): Promise<void> {
    return this.thread.close();
  }
}

function budgetError(name: string, why: string): ValidationError {
  return new ValidationError(ErrorCode.TemplateBudgetExceeded, `template ${name}: ${why}`, { location: { file: name, line: 1, column: 1 } });
}
