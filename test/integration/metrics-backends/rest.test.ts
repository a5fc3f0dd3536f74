import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ValidationError } from "../../../core/index.js";
import { customMetricsRunner } from "../../../coordinator/metrics-backends/index.js";
import { cleanupAll, freePort, startHttpTarget } from "../../harness/index.js";
import { customMetricsSpec, envSecrets, recordingContext } from "./context.js";

after(cleanupAll);

const TOKEN = "s3cr3t-token-value";

/** A REST backend with a nested JSON shape, per version, behind a bearer token. */
function statsBackend(perVersion: Record<string, unknown>) {
  const seen: { url: string; authorization: string | undefined; body: string }[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      seen.push({ url: req.url ?? "", authorization: req.headers.authorization, body: Buffer.concat(chunks).toString("utf8") });
      const send = (status: number, body: string, type = "application/json"): void => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, JSON.stringify({ error: "unauthorized" }));
      if (url.pathname === "/broken") return send(500, JSON.stringify({ error: "database on fire" }));
      if (url.pathname === "/text") return send(200, "not json at all", "text/plain");
      const version = url.searchParams.get("version") ?? "";
      send(200, JSON.stringify({ data: { versions: [{ name: version, stats: perVersion[version] ?? {} }] } }));
    });
  };
  return { seen, handler };
}

void test("REST provider: nested JSON, sample types, one request per distinct query, bearer auth never logged", async () => {
  const backend = statsBackend({
    v1: { conversions: 20, users: 200, latency: { mean: 12.5 }, revenue: { n: 50, sum: 500, sumsq: 5200 } },
    v2: { conversions: 35, users: 210, latency: { mean: "11.25" }, revenue: { n: 60, sum: 660, sumsq: 7400 } },
  });
  const target = await startHttpTarget({ handler: backend.handler });
  const spec = customMetricsSpec({
    values: { base: target.url.replace(/\/$/, "") },
    versionValues: [{ version: "v1" }, { version: "v2" }],
    providers: [
      {
        name: "shop",
        type: "rest",
        url: "{{ .base }}/stats",
        params: { version: "{{ .version }}", window: "{{ .elapsedTimeSeconds }}s" },
        auth: { type: "bearer", tokenFromEnv: "SHOP_TOKEN" },
        metrics: [
          { name: "conversion", type: "rate", successes: { jqExpression: ".data.versions[0].stats.conversions" }, trials: { jqExpression: "$.data.versions[0].stats.users" } },
          { name: "latency", type: "gauge", units: "msec", jqExpression: ".data.versions[0].stats.latency.mean | tonumber" },
          {
            name: "revenue",
            type: "mean",
            count: { jqExpression: ".data.versions[0].stats.revenue.n" },
            sum: { jqExpression: ".data.versions[0].stats.revenue.sum" },
            sumOfSquares: { jqExpression: "$['data']['versions'][0]['stats']['revenue']['sumsq']" },
          },
        ],
      },
    ],
  });
  const rec = recordingContext(spec, { secrets: envSecrets({ SHOP_TOKEN: TOKEN }) });
  const outcome = await customMetricsRunner(spec, rec.context);
  assert.deepEqual(rec.result.versions, ["v1", "v2"]);
  assert.deepEqual(rec.result.metrics["v1"], { "shop/conversion": 0.1, "shop/latency": 12.5, "shop/revenue": 10 });
  assert.deepEqual(rec.result.metrics["v2"], { "shop/conversion": 35 / 210, "shop/latency": 11.25, "shop/revenue": 11 });
  assert.deepEqual(rec.result.samples?.["v2"]?.["shop/conversion"], { type: "rate", successes: 35, trials: 210 });
  assert.deepEqual(rec.result.samples?.["v1"]?.["shop/revenue"], { type: "mean", count: 50, sum: 500, sumOfSquares: 5200 });
  assert.equal(rec.result.samples?.["v1"]?.["shop/latency"], undefined);
  assert.equal(rec.infos["shop/latency"]?.units, "msec");
  assert.deepEqual(rec.result.metricErrors, {});
  assert.equal(outcome.detail?.["metrics"], 6);
  // Every part of a version asks the same URL: one request per version.
  assert.equal(backend.seen.length, 2);
  assert.ok(backend.seen.every((r) => r.authorization === `Bearer ${TOKEN}`));
  assert.match(backend.seen[0]!.url, /^\/stats\?version=v1&window=(29|3\d)s$/);
  assert.ok(!rec.logs().includes(TOKEN), "the token was logged");
  assert.ok(!JSON.stringify(rec.result).includes(TOKEN));
});

void test("REST provider: POST with a templated body carrying the query", async () => {
  const target = await startHttpTarget({
    record: true,
    handler: (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { sql: string; version: string };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ rows: [{ value: body.sql.includes("signups") ? 7 : 1000, version: body.version }] }));
      });
    },
  });
  const spec = customMetricsSpec({
    versionValues: [{ version: "blue" }],
    providers: [
      {
        name: "db",
        type: "rest",
        url: target.url,
        method: "POST",
        body: '{"sql": {{ .query | toJson }}, "version": "{{ .version }}"}',
        metrics: [{ name: "signup-rate", type: "rate", jqExpression: ".rows[0].value", successes: "select count(*) from signups where v = '{{ .version }}'", trials: "select count(*) from visits" }],
      },
    ],
  });
  const rec = recordingContext(spec);
  await customMetricsRunner(spec, rec.context);
  assert.deepEqual(rec.result.metricErrors, {});
  assert.equal(rec.result.metrics["blue"]?.["db/signup-rate"], 7 / 1000);
});

void test("bad inputs: backend down, HTTP 500, not JSON, missing value, NaN, zero trials, bad auth — each a per-metric error", async () => {
  const backend = statsBackend({ v1: { users: 0, conversions: 0, weird: "NaN", inf: "+Inf", text: "abc" } });
  const target = await startHttpTarget({ handler: backend.handler });
  const base = target.url.replace(/\/$/, "");
  const downPort = await freePort();
  const auth = { type: "bearer", tokenFromEnv: "SHOP_TOKEN" };
  const spec = customMetricsSpec({
    versionValues: [{ version: "v1" }],
    timeout: "5s",
    providers: [
      { name: "down", type: "rest", url: `http://127.0.0.1:${downPort}/stats`, metrics: [{ name: "x", jqExpression: ".a" }] },
      { name: "broken", type: "rest", url: `${base}/broken`, auth, metrics: [{ name: "x", jqExpression: ".a" }] },
      { name: "text", type: "rest", url: `${base}/text`, auth, metrics: [{ name: "x", jqExpression: ".a" }] },
      { name: "noauth", type: "rest", url: `${base}/stats`, metrics: [{ name: "x", jqExpression: ".a" }] },
      {
        name: "shop",
        type: "rest",
        url: `${base}/stats`,
        params: { version: "{{ .version }}" },
        auth,
        metrics: [
          { name: "missing", jqExpression: ".data.versions[0].stats.nothing" },
          { name: "nan", jqExpression: ".data.versions[0].stats.weird" },
          { name: "inf", jqExpression: ".data.versions[0].stats.inf" },
          { name: "text", jqExpression: ".data.versions[0].stats.text" },
          { name: "conversion", type: "rate", successes: { jqExpression: ".data.versions[0].stats.conversions" }, trials: { jqExpression: ".data.versions[0].stats.users" } },
        ],
      },
    ],
  });
  const rec = recordingContext(spec, { secrets: envSecrets({ SHOP_TOKEN: TOKEN }) });
  const outcome = await customMetricsRunner(spec, rec.context);
  const errors = rec.result.metricErrors?.["v1"] ?? {};
  assert.match(errors["down/x"] ?? "", /GET http:\/\/127\.0\.0\.1:\d+\/stats failed: .*ECONNREFUSED/);
  assert.match(errors["broken/x"] ?? "", /HTTP 500: database on fire/);
  assert.match(errors["text/x"] ?? "", /not JSON/);
  assert.match(errors["noauth/x"] ?? "", /HTTP 401/);
  assert.match(errors["shop/missing"] ?? "", /no value at \.data\.versions\[0\]\.stats\.nothing/);
  assert.match(errors["shop/nan"] ?? "", /is NaN/);
  assert.match(errors["shop/inf"] ?? "", /not finite/);
  assert.match(errors["shop/text"] ?? "", /is NaN \("abc"\)/);
  assert.match(errors["shop/conversion"] ?? "", /trials is 0: a rate needs trials > 0/);
  assert.deepEqual(rec.result.metrics["v1"] ?? {}, {}, "no value may be invented");
  assert.deepEqual(rec.result.samples?.["v1"] ?? {}, {});
  assert.equal(outcome.detail?.["errors"], 9);
  assert.ok(!JSON.stringify(rec.result).includes(TOKEN));
  assert.ok(!rec.logs().includes(TOKEN));
});

void test("apikey and basic auth; an apikey query parameter is redacted from messages", async () => {
  const target = await startHttpTarget({
    record: true,
    handler: (req, res) => {
      res.writeHead(req.url?.includes("fail") ? 503 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ v: 3 }));
    },
  });
  const spec = customMetricsSpec({
    providers: [
      { name: "k", type: "rest", url: target.url, auth: { type: "apikey", key: "KEY123456" }, metrics: [{ name: "x", jqExpression: ".v" }] },
      { name: "b", type: "rest", url: target.url, auth: { type: "basic", username: "ann", passwordFromEnv: "PW" }, metrics: [{ name: "x", jqExpression: ".v" }] },
      { name: "q", type: "rest", url: `${target.url}fail`, auth: { type: "apikey", param: "api_key", keyFromEnv: "QKEY" }, metrics: [{ name: "x", jqExpression: ".v" }] },
    ],
  });
  const rec = recordingContext(spec, { secrets: envSecrets({ PW: "hunter2", QKEY: "QSECRET987" }) });
  await customMetricsRunner(spec, rec.context);
  assert.deepEqual(rec.result.versions, ["default"]);
  assert.equal(rec.result.metrics["default"]?.["k/x"], 3);
  assert.equal(rec.result.metrics["default"]?.["b/x"], 3);
  const requests = target.requests();
  assert.ok(requests.some((r) => r.headers["x-api-key"] === "KEY123456"));
  assert.ok(requests.some((r) => r.headers.authorization === `Basic ${Buffer.from("ann:hunter2").toString("base64")}`));
  assert.ok(requests.some((r) => r.url.includes("api_key=QSECRET987")));
  const error = rec.result.metricErrors?.["default"]?.["q/x"] ?? "";
  assert.match(error, /HTTP 503/);
  assert.ok(!error.includes("QSECRET987"), error);
  assert.match(error, /api_key=(%5B|\[)redacted/);
});

void test("provider specs are validated before anything is queried, naming the field", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ providers: [{ name: "p", type: "prometheus", url: "http://127.0.0.1:1", metrics: [{ name: "m" }] }] }, /with\.providers\[0\]\.metrics\[0\]\.query: required for a prometheus provider/],
    [{ providers: [{ name: "p", type: "rest", url: "http://127.0.0.1:1", metrics: [{ name: "m" }] }] }, /with\.providers\[0\]\.metrics\[0\]\.jqExpression: required for a rest provider/],
    [{ providers: [{ name: "p", type: "rest", url: "http://127.0.0.1:1", metrics: [{ name: "m", jqExpression: "map(.a)" }] }] }, /with\.providers\[0\]\.metrics\[0\]\.jqExpression: jq expression "map\(\.a\)"/],
    [{ providers: [{ name: "p", type: "rest", url: "http://127.0.0.1:1", metrics: [{ name: "m", type: "rate", jqExpression: ".a", successes: "x" }] }] }, /metrics\[0\]\.trials: required for a rate metric/],
    [{ providers: [{ name: "p", type: "graphite", url: "http://127.0.0.1:1", metrics: [{ name: "m", jqExpression: ".a" }] }] }, /with\.providers\[0\]\.type: expected prometheus or rest/],
    [{ providers: [{ name: "p", type: "rest", url: "{{ .a ", metrics: [{ name: "m", jqExpression: ".a" }] }] }, /with\.providers\[0\]\.url: template/],
    [{ providers: [{ name: "p", type: "rest", url: "http://x", auth: { type: "bearer" }, metrics: [{ name: "m", jqExpression: ".a" }] }] }, /auth\.token: required/],
    [{ providers: [], nonsense: 1 }, /with\.nonsense: unknown key/],
    [{}, /no providers/],
  ];
  for (const [withBlock, message] of cases) {
    const spec = customMetricsSpec(withBlock);
    await assert.rejects(customMetricsRunner(spec, recordingContext(spec).context), (err: unknown) => {
      assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
      assert.match(err.message, message);
      return true;
    });
  }
});
