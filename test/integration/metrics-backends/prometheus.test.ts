import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { customMetricsRunner } from "../../../coordinator/metrics-backends/index.js";
import { cleanupAll, freePort, startHttpTarget, startPrometheus } from "../../harness/index.js";
import type { HttpTarget, PrometheusHandle } from "../../harness/index.js";
import { customMetricsSpec, recordingContext } from "./context.js";

/** What the scraped target exposes, per version. */
const EXPOSED = {
  v1: { requests: 120, conversions: 12, users: 100, revenueCount: 40, revenueSum: 2000, revenueSumsq: 104000, incidents: 3, hours: 10, zero: 0 },
  v2: { requests: 80, conversions: 20, users: 100, revenueCount: 50, revenueSum: 2750, revenueSumsq: 155000, incidents: 1, hours: 10, zero: 0 },
} as const;

function exposition(): string {
  const lines: string[] = [];
  const series: [string, keyof (typeof EXPOSED)["v1"]][] = [
    ["requests_total", "requests"],
    ["conversions_total", "conversions"],
    ["users_total", "users"],
    ["revenue_count", "revenueCount"],
    ["revenue_sum", "revenueSum"],
    ["revenue_sumsq", "revenueSumsq"],
    ["incidents_total", "incidents"],
    ["exposure_hours", "hours"],
    ["zero_total", "zero"],
  ];
  for (const [metric, key] of series) {
    lines.push(`# TYPE ${metric} gauge`);
    for (const version of ["v1", "v2"] as const) lines.push(`${metric}{version="${version}"} ${EXPOSED[version][key]}`);
  }
  return `${lines.join("\n")}\n`;
}

let target: HttpTarget;
let prometheus: PrometheusHandle;
let templateServer: HttpTarget;

before(async () => {
  target = await startHttpTarget({
    handler: (_req, res) => {
      const body = exposition();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4", "content-length": Buffer.byteLength(body) });
      res.end(body);
    },
  });
  prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${target.port}`], scrapeIntervalMs: 500 });
  await prometheus.waitForSeries('zero_total{version="v2"}', 60_000);
  // An Iter8-style provider template (the whole file is a template), served over HTTP.
  const template = [
    "url: {{ .promURL }}/api/v1/query",
    "provider: ignored-name",
    "method: GET",
    "metrics:",
    "- name: request-count",
    "  type: counter",
    "  description: Number of requests",
    "  params:",
    "  - name: query",
    "    value: |",
    '      sum(last_over_time(requests_total{version="{{ .version }}"}[{{ .elapsedTimeSeconds }}s])) or on() vector(0)',
    "  jqExpression: .data.result[0].value[1] | tonumber",
    "",
  ].join("\n");
  templateServer = await startHttpTarget({ body: template });
});

after(async () => {
  await prometheus?.stop();
  await cleanupAll();
});

void test("Prometheus provider: the task's values match what the target exposed", async () => {
  const spec = customMetricsSpec({
    values: { job: "assay-test" },
    versionValues: [{ version: "v1" }, { version: "v2" }],
    providers: [
      {
        name: "prom",
        type: "prometheus",
        url: prometheus.url,
        metrics: [
          { name: "requests", type: "counter", query: 'sum(requests_total{version="{{ .version }}", job="{{ .job }}"})' },
          { name: "conversion", type: "rate", successes: 'sum(conversions_total{version="{{ .version }}"})', trials: 'sum(users_total{version="{{ .version }}"})' },
          {
            name: "revenue",
            type: "mean",
            count: 'sum(revenue_count{version="{{ .version }}"})',
            sum: 'sum(revenue_sum{version="{{ .version }}"})',
            sumOfSquares: 'sum(revenue_sumsq{version="{{ .version }}"})',
          },
          { name: "incidents", type: "count", events: 'sum(incidents_total{version="{{ .version }}"})', exposure: 'sum(exposure_hours{version="{{ .version }}"})' },
        ],
      },
    ],
  });
  const rec = recordingContext(spec);
  await customMetricsRunner(spec, rec.context);
  assert.deepEqual(rec.result.metricErrors, {});
  for (const version of ["v1", "v2"] as const) {
    const e = EXPOSED[version];
    assert.deepEqual(rec.result.metrics[version], {
      "prom/requests": e.requests,
      "prom/conversion": e.conversions / e.users,
      "prom/revenue": e.revenueSum / e.revenueCount,
      "prom/incidents": e.incidents / e.hours,
    });
    assert.deepEqual(rec.result.samples?.[version], {
      "prom/conversion": { type: "rate", successes: e.conversions, trials: e.users },
      "prom/revenue": { type: "mean", count: e.revenueCount, sum: e.revenueSum, sumOfSquares: e.revenueSumsq },
      "prom/incidents": { type: "count", events: e.incidents, exposure: e.hours },
    });
  }
  assert.equal(rec.infos["prom/requests"]?.type, "counter");
});

void test("Iter8 provider template fetched over HTTP, rendered per version with elapsedTimeSeconds", async () => {
  const spec = customMetricsSpec({
    templates: { istio: templateServer.url },
    values: { promURL: prometheus.url },
    versionValues: [{ version: "v1" }, { version: "v2" }],
  });
  const rec = recordingContext(spec, { versions: ["v1", "v2"] });
  await customMetricsRunner(spec, rec.context);
  assert.deepEqual(rec.result.metricErrors, {});
  assert.equal(rec.result.metrics["v1"]?.["istio/request-count"], EXPOSED.v1.requests);
  assert.equal(rec.result.metrics["v2"]?.["istio/request-count"], EXPOSED.v2.requests);
  assert.equal(rec.infos["istio/request-count"]?.description, "Number of requests");
});

void test("values and versionValues merge deeply (Iter8's mergo): both label maps reach the query", async () => {
  const spec = customMetricsSpec({
    values: { labels: { job: "assay-test" }, scale: 1 },
    versionValues: [{ labels: { version: "v1" } }, { labels: { version: "v2" }, scale: 0 }],
    providers: [
      {
        name: "prom",
        type: "prometheus",
        url: prometheus.url,
        metrics: [{ name: "requests", type: "counter", query: 'sum(requests_total{version="{{ .labels.version }}", job="{{ .labels.job }}"}) * {{ .scale }}' }],
      },
    ],
  });
  const rec = recordingContext(spec);
  await customMetricsRunner(spec, rec.context);
  assert.deepEqual(rec.result.metricErrors, {});
  assert.equal(rec.result.metrics["v1"]?.["prom/requests"], EXPOSED.v1.requests);
  assert.equal(rec.result.metrics["v2"]?.["prom/requests"], EXPOSED.v2.requests, "an empty value (0) does not overwrite the shared one, as in mergo");
});

void test("Prometheus bad inputs: no series, NaN, zero trials, a PromQL error, Prometheus down", async () => {
  const downPort = await freePort();
  const spec = customMetricsSpec({
    versionValues: [{ version: "v1" }],
    providers: [
      {
        name: "prom",
        type: "prometheus",
        url: prometheus.url,
        metrics: [
          { name: "absent", query: "sum(no_such_metric_total)" },
          { name: "nan", query: 'sum(zero_total{version="{{ .version }}"}) / sum(zero_total{version="{{ .version }}"})' },
          { name: "conversion", type: "rate", successes: 'sum(conversions_total{version="{{ .version }}"})', trials: 'sum(zero_total{version="{{ .version }}"})' },
          { name: "syntax", query: "sum(((" },
        ],
      },
      { name: "gone", type: "prometheus", url: `http://127.0.0.1:${downPort}`, metrics: [{ name: "requests", query: "sum(requests_total)" }] },
    ],
  });
  const rec = recordingContext(spec);
  await customMetricsRunner(spec, rec.context);
  const errors = rec.result.metricErrors?.["v1"] ?? {};
  assert.match(errors["prom/absent"] ?? "", /no value at \.data\.result\[0\]\.value\[1\] \(the query returned no series\)/);
  assert.match(errors["prom/nan"] ?? "", /is NaN/);
  assert.match(errors["prom/conversion"] ?? "", /trials is 0/);
  assert.match(errors["prom/syntax"] ?? "", /HTTP 400: .*parse error/);
  assert.match(errors["gone/requests"] ?? "", /failed: .*ECONNREFUSED/);
  assert.deepEqual(rec.result.metrics["v1"] ?? {}, {});
});
