/**
 * core/retry.ts, the one retry loop: attempts, final failures, Retry-After style delays, the
 * backoff's shape, deadlines, and a wait that an abort cuts short.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CancelledError, ErrorCode, backoffMs, retry } from "../../../core/index.js";

describe("retry", () => {
  it("retries until the operation succeeds and resolves with its value", async () => {
    const seen: number[] = [];
    const value = await retry(
      (attempt) => {
        seen.push(attempt);
        return attempt < 3 ? Promise.reject(new Error(`failure ${attempt}`)) : Promise.resolve("ok");
      },
      { baseDelayMs: 1 },
    );
    assert.equal(value, "ok");
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it("throws the last failure once the attempts are used up, and a final failure at once", async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        (attempt) => {
          calls++;
          return Promise.reject(new Error(`failure ${attempt}`));
        },
        { attempts: 3, baseDelayMs: 1 },
      ),
      /failure 3/,
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      retry(
        () => {
          calls++;
          return Promise.reject(new Error("final"));
        },
        { baseDelayMs: 1, shouldRetry: () => false },
      ),
      /final/,
    );
    assert.equal(calls, 1);
  });

  it("waits what shouldRetry asks (a Retry-After) instead of the backoff, and says so before each wait", async () => {
    const waits: { attempt: number; delayMs: number }[] = [];
    await retry(
      (attempt) => (attempt < 3 ? Promise.reject(new Error("busy")) : Promise.resolve()),
      { baseDelayMs: 1000, shouldRetry: (_error, attempt) => attempt * 5, onRetry: ({ attempt, delayMs }) => waits.push({ attempt, delayMs }) },
    );
    assert.deepEqual(waits, [
      { attempt: 1, delayMs: 5 },
      { attempt: 2, delayMs: 10 },
    ]);
  });

  it("backs off exponentially up to the cap; equal jitter keeps each wait between half the step and the step", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, { baseDelayMs: 100, maxDelayMs: 1000, jitter: false })), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(backoffMs(80, { baseDelayMs: 100, maxDelayMs: 1000, jitter: false }), 1000, "a large attempt number does not overflow");
    for (let n = 1; n <= 6; n++) {
      const step = Math.min(1000, 100 * 2 ** (n - 1));
      const wait = backoffMs(n, { baseDelayMs: 100, maxDelayMs: 1000 });
      assert.ok(wait >= step / 2 && wait <= step, `attempt ${n}: ${wait} ms within [${step / 2}, ${step}]`);
    }
  });

  it("ends at the deadline: the wait is cut to it and the attempt made there is the last", async () => {
    const waits: number[] = [];
    const starts: number[] = [];
    const deadlineMs = Date.now() + 300;
    await assert.rejects(
      retry(
        () => {
          starts.push(Date.now());
          return Promise.reject(new Error("not yet"));
        },
        { deadlineMs, baseDelayMs: 1000, jitter: false, onRetry: ({ delayMs }) => waits.push(delayMs) },
      ),
      /not yet/,
    );
    assert.ok(starts.length >= 2, "the wait before the deadline was cut, not skipped");
    assert.ok(waits.every((ms) => ms <= 300), `every wait ended by the deadline (${waits.join(", ")} ms)`);
    assert.ok((starts.at(-1) ?? 0) >= deadlineMs - 5, "the last attempt was made at the deadline");
    assert.ok(starts.slice(0, -1).every((at) => at < deadlineMs), "no attempt follows one made at the deadline");
  });

  it("an abort ends a long wait at once with CancelledError, whose cause is the last failure", async () => {
    const controller = new AbortController();
    const failure = new Error("down");
    const started = Date.now();
    const retrying = retry(
      () => Promise.reject(failure),
      { baseDelayMs: 60_000, signal: controller.signal, onRetry: () => setImmediate(() => controller.abort()) },
    );
    await assert.rejects(retrying, (error: unknown) => error instanceof CancelledError && error.code === ErrorCode.Interrupted && error.cause === failure);
    assert.ok(Date.now() - started < 10_000, "did not sit out the 60 s backoff");
  });
});
