/**
 * What every action task shares: retries with exponential backoff and jitter, a timeout per
 * attempt, cancellation, the ActionFailedError the runner records, and scrubbing of secrets from
 * everything a task writes (detail, error messages, events, logs).
 */
import { CancelledError, ErrorCode, TargetError } from "../../core/index.js";
import type { ActionCommon } from "../../core/index.js";
import type { TaskContext } from "../tasks/types.js";

/** Tunables of the action runners (tests shorten the delays). */
export interface ActionOptions {
  /** First backoff delay (ms); doubles each retry. Default 500. */
  readonly retryBaseMs?: number;
  /** Largest backoff delay (ms). Default 10 000. */
  readonly retryCapMs?: number;
  /** Largest Retry-After honoured (ms). Default 60 000. */
  readonly retryAfterCapMs?: number;
  /** First poll interval of `ready` (ms). Default 250; grows to `readyPollCapMs`. */
  readonly readyPollBaseMs?: number;
  /** Largest poll interval of `ready` (ms). Default 5 000. */
  readonly readyPollCapMs?: number;
}

export interface ResolvedActionOptions {
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  readonly retryAfterCapMs: number;
  readonly readyPollBaseMs: number;
  readonly readyPollCapMs: number;
}

export const DEFAULT_ACTION_OPTIONS: ResolvedActionOptions = {
  retryBaseMs: 500,
  retryCapMs: 10_000,
  retryAfterCapMs: 60_000,
  readyPollBaseMs: 250,
  readyPollCapMs: 5_000,
};

/** Default per-attempt timeout of action tasks (ms). */
export const DEFAULT_ACTION_TIMEOUT_MS = 10_000;
/** Default number of retries after the first attempt (3 attempts in all). */
export const DEFAULT_RETRIES = 2;

/**
 * A failed action: kind target, code ACTION_FAILED. The runner records it as the task's error and
 * lets the experiment continue when the task's `softFailure` is true. `attempts` and `detail`
 * (already scrubbed of secrets) say what was tried.
 */
export class ActionFailedError extends TargetError {
  readonly attempts: number;
  readonly detail: Record<string, unknown>;

  constructor(message: string, attempts: number, detail: Record<string, unknown>, cause?: unknown) {
    super(ErrorCode.ActionFailed, message, cause === undefined ? {} : { cause });
    this.attempts = attempts;
    this.detail = detail;
  }
}

/** Why one attempt failed; `retryable` false ends the retries at once. */
export class AttemptFailure extends Error {
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Replaces every known secret value (and its URL-encoded form) by `[redacted]`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out = out.split(secret).join("[redacted]");
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join("[redacted]");
  }
  return out;
}

/** Scrubs every string inside a JSON-shaped value. */
export function scrubValue<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  return JSON.parse(scrubText(JSON.stringify(value), secrets)) as T;
}

/** The secret values to scrub for one task: the resolver's plus the task's own sensitive literals. */
export function secretsOf(context: TaskContext, extra: readonly string[] = []): string[] {
  return [...context.secrets.knownValues(), ...extra.filter((value) => value.length > 0)].flatMap(secretParts);
}

/**
 * The parts of a secret worth scrubbing on their own: the value, and for a URL its path and query
 * (a receiver may echo the path of a webhook URL without its host).
 */
export function secretParts(value: string): string[] {
  const parts = [value];
  if (/^https?:\/\//i.test(value)) {
    try {
      const parsed = new URL(value);
      const rest = `${parsed.pathname}${parsed.search}`;
      if (rest.length >= 8) parts.push(rest, rest.replace(/^\/+/, ""));
    } catch {
      // not a URL after all
    }
  }
  return parts;
}

/** `https://hooks.slack.com/services/T/B/X` → `https://hooks.slack.com/…` (webhook URLs are secrets). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return "[redacted url]";
  }
}

/** Throws CancelledError when the experiment was cancelled. */
export function throwIfCancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new CancelledError(ErrorCode.Interrupted, `${what}: cancelled`);
}

/** Resolves after `ms`, or rejects with CancelledError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new CancelledError(ErrorCode.Interrupted, `${what}: cancelled`));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError(ErrorCode.Interrupted, `${what}: cancelled`));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Exponential backoff with equal jitter: half the step fixed, half random. `retry` is 1-based. */
export function backoffMs(retry: number, baseMs: number, capMs: number): number {
  const step = Math.min(capMs, baseMs * 2 ** (retry - 1));
  return Math.round(step / 2 + Math.random() * (step / 2));
}

export interface RetryPlan {
  /** Names the action in messages, e.g. `slack POST https://hooks.slack.com/…`. No secrets. */
  readonly what: string;
  readonly attempts: number;
  readonly timeoutMs: number;
  readonly options: ResolvedActionOptions;
  readonly context: TaskContext;
  /** Values scrubbed from messages, events and logs. */
  readonly secrets: readonly string[];
}

/** attempts, timeoutMs of a task (spec fields or defaults). */
export function planOf(spec: ActionCommon, defaults: { retries?: number; timeoutMs?: number } = {}): { attempts: number; timeoutMs: number } {
  const retries = spec.retries ?? defaults.retries ?? DEFAULT_RETRIES;
  return {
    attempts: Math.max(1, Math.floor(retries) + 1),
    timeoutMs: spec.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS,
  };
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable AttemptFailure, or the attempts
 * are used up. Each attempt gets a signal that aborts on its timeout or on cancellation. Between
 * attempts: Retry-After when the receiver sent one, else exponential backoff with jitter.
 */
export async function withRetries<T>(plan: RetryPlan, attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>): Promise<{ value: T; attempts: number }> {
  const { context } = plan;
  let last: AttemptFailure | undefined;
  let attemptsMade = 0;
  for (let n = 1; n <= plan.attempts; n++) {
    attemptsMade = n;
    throwIfCancelled(context.signal, plan.what);
    const timeout = AbortSignal.timeout(plan.timeoutMs);
    const signal = AbortSignal.any([context.signal, timeout]);
    try {
      const value = await attempt(signal, n);
      return { value, attempts: n };
    } catch (error) {
      throwIfCancelled(context.signal, plan.what);
      if (timeout.aborted) {
        last = new AttemptFailure(`no answer within ${plan.timeoutMs} ms`, { retryable: true, cause: error });
      } else if (error instanceof AttemptFailure) {
        last = error;
      } else {
        throw error;
      }
    }
    const message = scrubText(last.message, plan.secrets);
    if (!last.retryable || n === plan.attempts) break;
    const waitMs = last.retryAfterMs !== undefined ? Math.min(last.retryAfterMs, plan.options.retryAfterCapMs) : backoffMs(n, plan.options.retryBaseMs, plan.options.retryCapMs);
    const note = `${plan.what}: attempt ${n} of ${plan.attempts} failed (${message}); retrying in ${waitMs} ms`;
    context.logger.warn({ attempt: n, attempts: plan.attempts, status: last.status }, note);
    context.emit({ type: "action-retry", message: note, data: { attempt: n, waitMs, ...(last.status === undefined ? {} : { status: last.status }) } });
    await sleep(waitMs, context.signal, plan.what);
  }
  const failure = last ?? new AttemptFailure("no attempt was made", { retryable: false });
  const message = scrubText(`${plan.what} failed after ${attemptsMade} attempt${attemptsMade === 1 ? "" : "s"}: ${failure.message}`, plan.secrets);
  throw new ActionFailedError(message, attemptsMade, {
    attempts: attemptsMade,
    ...(failure.status === undefined ? {} : { status: failure.status }),
    error: scrubText(failure.message, plan.secrets),
  });
}
