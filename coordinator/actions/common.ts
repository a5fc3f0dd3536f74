/**
 * What every action task shares: retries (core/retry.ts: exponential backoff with jitter, or
 * Retry-After), a timeout per attempt, cancellation, the ActionFailedError the runner records, and scrubbing of secrets from
 * everything a task writes (detail, error messages, events, logs).
 */
import { CancelledError, ErrorCode, TargetError, retry } from "../../core/index.js";
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
  const { context, options } = plan;
  let attemptsMade = 0;
  const once = async (n: number): Promise<T> => {
    attemptsMade = n;
    const timeout = AbortSignal.timeout(plan.timeoutMs);
    try {
      return await attempt(AbortSignal.any([context.signal, timeout]), n);
    } catch (error) {
      throwIfCancelled(context.signal, plan.what);
      if (timeout.aborted) throw new AttemptFailure(`no answer within ${plan.timeoutMs} ms`, { retryable: true, cause: error });
      throw error;
    }
  };
  try {
    const value = await retry(once, {
      attempts: plan.attempts,
      baseDelayMs: options.retryBaseMs,
      maxDelayMs: options.retryCapMs,
      signal: context.signal,
      shouldRetry: (error) => {
        if (!(error instanceof AttemptFailure) || !error.retryable) return false;
        return error.retryAfterMs === undefined ? true : Math.min(error.retryAfterMs, options.retryAfterCapMs);
      },
      onRetry: ({ error, attempt: n, delayMs }) => {
        const failure = error as AttemptFailure;
        const note = `${plan.what}: attempt ${n} of ${plan.attempts} failed (${scrubText(failure.message, plan.secrets)}); retrying in ${delayMs} ms`;
        context.logger.warn({ attempt: n, attempts: plan.attempts, status: failure.status }, note);
        context.emit({ type: "action-retry", message: note, data: { attempt: n, waitMs: delayMs, ...(failure.status === undefined ? {} : { status: failure.status }) } });
      },
    });
    return { value, attempts: attemptsMade };
  } catch (error) {
    throwIfCancelled(context.signal, plan.what);
    if (!(error instanceof AttemptFailure)) throw error;
    const message = scrubText(`${plan.what} failed after ${attemptsMade} attempt${attemptsMade === 1 ? "" : "s"}: ${error.message}`, plan.secrets);
    throw new ActionFailedError(message, attemptsMade, {
      attempts: attemptsMade,
      ...(error.status === undefined ? {} : { status: error.status }),
      error: scrubText(error.message, plan.secrets),
    });
  }
}
