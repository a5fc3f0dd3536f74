/**
 * Waiting for work with a deadline and no timer left behind: the deadline is a timers/promises
 * sleep, aborted as soon as the work settles (a plain setTimeout race keeps the process alive, or
 * needs a clearTimeout on every path).
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves with `work`'s value, or with undefined once `timeoutMs` passed first; rejects when `work`
 * rejects before the deadline.
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  const deadline = new AbortController();
  try {
    return await Promise.race([work, sleep(timeoutMs, undefined, { signal: deadline.signal })]);
  } finally {
    deadline.abort();
  }
}
