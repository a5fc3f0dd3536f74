/**
 * A request retried on a fresh connection (client.ts, RETRY_METHODS) keeps the send times of its
 * first attempt: its latency and service time include the attempt the stale connection cost, as
 * the user waiting for it would see them.
 */
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import type { Exchange, ExchangeListener, HttpClient } from "../../../agent/index.js";
import { Slot } from "../../../agent/engine/slot.js";

const ATTEMPT_MS = 40;

/** Every request fails once on a "stale connection" after ATTEMPT_MS, then succeeds ATTEMPT_MS later. */
class RetryingClient implements HttpClient {
  createExchange(listener: ExchangeListener): Exchange {
    return {
      send: () => {
        setTimeout(() => {
          listener.onRetry(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }));
          setTimeout(() => listener.onResponse(200, 2), ATTEMPT_MS);
        }, ATTEMPT_MS);
      },
      abort: () => undefined,
    };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    return Promise.resolve();
  }
}

test("a retried request is measured from its first send (and its intended time)", async () => {
  const retried: Error[] = [];
  const ended = new Promise<{ slot: Slot; status: number }>((resolve) => {
    const slot = new Slot(new RetryingClient(), {
      completed: (s, status) => resolve({ slot: s, status }),
      retried: (_s, reason) => retried.push(reason),
    });
    slot.fire(true, performance.now() - 5);
  });
  const { slot, status } = await ended;
  assert.equal(status, 200);
  assert.equal(retried.length, 1);
  assert.ok(slot.endedAtMs - slot.sentAtMs >= 2 * ATTEMPT_MS - 2, `service time ${slot.endedAtMs - slot.sentAtMs} ms covers both attempts`);
  assert.ok(slot.endedAtMs - slot.intendedAtMs >= 2 * ATTEMPT_MS + 3, "latency from the intended time covers both attempts");
});
