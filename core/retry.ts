/**
 * The one way Assay retries: an operation is attempted until it succeeds, a failure is final, the
 * attempts or the deadline are used up, or the signal aborts. Between attempts it waits an
 * exponential backoff (optionally with equal jitter), or the delay a failure asks for (a
 * Retry-After), in a sleep the signal cuts short. Action tasks, the `ready` poll, the agents'
 * JetStream publishes and the JetStream setup all go through it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CancelledError, ErrorCode } from "./errors.js";

export interface RetryOptions {
  /** Attempts in all, the first included (default: unlimited). */
  readonly attempts?: number;
  /** Epoch ms where the retries end: a wait is cut to end there, and a failure after it is final (default: none). */
  readonly deadlineMs?: number;
  /** The first backoff (ms); it doubles with every retry (default 100). */
  readonly baseDelayMs?: number;
  /** The largest backoff (ms) (default 10 000). */
  readonly maxDelayMs?: number;
  /** Equal jitter: half of each backoff fixed, half random (default true). */
  readonly jitter?: boolean;
  /** Aborting ends the retries: a wait is cut short and a CancelledError (INTERRUPTED) thrown. */
  readonly signal?: AbortSignal;
  /**
   * Decides after a failed attempt (1-based): false throws the error at once, true retries after
   * the backoff, a number retries after that many ms (e.g. what a Retry-After said). Default true.
   */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean | number;
  /** Called before each wait, e.g. to log or to tell an observer. */
  readonly onRetry?: (retry: { readonly error: unknown; readonly attempt: number; readonly delayMs: number }) => void;
}

/**
 * Runs `operation(attempt)` until it resolves, and resolves with its value. When the attempts or
 * the deadline are used up, or a failure is final, throws the last failure; when the signal
 * aborts, a CancelledError whose cause is the last failure.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal, undefined);
    try {
      return await operation(attempt);
    } catch (error) {
      throwIfAborted(options.signal, error);
      const decision = options.shouldRetry?.(error, attempt) ?? true;
      if (decision === false || attempt >= attempts) throw error;
      let delayMs = typeof decision === "number" ? decision : backoffMs(attempt, options);
      if (options.deadlineMs !== undefined) {
        const leftMs = options.deadlineMs - Date.now();
        if (leftMs <= 0) throw error;
        delayMs = Math.min(delayMs, leftMs);
      }
      options.onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {}).catch(() => throwIfAborted(options.signal, error));
    }
  }
}

/** The wait after failed attempt `attempt` (1-based): base × 2^(attempt−1), capped, with equal jitter unless switched off. */
export function backoffMs(attempt: number, options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "jitter"> = {}): number {
  const step = Math.min(options.maxDelayMs ?? 10_000, (options.baseDelayMs ?? 100) * 2 ** Math.min(attempt - 1, 30));
  return options.jitter === false ? step : Math.round(step / 2 + Math.random() * (step / 2));
}

function throwIfAborted(signal: AbortSignal | undefined, lastError: unknown): void {
  if (signal?.aborted) throw new CancelledError(ErrorCode.Interrupted, "cancelled", lastError === undefined ? {} : { cause: lastError });
}
