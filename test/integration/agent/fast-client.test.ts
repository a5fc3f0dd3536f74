import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import type { TestContext } from "node:test";
import { compileShard, createFastClient, createUndiciClient, fastPathRefusal } from "../../../agent/index.js";
import type { Exchange, HttpClient, HttpClientFactory, RequestPlan } from "../../../agent/index.js";
import type { SeriesStats, ShardSpecInit } from "../../../core/index.js";
import { freePort, startHttpTarget, waitUntil } from "../../harness/index.js";
import { TestAgent, series, totalOf } from "./support.js";

/** A factory that insists on the fast path (fails the test if the request would not qualify). */
const fastOnly: HttpClientFactory = (request, options) => {
  const refusal = fastPathRefusal(request, options, {});
  assert.equal(refusal, null, `the fast path should serve ${request.url.href}`);
  return createFastClient(request, options);
};

function fastAgent(): TestAgent {
  return new TestAgent("fast-agent", fastOnly);
}

function undiciAgent(): TestAgent {
  return new TestAgent("undici-agent", createUndiciClient);
}

/** A raw TCP target: `onRequest` is called once per request head received (bodies are not expected). */
async function startRawTarget(t: TestContext, onRequest: (socket: Socket, n: number) => void): Promise<{ url: string; connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let n = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      let at = pending.indexOf("\r\n\r\n");
      while (at >= 0) {
        pending = pending.slice(at + 4);
        n += 1;
        onRequest(socket, n);
        at = pending.indexOf("\r\n\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return { url: `http://127.0.0.1:${address.port}/`, connections: () => connections };
}

const COMPARED = ["requests", "errors", "connectionErrors", "timeouts", "bytesReceived", "bytesSent", "dropped"] as const;

function summary(total: SeriesStats): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of COMPARED) out[field] = total[field];
  out["statusClasses"] = [...total.statusClasses];
  out["statusCodes"] = { ...total.statusCodes };
  out["errorMessages"] = { ...total.errorMessages };
  return out;
}

test("exact counts: 1000 requests over 8 connections, every 7th a 500", async (t) => {
  const target = await startHttpTarget({ failEvery: 7, body: "hello" });
  t.after(() => target.close());
  const { done } = await fastAgent().run({ series: [series(target.url, { numRequests: 1000, connections: 8 })] });
  const total = totalOf(done);
  assert.equal(done.outcome, "completed");
  assert.equal(total.requests, 1000);
  assert.equal(total.errors, 142);
  assert.deepEqual(total.statusClasses, [0, 858, 0, 0, 142]);
  assert.equal(total.statusCodes[200], 858);
  assert.equal(total.statusCodes[500], 142);
  assert.equal(total.connectionErrors, 0);
  assert.equal(total.bytesReceived, 1000 * 5);
  assert.equal(target.served(), 1000);
});

test("Connection: close from the server: the next request reconnects, nothing is lost", async (t) => {
  const sockets = new Set<unknown>();
  const target = await startHttpTarget({
    handler: (req, res, n) => {
      sockets.add(req.socket);
      const headers: Record<string, string | number> = { "content-length": 3 };
      if (n % 3 === 0) headers["connection"] = "close";
      res.writeHead(200, headers);
      res.end("abc");
    },
  });
  t.after(() => target.close());
  const { done } = await fastAgent().run({ series: [series(target.url, { numRequests: 300, connections: 4 })] });
  const total = totalOf(done);
  assert.equal(total.requests, 300);
  assert.equal(total.errors, 0);
  assert.equal(total.bytesReceived, 900);
  assert.ok(sockets.size >= 100, `one connection per close: ${sockets.size} sockets`);
});

test("large bodies, by length and chunked, are drained and counted exactly", async (t) => {
  const big = "b".repeat(1024 * 1024);
  const piece = "c".repeat(256 * 1024);
  const target = await startHttpTarget({
    handler: (_req, res, n) => {
      if (n % 2 === 0) {
        res.writeHead(200, { "content-length": big.length });
        res.end(big);
      } else {
        res.writeHead(200);
        for (let i = 0; i < 4; i++) res.write(piece);
        res.end();
      }
    },
  });
  t.after(() => target.close());
  const { done } = await fastAgent().run({ series: [series(target.url, { numRequests: 20, connections: 2 })] });
  const total = totalOf(done);
  assert.equal(total.errors, 0);
  assert.equal(total.bytesReceived, 10 * big.length + 10 * 4 * piece.length);
});

test("a body delimited by the connection close, and responses dribbled byte by byte", async (t) => {
  const untilClose = await startRawTarget(t, (socket) => {
    socket.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n0123456789");
  });
  const eof = await fastAgent().run({ series: [series(untilClose.url, { numRequests: 20, connections: 2 })] }, "eof");
  assert.equal(totalOf(eof.done).errors, 0);
  assert.equal(totalOf(eof.done).bytesReceived, 200);
  assert.equal(untilClose.connections(), 20);

  const response = Buffer.from("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n");
  const dribbling = await startRawTarget(t, (socket) => {
    let i = 0;
    const next = (): void => {
      if (socket.destroyed) return;
      socket.write(response.subarray(i, i + 1));
      i += 1;
      if (i < response.length) setImmediate(next);
    };
    next();
  });
  const dribbled = await fastAgent().run({ series: [series(dribbling.url, { numRequests: 10, connections: 2 })] }, "dribble");
  assert.equal(totalOf(dribbled.done).errors, 0);
  assert.deepEqual(totalOf(dribbled.done).statusClasses, [0, 10, 0, 0, 0]);
  assert.equal(totalOf(dribbled.done).bytesReceived, 30);
  assert.equal(dribbling.connections(), 2, "keep-alive across dribbled responses");
});

test("a server that closes mid-response: one error per request, the same message as undici", async (t) => {
  const target = await startRawTarget(t, (socket) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    setImmediate(() => socket.end());
  });
  const spec = (): ShardSpecInit => ({ series: [series(target.url, { numRequests: 12, connections: 3 })] });
  const fast = totalOf((await fastAgent().run(spec(), "fast")).done);
  const undici = totalOf((await undiciAgent().run(spec(), "undici")).done);
  assert.equal(fast.requests, 12);
  assert.equal(fast.connectionErrors, 12);
  assert.deepEqual(fast.errorMessages, { "UND_ERR_SOCKET: other side closed": 12 });
  assert.deepEqual(summary(fast), summary(undici));
});

test("bytes nobody asked for drop the connection; the next request reconnects", async (t) => {
  const target = await startRawTarget(t, (socket) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const { done } = await fastAgent().run({ series: [series(target.url, { numRequests: 10, connections: 1 })] });
  assert.equal(totalOf(done).requests, 10);
  assert.equal(totalOf(done).errors, 0);
  assert.equal(target.connections(), 10);
});

test("a stray CRLF after a body, in the same packet or a later one, costs no reconnect", async (t) => {
  const target = await startRawTarget(t, (socket, n) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n");
    if (n % 2 === 0) setImmediate(() => socket.write("\r\n"));
  });
  const { done } = await fastAgent().run({ series: [series(target.url, { numRequests: 50, connections: 1 })] });
  assert.equal(totalOf(done).requests, 50);
  assert.equal(totalOf(done).errors, 0);
  assert.equal(target.connections(), 1, "one keep-alive connection for every request");
});

test("connection refused: every request is one connection error, accounted like undici", async () => {
  const port = await freePort();
  const spec = (): ShardSpecInit => ({ series: [series(`http://127.0.0.1:${port}/`, { numRequests: 40, connections: 4 })] });
  const fast = totalOf((await fastAgent().run(spec(), "fast")).done);
  const undici = totalOf((await undiciAgent().run(spec(), "undici")).done);
  assert.equal(fast.requests, 40);
  assert.equal(fast.connectionErrors, 40);
  assert.deepEqual(fast.errorMessages, { [`connect ECONNREFUSED 127.0.0.1:${port}`]: 40 });
  assert.deepEqual(summary(fast), summary(undici));
});

test("duration run against a dead target: errors pile up no faster than undici's", async () => {
  const port = await freePort();
  const spec = (): ShardSpecInit => ({ durationMs: 500, series: [series(`http://127.0.0.1:${port}/`, { connections: 2 })] });
  const fast = totalOf((await fastAgent().run(spec(), "fast")).done);
  const undici = totalOf((await undiciAgent().run(spec(), "undici")).done);
  assert.equal(fast.connectionErrors, fast.requests);
  assert.ok(fast.requests > 0);
  // Each attempt is one asynchronous connect, as with undici (no reconnect loop of its own).
  assert.ok(fast.requests <= Math.max(3 * undici.requests, 2000), `fast ${fast.requests} vs undici ${undici.requests}`);
});

test("request timeout: the stalled request is one timeout, the rest go on", async (t) => {
  const target = await startHttpTarget({ delayMs: (n) => (n === 3 ? 5000 : 0) });
  t.after(() => target.close());
  const { done } = await fastAgent().run({ requestTimeoutMs: 300, series: [series(target.url, { numRequests: 10, connections: 1 })] });
  const total = totalOf(done);
  assert.equal(total.requests, 10);
  assert.equal(total.timeouts, 1);
  assert.equal(total.errors, 1);
  assert.equal(total.statusClasses[1], 9);
  assert.deepEqual(total.errorMessages, { "REQUEST_TIMEOUT: request timed out after 300ms": 1 });
  assert.ok(total.latencyMaxUs >= 290_000 && total.latencyMaxUs < 2_000_000, `max ${total.latencyMaxUs}`);
});

test("equivalence: the same run through undici and the fast client counts the same", async (t) => {
  const big = "z".repeat(70_000);
  const target = await startHttpTarget({
    handler: (_req, res, n) => {
      switch (n % 6) {
        case 0:
          res.writeHead(204);
          res.end();
          return;
        case 1:
          res.writeHead(404, { "content-length": 9 });
          res.end("not found");
          return;
        case 2:
          res.writeHead(503, { "content-length": 4, connection: "close" });
          res.end("busy");
          return;
        case 3:
          res.writeHead(200);
          res.write("chunk-1;");
          res.end("chunk-2");
          return;
        case 4:
          res.writeHead(302, { location: "/elsewhere", "content-length": 0 });
          res.end();
          return;
        default:
          res.writeHead(200, { "content-length": big.length });
          res.end(big);
      }
    },
  });
  t.after(() => target.close());
  const spec = (): ShardSpecInit => ({ series: [series(target.url, { numRequests: 300, connections: 1 })] });
  const fast = totalOf((await fastAgent().run(spec(), "fast")).done);
  const undici = totalOf((await undiciAgent().run(spec(), "undici")).done);
  assert.deepEqual(fast.statusClasses, [0, 150, 50, 50, 50]);
  assert.equal(fast.bytesReceived, 50 * (9 + 4 + 15 + big.length));
  assert.deepEqual(summary(fast), summary(undici));
});

test("POST, PUT, DELETE and HEAD send what undici sends", async (t) => {
  const target = await startHttpTarget({ record: true, body: "answer" });
  t.after(() => target.close());
  const body = new TextEncoder().encode('{"k":"v"}');
  const cases = [
    { method: "POST", body, contentType: "application/json", headers: [{ name: "X-Test", value: "yes" }] },
    { method: "PUT", body },
    { method: "DELETE" },
    { method: "HEAD" },
    { method: "POST" },
  ];
  for (const [i, request] of cases.entries()) {
    const seen: unknown[] = [];
    const results: SeriesStats[] = [];
    for (const agent of [fastAgent(), undiciAgent()]) {
      const { done } = await agent.run({ series: [series(target.url, { numRequests: 2, connections: 1, request: { url: `${target.url}p?i=${i}`, ...request } })] }, `${request.method}-${i}`);
      results.push(totalOf(done));
      const last = target.requests().at(-1);
      assert.ok(last);
      const { host, connection, ...rest } = last.headers;
      seen.push({ method: last.method, url: last.url, body: last.body, headers: rest, host, connection });
    }
    if (request.method === "HEAD") {
      // undici closes the connection after every HEAD (defence against servers that send a body);
      // the fast path's parser knows a HEAD answer has none and keeps the connection.
      assert.equal((seen[0] as { connection: string }).connection, "keep-alive");
      for (const entry of seen) delete (entry as { connection?: string }).connection;
    }
    assert.deepEqual(seen[0], seen[1], `${request.method}: the same request on the wire`);
    const [fast, undici] = results;
    assert.ok(fast && undici);
    assert.deepEqual(summary(fast), summary(undici), `${request.method}: the same counts`);
    assert.equal(fast.bytesReceived, request.method === "HEAD" ? 0 : 2 * "answer".length);
  }
});

/** Drives one exchange of a client directly. */
function driver(client: HttpClient): { send(): Promise<{ status: number; bytes: number } | Error>; exchange: Exchange } {
  let settle: ((outcome: { status: number; bytes: number } | Error) => void) | null = null;
  const exchange = client.createExchange({
    onResponse: (status, bytes) => settle?.({ status, bytes }),
    onFailure: (error) => settle?.(error),
    onRetry: () => undefined,
  });
  return {
    exchange,
    send: () =>
      new Promise((resolve) => {
        settle = resolve;
        exchange.send();
      }),
  };
}

function plan(url: string): RequestPlan {
  const shard = compileShard({ series: [series(url, { numRequests: 1 })] });
  const request = shard.series[0]?.request;
  assert.ok(request);
  return request;
}

const clientOptions = { connections: 1, requestTimeoutMs: 5000, insecureSkipVerify: false, maxRedirects: 0 };

test("destroy fails the request in flight; close waits for it", async (t) => {
  const target = await startHttpTarget({ delayMs: 300 });
  t.after(() => target.close());
  const destroyed = createFastClient(plan(target.url), clientOptions);
  const a = driver(destroyed);
  const pending = a.send();
  await waitUntil(() => target.received() === 1, { what: "the request to arrive" });
  await destroyed.destroy();
  const outcome = await pending;
  assert.ok(outcome instanceof Error);
  assert.equal((outcome as Error & { code?: string }).code, "UND_ERR_DESTROYED");
  const after = await a.send();
  assert.ok(after instanceof Error, "a destroyed client fails new sends");

  const closing = createFastClient(plan(target.url), clientOptions);
  const b = driver(closing);
  const inFlight = b.send();
  await waitUntil(() => target.received() === 2, { what: "the second request to arrive" });
  await Promise.all([closing.close(), inFlight]);
  assert.deepEqual(await inFlight, { status: 200, bytes: 2 });
  const late = await b.send();
  assert.ok(late instanceof Error);
  assert.equal((late as Error & { code?: string }).code, "UND_ERR_CLOSED");
});

test("an idle keep-alive socket is closed within a few seconds, and the next send reconnects", async (t) => {
  let closedSockets = 0;
  const target = await startRawTarget(t, (socket) => {
    socket.once("close", () => (closedSockets += 1));
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const client = createFastClient(plan(target.url), clientOptions);
  t.after(() => client.destroy());
  const d = driver(client);
  assert.deepEqual(await d.send(), { status: 200, bytes: 2 });
  await waitUntil(() => closedSockets === 1, { timeoutMs: 8000, what: "the idle socket to close" });
  assert.deepEqual(await d.send(), { status: 200, bytes: 2 });
  assert.equal(target.connections(), 2);
  await client.close();
});
