import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { connect, StringCodec } from "nats";
import { Agent, request } from "undici";
import { cleanupAll, freePort, makeTempDir, startHttpTarget, startNatsServer, startProcess, startPrometheus, teardown, waitUntil } from "../../harness/index.js";

after(cleanupAll);

const agent = new Agent({ keepAliveTimeout: 10_000 });
after(() => agent.close());

async function get(url: string, init: { method?: "GET" | "POST"; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; elapsedMs: number }> {
  const startMs = Date.now();
  const res = await request(url, { dispatcher: agent, method: init.method ?? "GET", body: init.body ?? null, headers: init.headers ?? {} });
  const body = await res.body.text();
  return { status: res.statusCode, body, elapsedMs: Date.now() - startMs };
}

void describe("freePort and waitUntil", () => {
  void it("freePort returns a usable port", async () => {
    const port = await freePort();
    assert.ok(Number.isInteger(port) && port > 0 && port < 65536);
    assert.notEqual(port, 4222);
  });

  void it("waitUntil resolves once the probe turns true", async () => {
    let calls = 0;
    await waitUntil(() => ++calls >= 3, { intervalMs: 5 });
    assert.equal(calls, 3);
  });

  void it("waitUntil names what it waited for and the last probe error", async () => {
    await assert.rejects(
      waitUntil(
        () => {
          throw new Error("connection refused");
        },
        { timeoutMs: 100, intervalMs: 10, what: "the widget" },
      ),
      (err: Error) => err.message.includes("the widget") && err.message.includes("connection refused"),
    );
  });
});

void describe("teardown", () => {
  void it("runs the steps last-added first, every one even after a failure, and rethrows the first error", async () => {
    const hooks: (() => Promise<void>)[] = [];
    const t = { after: (fn: () => Promise<void>) => void hooks.push(fn) };
    const ran: string[] = [];
    const stack = teardown(t);
    stack.defer(() => ran.push("server"));
    stack.defer(() => {
      ran.push("client");
      throw new Error("client close failed");
    });
    teardown(t).defer(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      ran.push("agent");
    });
    assert.equal(hooks.length, 1, "one after hook per test, however many helpers add steps");
    await assert.rejects(hooks[0]!(), /client close failed/);
    assert.deepEqual(ran, ["agent", "client", "server"]);
  });
});

void describe("startHttpTarget", () => {
  void it("answers ok with keep-alive and counts requests", async (t) => {
    const target = await startHttpTarget();
    t.after(() => target.close());
    assert.equal(target.url, `http://127.0.0.1:${target.port}/`);
    const first = await get(target.url);
    const second = await get(`${target.url}x`);
    assert.deepEqual([first.status, first.body, second.status], [200, "ok", 200]);
    assert.equal(target.served(), 2);
    assert.equal(target.received(), 2);
  });

  void it("uses status and body options", async (t) => {
    const target = await startHttpTarget({ status: 204, body: "" });
    t.after(() => target.close());
    assert.equal((await get(target.url)).status, 204);
  });

  void it("failEvery fails exactly every Nth request by arrival order", async (t) => {
    const target = await startHttpTarget({ failEvery: 3, body: "fine" });
    t.after(() => target.close());
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await get(target.url)).status);
    assert.deepEqual(statuses, [200, 200, 500, 200, 200, 500, 200, 200, 500]);
  });

  void it("delayMs as a function delays only the chosen requests", async (t) => {
    const seen: number[] = [];
    const target = await startHttpTarget({
      delayMs: (n) => {
        seen.push(n);
        return n === 2 ? 400 : 0;
      },
    });
    t.after(() => target.close());
    await get(target.url);
    const slow = await get(target.url);
    assert.ok(slow.elapsedMs >= 350, `request 2 took ${slow.elapsedMs}ms, expected >= 350`);
    assert.deepEqual(seen, [1, 2]);
  });

  void it("a fixed delayMs delays every request", async (t) => {
    const target = await startHttpTarget({ delayMs: 200 });
    t.after(() => target.close());
    const results = await Promise.all([get(target.url), get(target.url)]);
    for (const r of results) assert.ok(r.elapsedMs >= 180, `took ${r.elapsedMs}ms`);
  });

  void it("stallOnce holds request afterRequests+1 and everything arriving during the stall, once", async (t) => {
    const stallMs = 1500;
    const target = await startHttpTarget({ stallOnce: { afterRequests: 2, stallMs } });
    t.after(() => target.close());
    await get(target.url);
    await get(target.url);
    const stallStartMs = Date.now();
    const stalled = get(target.url);
    await waitUntil(() => target.received() === 3, { what: "request 3 to arrive" });
    const during = get(target.url);
    await waitUntil(() => target.received() === 4, { what: "request 4 to arrive" });
    assert.equal(target.served(), 2, "nothing is answered during the stall");
    const [third, fourth] = await Promise.all([stalled, during]);
    assert.ok(third.elapsedMs >= stallMs - 50, `request 3 took ${third.elapsedMs}ms`);
    assert.ok(Date.now() - stallStartMs >= stallMs - 50);
    assert.equal(fourth.status, 200);
    const afterwards = await get(target.url);
    assert.ok(afterwards.elapsedMs < stallMs * 0.7, `request 5 took ${afterwards.elapsedMs}ms: stalled again`);
    assert.equal(target.served(), 5);
  });

  void it("record keeps method, url, headers and body of the last 100 requests", async (t) => {
    const target = await startHttpTarget({ record: true });
    t.after(() => target.close());
    await get(`${target.url}submit?x=1`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json", "x-assay": "yes" } });
    const [first] = target.requests();
    assert.ok(first);
    assert.equal(first.n, 1);
    assert.equal(first.method, "POST");
    assert.equal(first.url, "/submit?x=1");
    assert.equal(first.headers["x-assay"], "yes");
    assert.equal(first.body, '{"a":1}');
    for (let i = 0; i < 104; i++) await get(target.url);
    const all = target.requests();
    assert.equal(all.length, 100);
    assert.equal(all[0]?.n, 6);
    assert.equal(all[99]?.n, 105);
  });

  void it("requests() refuses when record is off", async (t) => {
    const target = await startHttpTarget();
    t.after(() => target.close());
    assert.throws(() => target.requests(), /record/);
  });

  void it("handler takes full control and gets the request number", async (t) => {
    const target = await startHttpTarget({
      handler: (_req, res, n) => {
        res.writeHead(201, { "x-n": String(n) });
        res.end(`n=${n}`);
      },
    });
    t.after(() => target.close());
    await get(target.url);
    const second = await get(target.url);
    assert.deepEqual([second.status, second.body], [201, "n=2"]);
  });

  void it("serves HTTPS with a self-signed cert that clients can trust via ca", async (t) => {
    const target = await startHttpTarget({ https: true, body: "secure" });
    t.after(() => target.close());
    assert.ok(target.url.startsWith("https://127.0.0.1:"));
    assert.ok(target.ca?.includes("BEGIN CERTIFICATE"));
    const tlsAgent = new Agent({ connect: { ca: target.ca } });
    t.after(() => tlsAgent.close());
    const res = await request(target.url, { dispatcher: tlsAgent });
    assert.equal(await res.body.text(), "secure");
    const untrusting = new Agent();
    t.after(() => untrusting.close());
    await assert.rejects(request(target.url, { dispatcher: untrusting }));
  });

  void it("close never hangs on open keep-alive connections or held requests", async () => {
    const target = await startHttpTarget({ delayMs: (n) => (n === 1 ? 0 : 60_000) });
    await get(target.url);
    const pending = get(target.url).catch((err: unknown) => err);
    await waitUntil(() => target.received() === 2, { what: "request 2 to arrive" });
    const startMs = Date.now();
    await target.close();
    assert.ok(Date.now() - startMs < 5000);
    assert.ok((await pending) instanceof Error, "the held request fails once the target is closed");
    await target.close();
  });
});

void describe("startProcess", () => {
  void it("waits for readiness, collects output and stops with SIGTERM", async (t) => {
    const port = await freePort();
    const script = `require("node:http").createServer((q, s) => s.end("hi")).listen(${port}, "127.0.0.1", () => console.log("listening"));`;
    const proc = await startProcess(process.execPath, ["-e", script], {
      name: "tiny-server",
      ready: async () => (await fetch(`http://127.0.0.1:${port}/`)).ok,
    });
    t.after(() => proc.stop());
    assert.ok(proc.pid > 0);
    await waitUntil(() => proc.stdout().includes("listening"), { what: "stdout line" });
    const code = await proc.stop();
    assert.equal(code, null, "ended by SIGTERM");
    assert.equal(proc.child.signalCode, "SIGTERM");
    assert.equal(await proc.exited, null);
  });

  void it("escalates to SIGKILL when SIGTERM is ignored", async () => {
    const proc = await startProcess(process.execPath, ["-e", `process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000);`], {
      ready: () => Promise.resolve(true),
    });
    await waitUntil(() => proc.stdout().includes("up"), { what: "handler installed" });
    await proc.stop("SIGTERM", 300);
    assert.equal(proc.child.signalCode, "SIGKILL");
  });

  void it("fails with the stderr tail when the process exits before it is ready", async () => {
    await assert.rejects(
      startProcess(process.execPath, ["-e", `console.error("bad config: nope"); process.exit(3);`], {
        name: "broken",
        ready: () => Promise.resolve(false),
      }),
      (err: Error) => err.message.includes("broken exited (code 3") && err.message.includes("bad config: nope"),
    );
  });

  void it("fails when the command does not exist", async () => {
    await assert.rejects(startProcess("/nonexistent/assay-binary", []), /could not start/);
  });
});

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

void describe("startNatsServer", () => {
  void it("starts a private server with JetStream; pub/sub round trip works", async (t) => {
    const server = await startNatsServer();
    teardown(t).defer(() => server.stop());
    assert.notEqual(server.port, 4222);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const nc = await connect({ servers: server.url });
    teardown(t).defer(() => nc.close());
    const sc = StringCodec();
    const sub = nc.subscribe("assay.test.echo", { max: 1 });
    nc.publish("assay.test.echo", sc.encode("hello"));
    const received: string[] = [];
    for await (const msg of sub) received.push(sc.decode(msg.data));
    assert.deepEqual(received, ["hello"]);
    const jsm = await nc.jetstreamManager();
    const info = await jsm.getAccountInfo();
    assert.equal(typeof info.limits.max_storage, "number");
  });

  void it("jetstream: false starts a server without JetStream", async (t) => {
    const server = await startNatsServer({ jetstream: false });
    teardown(t).defer(() => server.stop());
    const nc = await connect({ servers: server.url });
    teardown(t).defer(() => nc.close());
    await assert.rejects(nc.jetstreamManager());
  });

  void it("restart keeps the port and the JetStream store; stop and kill really end the process", async (t) => {
    const server = await startNatsServer();
    teardown(t).defer(() => server.stop());
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    teardown(t).defer(() => nc.close());
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: "HARNESS", subjects: ["harness.>"] });
    await nc.jetstream().publish("harness.one", StringCodec().encode("kept"));

    const firstPid = server.process().pid;
    server.kill();
    assert.equal(await server.process().exited, null, "SIGKILL ends it");
    assert.equal(server.process().child.signalCode, "SIGKILL");
    assert.equal(await tcpAccepts(server.port), false);

    await server.restart();
    assert.notEqual(server.process().pid, firstPid);
    assert.equal(await tcpAccepts(server.port), true);
    await waitUntil(() => !nc.isClosed() && nc.info !== undefined && nc.info.port === server.port, { what: "client reconnect" });
    let stream: Awaited<ReturnType<typeof jsm.streams.info>> | undefined;
    await waitUntil(
      async () => {
        stream = await jsm.streams.info("HARNESS");
        return true;
      },
      { what: "stream info after restart" },
    );
    assert.equal(stream?.state.messages, 1, "the store dir survived the restart");

    const pid = server.process().pid;
    await server.stop();
    assert.equal(pidAlive(pid), false);
    assert.equal(await tcpAccepts(server.port), false);
  });
});

void describe("cleanup guarantees", () => {
  void it("a test process that exits without cleanup still kills its servers and removes temp dirs", async () => {
    const dir = await makeTempDir("exit-hook");
    const script = join(dir, "forgetful.mjs");
    const harnessUrl = new URL("../../harness/index.js", import.meta.url).href;
    await writeFile(
      script,
      `import { startNatsServer } from ${JSON.stringify(harnessUrl)};
       const server = await startNatsServer();
       console.log(JSON.stringify({ pid: server.process().pid, port: server.port, storeDir: server.storeDir }));
       process.exit(0);`,
    );
    const loaderArgs = process.execArgv.filter((arg) => !arg.startsWith("--test"));
    const child = await startProcess(process.execPath, [...loaderArgs, script], { name: "forgetful test" });
    assert.equal(await child.exited, 0, child.stderr());
    const started = JSON.parse(child.stdout().trim()) as { pid: number; port: number; storeDir: string };
    await waitUntil(() => !pidAlive(started.pid), { what: "the orphaned nats-server to die" });
    assert.equal(await tcpAccepts(started.port), false);
    assert.equal(existsSync(started.storeDir), false);
  });
});

void describe("startPrometheus", () => {
  void it("scrapes a /metrics endpoint and waitForSeries finds the series", async (t) => {
    let scrapes = 0;
    const metrics = createServer((req, res) => {
      if (req.url !== "/custom-metrics") {
        res.writeHead(404).end();
        return;
      }
      scrapes += 1;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(`# HELP assay_harness_up A test gauge.\n# TYPE assay_harness_up gauge\nassay_harness_up{role="probe"} 42\n`);
    });
    await new Promise<void>((resolve) => metrics.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => metrics.close(() => resolve())));
    const address = metrics.address();
    assert.ok(address !== null && typeof address === "object");

    const prom = await startPrometheus({ scrapeTargets: [`127.0.0.1:${address.port}`], scrapeIntervalMs: 500, metricsPath: "/custom-metrics" });
    t.after(() => prom.stop());
    assert.equal(prom.url, `http://127.0.0.1:${prom.port}`);
    assert.deepEqual(await prom.query('absent_series_xyz{job="none"}'), []);

    const series = await prom.waitForSeries('assay_harness_up{role="probe"}', 30_000);
    assert.equal(series.length, 1);
    assert.equal(series[0]?.value?.[1], "42");
    assert.equal(series[0]?.metric.job, "assay-test");
    assert.ok(scrapes >= 1);

    await assert.rejects(prom.query("this is not promql("), /failed/);
    await assert.rejects(prom.waitForSeries("never_exists_metric", 600), /never_exists_metric/);

    const pid = prom.process.pid;
    await prom.stop();
    assert.equal(pidAlive(pid), false);
  });
});
