import assert from "node:assert/strict";
import { test } from "node:test";
import { SeriesRecorder } from "../../../agent/index.js";
import { decodeHistogram } from "../../../core/index.js";

function count(bytes: Uint8Array | null | undefined): number {
  if (!bytes || bytes.length === 0) return 0;
  const h = decodeHistogram(bytes);
  const n = h.totalCount;
  h.destroy();
  return n;
}

test("intervals fold into totals exactly; histograms restart per interval", () => {
  const recorder = new SeriesRecorder("v1", "", true);
  recorder.response(200, 10, 0, false, 1500);
  recorder.response(503, 0, 0, true, 2500);
  recorder.openTimes(1000, 500);
  recorder.openTimes(2000, 500);
  const first = recorder.takeInterval();
  recorder.failure(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), 5, 300);
  recorder.openTimes(300, 0);
  recorder.drop(4);
  const second = recorder.takeInterval();
  const totals = recorder.totalStats();
  assert.equal(first.requests, 2);
  assert.equal(second.requests, 1);
  assert.equal(totals.requests, 3);
  assert.equal(totals.errors, 2);
  assert.equal(totals.dropped, 4);
  assert.equal(totals.connectionErrors, 1);
  assert.deepEqual(totals.statusClasses, [0, 1, 0, 0, 1]);
  assert.equal(count(first.latencyHistogram), 2);
  assert.equal(count(second.latencyHistogram), 1);
  assert.equal(count(totals.latencyHistogram), 3);
  assert.equal(count(totals.serviceTimeHistogram), 3);
  assert.equal(totals.latencySumUs, 1500 + 2500 + 300);
  assert.equal(totals.latencySumSqUs, 1500 ** 2 + 2500 ** 2 + 300 ** 2);
  assert.equal(totals.latencyMinUs, 300);
  assert.equal(totals.latencyMaxUs, 2500);
  assert.deepEqual(totals.statusCodes, { 200: 1, 503: 1 });
  assert.deepEqual(totals.errorMessages, { "connect ECONNREFUSED 127.0.0.1:1": 1 });
  assert.equal(totals.bytesReceived, 10);
  assert.equal(totals.bytesSent, 5);
  const empty = recorder.takeInterval();
  assert.equal(empty.requests, 0);
  assert.equal(empty.latencyMinUs, 0);
  assert.equal(empty.latencyHistogram?.length, 0);
  recorder.destroy();
});

test("error messages are bounded: past 20 distinct keys they count under 'other'", () => {
  const recorder = new SeriesRecorder("v1", "", false);
  for (let i = 0; i < 30; i++) recorder.failure(new Error(`boom ${i}`), 0, 10);
  const stats = recorder.takeInterval();
  const messages = stats.errorMessages ?? {};
  assert.equal(Object.keys(messages).length, 21);
  assert.equal(messages["other"], 10);
  assert.equal(Object.values(messages).reduce((a, b) => a + b, 0), 30);
  recorder.destroy();
});

test("a retry is counted under its own key, never as a request or an error; codes of 600 and up count as 5xx", () => {
  const recorder = new SeriesRecorder("v1", "", false);
  recorder.retry(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }));
  recorder.retry(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }));
  recorder.response(200, 2, 0, false, 100);
  recorder.response(600, 2, 0, true, 100);
  const stats = recorder.takeInterval();
  assert.equal(stats.requests, 2);
  assert.equal(stats.errors, 1);
  assert.equal(stats.connectionErrors, 0);
  assert.deepEqual(stats.errorMessages, { "retried, not an error: UND_ERR_SOCKET: other side closed": 2 });
  assert.deepEqual(stats.statusClasses, [0, 1, 0, 0, 1]);
  assert.deepEqual(stats.statusCodes, { 200: 1, 600: 1 });
});
