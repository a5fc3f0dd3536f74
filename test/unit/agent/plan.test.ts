import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_MAX_QUEUE, DEFAULT_REPORT_INTERVAL_MS, DEFAULT_REQUEST_TIMEOUT_MS, compileShard, isErrorStatus } from "../../../agent/index.js";
import { ErrorCode, ValidationError } from "../../../core/index.js";
import type { SeriesLoadInit } from "../../../core/index.js";

const base: SeriesLoadInit = { version: "v1", request: { url: "http://127.0.0.1:8080/a?b=1" }, model: { closed: {} }, connections: 2, numRequests: 10 };

function rejects(series: SeriesLoadInit, pattern: RegExp, extra: object = {}): void {
  assert.throws(
    () => compileShard({ series: [series], ...extra }),
    (error: unknown) => error instanceof ValidationError && error.code === ErrorCode.BadShard && pattern.test(error.message),
  );
}

test("defaults are applied", () => {
  const plan = compileShard({ series: [base] });
  assert.equal(plan.reportIntervalMs, DEFAULT_REPORT_INTERVAL_MS);
  assert.equal(plan.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  assert.equal(plan.maxQueue, DEFAULT_MAX_QUEUE);
  assert.equal(plan.maxRedirects, 0);
  const series = plan.series[0];
  assert.ok(series);
  assert.equal(series.request.method, "GET");
  assert.equal(series.request.path, "/a?b=1");
  assert.equal(series.request.origin, "http://127.0.0.1:8080");
  assert.equal(compileShard({ followRedirects: true, series: [base] }).maxRedirects, 10);
  assert.equal(compileShard({ followRedirects: true, maxRedirects: 3, series: [base] }).maxRedirects, 3);
});

test("a body makes the default method POST and content type becomes a header", () => {
  const plan = compileShard({ series: [{ ...base, request: { url: "http://127.0.0.1/", body: new Uint8Array([1, 2, 3]), contentType: "application/x" } }] });
  const request = plan.series[0]?.request;
  assert.equal(request?.method, "POST");
  assert.equal(request?.bodyBytes, 3);
  assert.deepEqual(request?.headers, ["content-type", "application/x"]);
});

test("bad specs are refused with the field named", () => {
  assert.throws(() => compileShard({ series: [] }), /no series/);
  rejects({ ...base, request: { url: "ftp://x/" } }, /http\(s\)/);
  rejects({ ...base, request: { url: "not a url" } }, /not a URL/);
  rejects({ ...base, connections: 0 }, /connections/);
  rejects({ ...base, model: {} }, /load model/);
  rejects({ ...base, numRequests: 0 }, /no end/);
  rejects({ ...base, model: { open: { qps: 0 } } }, /qps > 0 or stages/);
  rejects({ ...base, model: { open: { stages: [{ durationMs: 1000, qps: 10 }, { durationMs: 1000, qps: 0 }] } } }, /may never complete/);
  // An open model with stages and no count ends with the stages.
  assert.equal(compileShard({ series: [{ ...base, numRequests: 0, model: { open: { stages: [{ durationMs: 1000, qps: 10 }] } } }] }).series.length, 1);
});

test("error ranges: empty means >= 400; 0 bounds are open", () => {
  assert.equal(isErrorStatus([], 399), false);
  assert.equal(isErrorStatus([], 400), true);
  assert.equal(isErrorStatus([{ lower: 500, upper: 0 }], 404), false);
  assert.equal(isErrorStatus([{ lower: 500, upper: 0 }], 503), true);
  assert.equal(isErrorStatus([{ lower: 0, upper: 204 }], 200), true);
  assert.equal(isErrorStatus([{ lower: 0, upper: 204 }, { lower: 429, upper: 429 }], 429), true);
  assert.equal(isErrorStatus([{ lower: 0, upper: 204 }, { lower: 429, upper: 429 }], 430), false);
});
