/**
 * The dashboard's server-side pieces without a browser: the tokens file's names, sessions and
 * their cookie, the CSRF and host checks, SSE frames, the static page's escaping and CSP, the
 * `--ui [ADDR]` flag, interval snapshots and the latency buckets they carry.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { describe, it } from "node:test";
import { UI_FLAG, uiListenAddress } from "../../../cli/ui.js";
import { defineCommand } from "../../../cli/command.js";
import type { CliIo } from "../../../cli/output.js";
import { EventChannel, SessionStore, parseTokens, sseFrame, staticPageHtml, startDashboardServer, tokenAuthenticator } from "../../../coordinator/index.js";
import type { DashboardSource } from "../../../coordinator/index.js";
import { SnapshotBuilder } from "../../../coordinator/load/snapshot.js";
import type { VersionSnapshot } from "../../../coordinator/load/snapshot.js";
import { RunMerger } from "../../../coordinator/load/merger.js";
import { MAX_POINTS_PER_TASK, recordTimelinePoint } from "../../../coordinator/runner/timeline.js";
import { Agent, fetch as undiciFetch } from "undici";
import { TEST_TLS_CERT, TEST_TLS_KEY } from "../../harness/tls-fixture.js";
import { createHistogram, encodeHistogram, logBuckets, pb, recordMicros, silentLogger } from "../../../core/index.js";
import type { DashboardStaticData, ResultDocument } from "../../../core/index.js";

describe("tokens file names", () => {
  it("accepts token: role and token: {role, name}; the name is the caller's name", () => {
    const tokens = parseTokens({ tokens: { "plain-token-1": "viewer", "named-token-1": { role: "operator", name: "alice" } } }, "t.yaml");
    const auth = tokenAuthenticator(tokens);
    assert.deepEqual(auth.authenticateToken("plain-token-1"), { role: "viewer", name: "viewer" });
    assert.deepEqual(auth.authenticateToken("named-token-1"), { role: "operator", name: "alice" });
    assert.throws(() => auth.authenticateToken("wrong-token-1"), /not valid/);
    assert.throws(() => parseTokens({ "named-token-1": { role: "operator", nick: "x" } }, "t.yaml"), /unknown keys nick/);
    assert.throws(() => parseTokens({ "named-token-1": { role: "operator", name: "" } }, "t.yaml"), /name must be a non-empty string/);
  });
});

describe("sessions", () => {
  it("expire and are bounded", () => {
    let now = 0;
    const store = new SessionStore({ ttlMs: 1000, maxSessions: 2, now: () => now });
    const a = store.create({ role: "viewer", name: "a" });
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(store.get(a)?.name, "a");
    now = 1000;
    assert.equal(store.get(a), undefined);
    const b = store.create({ role: "viewer", name: "b" });
    store.create({ role: "viewer", name: "c" });
    store.create({ role: "viewer", name: "d" });
    assert.equal(store.get(b), undefined, "the oldest session went first");
  });
});

describe("--ui [ADDR]", () => {
  it("takes an address only when it looks like HOST:PORT", async () => {
    const seen: (string | undefined)[] = [];
    const command = defineCommand({
      name: "probe",
      summary: "test",
      positionals: [{ name: "FILE", description: "a file", required: false }],
      flags: { ui: UI_FLAG, "no-progress": { type: "boolean", description: "x" } },
      run: ({ flags }) => {
        seen.push(flags.ui === undefined ? undefined : uiListenAddress(flags.ui));
        return Promise.resolve(0);
      },
    });
    const io = { stdout: process.stdout, stderr: process.stderr, env: {} } as unknown as CliIo;
    for (const argv of [["x.yaml", "--ui"], ["--ui", "x.yaml"], ["--ui", "0.0.0.0:8080", "x.yaml"], ["--ui", ":9000"], ["--ui", "[::1]:9000", "--no-progress"], ["--ui=localhost:1"], ["x.yaml"]]) {
      await command.run(argv, io);
    }
    assert.deepEqual(seen, ["127.0.0.1:7234", "127.0.0.1:7234", "0.0.0.0:8080", "127.0.0.1:9000", "[::1]:9000", "localhost:1", undefined]);
    assert.match(command.help(), /--ui \[ADDR\]/);
  });
});

describe("SSE frames", () => {
  it("carry the seq as the event id and are serialised once per shared event", () => {
    const channel = new EventChannel({ snapshot: () => ({ skipped: false }) });
    const event = channel.publish({ agentLost: { agentId: "a1", reason: "</script><b>" } });
    const frame = sseFrame(event);
    assert.equal(frame, `id: 1\ndata: ${JSON.stringify(event)}\n\n`);
    assert.equal(sseFrame(event), frame);
    assert.ok(!frame.slice(0, -2).includes("\n\n"), "one frame");
  });
});

describe("static page", () => {
  it("embeds the data as inert JSON and allows only its own inline script and style", () => {
    const data = {
      experiment: { summary: { id: "x", name: "</script><script>alert(1)</script>" }, result: null, distributions: {} },
      generatedAt: "2026-01-01T00:00:00.000Z",
    } as unknown as DashboardStaticData;
    const html = staticPageHtml(data, { script: "console.info('</script>')", style: "body{}", scriptEtag: "", styleEtag: "" });
    assert.ok(!html.includes("<script>alert(1)"), "the data cannot close its script element");
    assert.match(html, /<title>Assay report: &lt;\/script&gt;/);
    const script = "console.info('<\\/script>')";
    const hash = createHash("sha256").update(script).digest("base64");
    assert.ok(html.includes(`script-src 'sha256-${hash}'`), "the CSP allows exactly the inline script");
    assert.ok(html.includes(`<script>${script}</script>`));
    assert.doesNotMatch(html, /unsafe-inline|https?:\/\//);
  });
});

describe("dashboard server checks", () => {
  it("without auth answers only to loopback Host names and refuses a non-loopback address", async () => {
    const source: DashboardSource = {
      mode: "coordinator",
      list: () => [],
      describe: () => Promise.reject(new Error("unused")),
      watch: () => {
        throw new Error("unused");
      },
      agents: () => [],
    };
    const server = await startDashboardServer({ source, logger: silentLogger(), listen: "127.0.0.1:0" });
    try {
      const ok = await fetch(`${server.url}api/experiments`);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { experiments: [] });
      // fetch() does not let a caller set Host; a DNS-rebinding page's requests carry its own name.
      const rebound = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}api/experiments`, { headers: { host: "attacker.example" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal(rebound, 421);
    } finally {
      await server.close();
    }
    await assert.rejects(startDashboardServer({ source, logger: silentLogger(), listen: "0.0.0.0:0" }), /without TLS and authentication/);
  });
});

describe("dashboard over TLS with tokens", () => {
  it("sets a Secure session cookie for a good token and streams only with it", async () => {
    const channel = new EventChannel({ snapshot: (skipped) => ({ skipped }) });
    channel.publish({ agentLost: { agentId: "a1", reason: "gone" } });
    const source: DashboardSource = {
      mode: "coordinator",
      list: () => [],
      describe: () => Promise.resolve({ summary: { id: "e1" }, result: undefined }),
      watch: (_id, sink, fromSeq) => channel.watch(sink, fromSeq),
      agents: () => [],
    };
    const server = await startDashboardServer({
      source,
      logger: silentLogger(),
      listen: "127.0.0.1:0",
      authenticator: tokenAuthenticator(parseTokens({ "viewer-token-1": { role: "viewer", name: "dana" } }, "t.yaml")),
      tls: { cert: Buffer.from(TEST_TLS_CERT), key: Buffer.from(TEST_TLS_KEY) },
    });
    const dispatcher = new Agent({ connect: { ca: TEST_TLS_CERT } });
    // undici's own fetch: it takes a dispatcher trusting the test certificate.
    const get = (path: string, headers: Record<string, string> = {}) => undiciFetch(`${server.url}${path}`, { headers, dispatcher });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal((await get("api/experiments/e1/events")).status, 401);
      const signIn = (token: string) =>
        undiciFetch(`${server.url}api/session`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-assay-dashboard": "1" },
          body: JSON.stringify({ token }),
          dispatcher,
        });
      const bad = await signIn("wrong-token-1");
      assert.equal(bad.status, 401);
      assert.equal(bad.headers.get("set-cookie"), null);
      const good = await signIn("viewer-token-1");
      assert.equal(good.status, 200);
      const cookie = good.headers.get("set-cookie") ?? "";
      assert.match(cookie, /^assay_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
      const session = cookie.split(";")[0] ?? "";
      assert.deepEqual(await (await get("api/session", { cookie: session })).json(), { auth: true, signedIn: true, name: "dana", role: "viewer", mode: "coordinator" });
      const stream = await get("api/experiments/e1/events", { cookie: session });
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
      channel.close();
      const text = await stream.text();
      assert.match(text, /^retry: 2000\n\nid: 1\ndata: \{.*"snapshot"/s);
      assert.match(text, /event: end\n/);
    } finally {
      await server.close();
      await dispatcher.close();
    }
  });
});

describe("interval snapshots", () => {
  function report(seq: number, latenciesUs: number[], errors: number): ReturnType<typeof pb.IntervalReport.create> {
    const histogram = createHistogram();
    for (const us of latenciesUs) recordMicros(histogram, us);
    return pb.IntervalReport.create({
      runId: "r",
      agentId: "a1",
      shardId: "s1",
      seq,
      intervalStartMs: seq * 1000,
      intervalEndMs: seq * 1000 + 1000,
      series: [{ version: "v1", endpoint: "", requests: latenciesUs.length, errors, latencyHistogram: encodeHistogram(histogram) }],
    });
  }

  it("gives each interval its own counts and percentiles, and the cumulative ones", () => {
    const merger = new RunMerger();
    const builder = new SnapshotBuilder(0);
    merger.mergeReport(report(1, Array.from({ length: 100 }, () => 1000), 0));
    const first = builder.next(merger, {}, 1000);
    assert.equal(first.intervalMs, 0);
    assert.equal(first.versions[0]?.intervalRequests, 100);
    merger.mergeReport(report(2, Array.from({ length: 100 }, () => 50_000), 10));
    const second = builder.next(merger, {}, 2000);
    const v1 = second.versions[0];
    assert.equal(second.intervalMs, 1000);
    assert.equal(v1?.requests, 200);
    assert.equal(v1?.intervalRequests, 100);
    assert.equal(v1?.intervalErrors, 10);
    assert.ok(Math.abs((v1?.intervalP50Ms ?? 0) - 50) < 0.1, `the interval's p50 is its own (${String(v1?.intervalP50Ms)})`);
    assert.ok(Math.abs((v1?.p50Ms ?? 0) - 1) < 0.01, `the cumulative p50 covers both intervals (${String(v1?.p50Ms)})`);
    assert.deepEqual(second.agents, [{ agentId: "a1", shards: 1, shardsDone: 0, requests: 200, reportsMerged: 2, lastReportMs: second.agents[0]?.lastReportMs ?? 0 }]);
    builder.close();
  });

  it("counts a histogram in log-spaced buckets that sum to its total", () => {
    const histogram = createHistogram();
    for (const us of [120, 950, 1000, 1050, 9_000, 250_000]) recordMicros(histogram, us);
    const buckets = logBuckets(histogram);
    assert.equal(buckets.reduce((sum, b) => sum + b.count, 0), 6);
    assert.ok(buckets.every((b, i) => i === 0 || b.leMs > (buckets[i - 1]?.leMs ?? 0)));
    const bucketOf = (ms: number): number => buckets.findIndex((b) => ms <= b.leMs * 1.0001);
    assert.equal(buckets[bucketOf(1)]?.count, 2, "0.95 ms and 1 ms share the bucket up to 1 ms");
    assert.deepEqual(logBuckets(createHistogram()), []);
  });
});

describe("result timeline", () => {
  it("keeps every snapshot of a load task, thinned past the cap, first and newest kept", () => {
    const result = { timeline: undefined } as unknown as ResultDocument;
    const total = MAX_POINTS_PER_TASK * 2 + 7;
    for (let i = 0; i < total; i++) {
      const version: VersionSnapshot = {
        version: "v1", requests: i, errors: 0, dropped: 0, intervalRequests: 1, intervalErrors: 0, intervalDropped: 0,
        intervalP50Ms: null, intervalP95Ms: null, intervalP99Ms: null, intervalServiceP50Ms: null, intervalServiceP95Ms: null, intervalServiceP99Ms: null,
        p50Ms: null, p95Ms: null, p99Ms: null, latencyBuckets: [],
      };
      recordTimelinePoint(result, 0, { elapsedMs: i * 1000, intervalMs: 1000, startSkewMs: 0, versions: [version], agents: [] }, i);
    }
    const points = result.timeline ?? [];
    assert.ok(points.length <= MAX_POINTS_PER_TASK && points.length > MAX_POINTS_PER_TASK / 2, `${points.length} points`);
    assert.equal(points[0]?.elapsedMs, 0);
    assert.equal(points.at(-1)?.elapsedMs, (total - 1) * 1000);
    assert.deepEqual(points.at(-1)?.versions[0], {
      version: "v1", requests: total - 1, errors: 0, dropped: 0, intervalRequests: 1, intervalErrors: 0, intervalDropped: 0,
      intervalP50Ms: null, intervalP95Ms: null, intervalP99Ms: null, intervalServiceP50Ms: null, intervalServiceP95Ms: null, intervalServiceP99Ms: null,
    });
    assert.ok(points.every((p, i) => i === 0 || p.elapsedMs > (points[i - 1]?.elapsedMs ?? 0)), "in order");
  });
});
