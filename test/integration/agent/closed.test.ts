import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:net";
import { decodeHistogram, percentileMs } from "../../../core/index.js";
import { freePort, startHttpTarget } from "../../harness/index.js";
import { TestAgent, series, totalOf } from "./support.js";

test("closed model, numRequests: exactly N requests, every 10th an error", async (t) => {
  const target = await startHttpTarget({ failEvery: 10 });
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ series: [series(target.url, { numRequests: 200, connections: 4 })] });
  const total = totalOf(done);
  assert.equal(done.outcome, "completed");
  assert.equal(total.requests, 200);
  assert.equal(total.errors, 20);
  assert.deepEqual(total.statusClasses, [0, 180, 0, 0, 20]);
  assert.equal(total.statusCodes[200], 180);
  assert.equal(total.statusCodes[500], 20);
  assert.equal(total.bytesReceived, 200 * 2);
  assert.equal(target.served(), 200);
});

test("closed model latency comes from the histogram: a 20 ms target has p50 >= 20 ms", async (t) => {
  const target = await startHttpTarget({ delayMs: 20 });
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ series: [series(target.url, { numRequests: 40, connections: 4 })] });
  const total = totalOf(done);
  const histogram = decodeHistogram(total.latencyHistogram);
  const p50 = percentileMs(histogram, 50) ?? 0;
  histogram.destroy();
  assert.ok(p50 >= 20, `p50 ${p50} ms should be at least the 20 ms delay`);
  assert.ok(total.latencyMinUs >= 19_000, `min ${total.latencyMinUs} us`);
  assert.ok(total.latencySumUs / total.requests >= 20_000, "exact mean >= 20 ms");
});

test("warm-up requests are sent but not counted", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ series: [series(target.url, { numRequests: 50, warmupNumRequests: 15, connections: 3 })] });
  assert.equal(totalOf(done).requests, 50);
  assert.equal(target.served(), 65);
});

test("connection refused: every request is an error with its message, the agent survives", async () => {
  const port = await freePort();
  const agent = new TestAgent();
  const { done } = await agent.run({ series: [series(`http://127.0.0.1:${port}/`, { numRequests: 30, connections: 2 })] });
  const total = totalOf(done);
  assert.equal(done.outcome, "completed");
  assert.equal(total.requests, 30);
  assert.equal(total.errors, 30);
  assert.equal(total.connectionErrors, 30);
  assert.deepEqual(total.statusClasses, [0, 0, 0, 0, 0]);
  const messages = Object.entries(total.errorMessages);
  assert.ok(messages.length >= 1 && messages.length <= 20);
  assert.ok(messages.some(([key]) => key.includes("ECONNREFUSED")), `messages: ${JSON.stringify(messages)}`);
  assert.equal(messages.reduce((acc, [, n]) => acc + n, 0), 30);
});

test("request timeout: a stalled response counts as an error and a timeout", async (t) => {
  const target = await startHttpTarget({ delayMs: (n) => (n === 3 ? 5000 : 0) });
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done } = await agent.run({ requestTimeoutMs: 300, series: [series(target.url, { numRequests: 10, connections: 1 })] });
  const total = totalOf(done);
  assert.equal(total.requests, 10);
  assert.equal(total.timeouts, 1);
  assert.equal(total.errors, 1);
  assert.ok(total.latencyMaxUs >= 290_000 && total.latencyMaxUs < 2_000_000, `max ${total.latencyMaxUs}`);
});

test("error ranges decide which statuses are errors; a 0 bound is open", async (t) => {
  const target = await startHttpTarget({ status: 404 });
  t.after(() => target.close());
  const agent = new TestAgent();
  const ok404 = await agent.run({ errorRanges: [{ lower: 500, upper: 0 }], series: [series(target.url, { numRequests: 5 })] }, "s-a");
  assert.equal(totalOf(ok404.done).errors, 0);
  assert.deepEqual(totalOf(ok404.done).statusClasses, [0, 0, 0, 5, 0]);
  const err404 = await agent.run({ errorRanges: [{ lower: 0, upper: 404 }], series: [series(target.url, { numRequests: 5 })] }, "s-b");
  assert.equal(totalOf(err404.done).errors, 5);
});

test("maxQps caps the closed model (request i not before i/maxQps)", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const agent = new TestAgent();
  const started = Date.now();
  const { done } = await agent.run({ series: [series(target.url, { numRequests: 21, connections: 4, model: { closed: { maxQps: 20 } } })] });
  const elapsedMs = Date.now() - started;
  assert.equal(totalOf(done).requests, 21);
  // Request 20 is due at 1000 ms; without the cap 21 local requests take a few ms.
  assert.ok(elapsedMs >= 950, `took ${elapsedMs} ms`);
});

test("duration mode: stops issuing at the deadline and counts what was in flight", async (t) => {
  const target = await startHttpTarget({ delayMs: 30 });
  t.after(() => target.close());
  const agent = new TestAgent();
  const { done, reports } = await agent.run({ durationMs: 1200, reportIntervalMs: 500, series: [series(target.url, { connections: 3 })] });
  const total = totalOf(done);
  assert.ok(total.requests >= 30 && total.requests <= 3 * Math.ceil(1200 / 30) + 3, `requests ${total.requests}`);
  assert.equal(target.served(), total.requests);
  assert.ok(reports.length >= 3, `reports ${reports.length}`);
});

test("POST body and content type are sent; bytesSent counts body bytes", async (t) => {
  const target = await startHttpTarget({ record: true });
  t.after(() => target.close());
  const agent = new TestAgent();
  const body = new TextEncoder().encode('{"a":1}');
  const { done } = await agent.run({
    series: [series(target.url, { numRequests: 3, connections: 1, request: { url: `${target.url}p?q=1`, method: "POST", body, contentType: "application/json", headers: [{ name: "x-test", value: "yes" }] } })],
  });
  assert.equal(totalOf(done).bytesSent, 3 * body.length);
  const seen = target.requests();
  assert.equal(seen.length, 3);
  assert.equal(seen[0]?.method, "POST");
  assert.equal(seen[0]?.url, "/p?q=1");
  assert.equal(seen[0]?.body, '{"a":1}');
  assert.equal(seen[0]?.headers["content-type"], "application/json");
  assert.equal(seen[0]?.headers["x-test"], "yes");
});

test("https with insecureSkipVerify reaches a self-signed target", async (t) => {
  const target = await startHttpTarget({ https: true });
  t.after(() => target.close());
  const agent = new TestAgent();
  const secure = await agent.run({ series: [series(target.url, { numRequests: 3, connections: 1 })] }, "strict");
  assert.equal(totalOf(secure.done).connectionErrors, 3, "an untrusted certificate is a connection error");
  const { done } = await agent.run({ insecureSkipVerify: true, series: [series(target.url, { numRequests: 3, connections: 1 })] }, "skip");
  assert.equal(totalOf(done).errors, 0);
  assert.equal(totalOf(done).statusClasses[1], 3);
});

test("redirects are counted as 3xx unless followed", async (t) => {
  const final = await startHttpTarget();
  t.after(() => final.close());
  const redirecting = await startHttpTarget({
    handler: (_req, res) => {
      res.writeHead(302, { location: final.url, "content-length": 0 });
      res.end();
    },
  });
  t.after(() => redirecting.close());
  const agent = new TestAgent();
  const plain = await agent.run({ series: [series(redirecting.url, { numRequests: 4, connections: 1 })] }, "plain");
  assert.deepEqual(totalOf(plain.done).statusClasses, [0, 0, 4, 0, 0]);
  assert.equal(final.served(), 0);
  const followed = await agent.run({ followRedirects: true, series: [series(redirecting.url, { numRequests: 4, connections: 1 })] }, "followed");
  assert.deepEqual(totalOf(followed.done).statusClasses, [0, 4, 0, 0, 0]);
  assert.equal(final.served(), 4);
});

test("a target that resets connections is counted, never crashes the agent", async (t) => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  const agent = new TestAgent();
  const { done } = await agent.run({ series: [series(`http://127.0.0.1:${address.port}/`, { numRequests: 12, connections: 3 })] });
  assert.equal(totalOf(done).requests, 12);
  assert.equal(totalOf(done).connectionErrors, 12);
});
