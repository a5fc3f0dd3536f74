/**
 * Metric names as Iter8 normalizes them (issue 11, item 1): one canonical name per metric, used by
 * the parser (SLOs and rewards are stored canonical), by lookups in the result, and by the
 * parse-time check that an SLO's built-in metric can exist.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeDocument, evaluateSlos } from "../../../coordinator/index.js";
import { ErrorCode, ITER8_V08_METRIC_NAMES, canonicalMetricName, isBuiltInMetric, parseExperimentText } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { failure, http, taskOf } from "./helpers.js";

describe("canonicalMetricName", () => {
  const table: [string, string][] = [
    ["http/latency-p50.0", "http/latency-p50"],
    ["http/latency-p50", "http/latency-p50"],
    ["http/latency-p97.5", "http/latency-p97.5"],
    ["http/latency-p99.90", "http/latency-p99.9"],
    ["http/latency-p99.900", "http/latency-p99.9"],
    ["http/latency-p9.5e1", "http/latency-p95"],
    ["http/latency-p.5", "http/latency-p0.5"],
    ["http/latency-p100.0", "http/latency-p100"],
    ["http-login/latency-p95.0", "http-login/latency-p95"],
    ["http/service-time-p99.0", "http/service-time-p99"],
    ["grpc/latency/p95.0", "grpc/latency/p95"],
    ["grpc/latency/p99.90", "grpc/latency/p99.9"],
    ["grpc/latency-p95", "grpc/latency/p95"],
    ["grpc/latency-p95.0", "grpc/latency/p95"],
    ["grpc/latency-mean", "grpc/latency/mean"],
    ["grpc/latency/mean", "grpc/latency/mean"],
    ["built-in/p95.0", "http/latency-p95"],
    ["built-in/p50", "http/latency-p50"],
    ["built-in/http-latency-p97.5", "http/latency-p97.5"],
    ["built-in/http-latency-p50.0", "http/latency-p50"],
    ["built-in/grpc-latency/p95.00", "grpc/latency/p95"],
    ["built-in/grpc-latency/mean", "grpc/latency/mean"],
    ["built-in/mean-latency", "http/latency-mean"],
    // unchanged: not a percentile in (0, 100], or not built-in
    ["http/latency-p0", "http/latency-p0"],
    ["http/latency-p101", "http/latency-p101"],
    ["http/latency-pxx", "http/latency-pxx"],
    ["http/error-rate", "http/error-rate"],
    ["prom/latency-p95.0", "prom/latency-p95.0"],
    ["HTTP/latency-p95.0", "HTTP/latency-p95.0"],
  ];
  for (const [written, canonical] of table) {
    it(`${written} -> ${canonical}`, () => assert.equal(canonicalMetricName(written), canonical));
  }

  it("maps every Iter8 v0.8 built-in name to today's (v0.8.0-28 and v0.8.29-34)", () => {
    assert.deepEqual(ITER8_V08_METRIC_NAMES, {
      "built-in/request-count": "http/request-count",
      "built-in/error-count": "http/error-count",
      "built-in/error-rate": "http/error-rate",
      "built-in/mean-latency": "http/latency-mean",
      "built-in/stddev-latency": "http/latency-stddev",
      "built-in/min-latency": "http/latency-min",
      "built-in/max-latency": "http/latency-max",
      "built-in/latency": "http/latency",
      "built-in/http-request-count": "http/request-count",
      "built-in/http-error-count": "http/error-count",
      "built-in/http-error-rate": "http/error-rate",
      "built-in/http-latency-mean": "http/latency-mean",
      "built-in/http-latency-stddev": "http/latency-stddev",
      "built-in/http-latency-min": "http/latency-min",
      "built-in/http-latency-max": "http/latency-max",
      "built-in/http-latency": "http/latency",
      "built-in/grpc-request-count": "grpc/request-count",
      "built-in/grpc-error-count": "grpc/error-count",
      "built-in/grpc-error-rate": "grpc/error-rate",
    });
    for (const [written, canonical] of Object.entries(ITER8_V08_METRIC_NAMES)) assert.equal(canonicalMetricName(written), canonical);
  });

  it("is idempotent", () => {
    for (const [written] of table) assert.equal(canonicalMetricName(canonicalMetricName(written)), canonicalMetricName(written));
  });

  it("tells built-in metrics from custom ones", () => {
    assert.deepEqual(["http/x", "http-a_b/x", "grpc/x", "built-in/x", "prom/x", "httpx/x", "istio/http"].map(isBuiltInMetric), [true, true, true, true, false, false, false]);
  });
});

const LOAD = "spec:\n  - task: http\n    with: {url: http://a.test/}\n";

describe("SLOs and rewards use the canonical name", () => {
  it("stores SLOs and rewards in canonical form; the result finds them under the load task's names", () => {
    const experiment = parseExperimentText(
      `${LOAD}  - task: assess\n    with:\n      SLOs:\n        upper: {http/latency-p95.0: 100, http/latency-p99.90: 200}\n        lower: [{metric: built-in/http-request-count, limit: 1}]\n      rewards: {min: [http/latency-p50.0]}\n`,
      "exp.yaml",
    );
    const assess = taskOf(experiment, 1, "assess");
    assert.deepEqual(assess.slos.upper.map((s) => s.metric), ["http/latency-p95", "http/latency-p99.9"]);
    assert.deepEqual(assess.slos.lower.map((s) => s.metric), ["http/request-count"]);
    assert.deepEqual(assess.rewards.min, ["http/latency-p50"]);
    const result = { versions: ["default"], metrics: { default: { "http/latency-p95": 50, "http/latency-p99.9": 300, "http/request-count": 10 } } } as unknown as ResultDocument;
    const slos = evaluateSlos(assess, result);
    assert.deepEqual(
      slos.map((s) => [s.metric, s.value["default"], s.satisfied["default"]]),
      [
        ["http/latency-p95", 50, true],
        ["http/latency-p99.9", 300, false],
        ["http/request-count", 10, true],
      ],
      "an SLO written as http/latency-p95.0 finds http/latency-p95, and the result reports the canonical name",
    );
  });

  it("`assay analyze` canonicalises the names it is given", () => {
    const assessment = analyzeDocument({
      versions: { a: { "http/latency-p95.0": 10 }, b: { "http/latency-p95": 20 } },
      slos: { upper: [{ metric: "http/latency-p95.00", limit: 15 }] },
    });
    const text = JSON.stringify(assessment);
    assert.match(text, /http\/latency-p95"/);
    assert.doesNotMatch(text, /p95\.0/);
  });
});

describe("an SLO on a built-in metric that can never exist is a parse error", () => {
  const assess = (line: string): string => `  - task: assess\n    with:\n      SLOs:\n        upper:\n          ${line}\n`;

  it("names close matches", () => {
    const error = failure(`${LOAD}${assess("- {metric: http/latency-p95x, limit: 1}")}`);
    assert.equal(error.code, ErrorCode.UnknownMetric);
    assert.equal(error.field, "spec[1].with.SLOs.upper[0].metric");
    assert.deepEqual([error.location?.line, error.location?.column], [8, 22]);
    assert.match(error.message, /the load tasks of this experiment produce no metric "http\/latency-p95x" \(did you mean "http\/latency-p95"\?\)/);
    assert.match(failure(`${LOAD}${assess("http/eror-rate: 0")}`).message, /did you mean "http\/error-rate"/);
  });

  it("an unknown v0.8 built-in name", () => {
    const error = failure(`${LOAD}${assess("- {metric: built-in/http-errors, limit: 1}")}`);
    assert.match(error.message, /"built-in\/http-errors" is not one of Iter8 v0.8's built-in metrics/);
  });

  it("http/ metrics when the http task has endpoints (its metrics are http-<endpoint>/...)", () => {
    const error = failure(`spec:\n  - task: http\n    with: {url: http://a.test/, endpoints: {login: {url: /login}}}\n${assess("http/latency-mean: 10")}`);
    assert.match(error.message, /no task of this experiment produces http\/ metrics \(did you mean "http-login\/latency-mean"\?\); with endpoints, the http task names its metrics http-<endpoint>\/\.\.\./);
  });

  it("no load task at all; grpc metrics without a grpc task", () => {
    assert.match(failure(`spec:\n${assess("http/error-rate: 0")}`).message, /this experiment has no load task \(http or grpc\) to produce it/);
    assert.match(failure(`${LOAD}${assess("grpc/latency/p95: 1")}`).message, /no task of this experiment produces grpc\/ metrics/);
  });

  it("the histogram is not a number", () => {
    assert.match(failure(`${LOAD}${assess("http/latency: 10")}`).message, /is the latency histogram, not a number/);
    assert.match(failure(`${LOAD}${assess("built-in/http-latency: 10")}`).message, /"built-in\/http-latency" \(http\/latency\) is the latency histogram/);
  });

  it("open-model metrics in a closed-model task", () => {
    assert.match(failure(`${LOAD}${assess("http/dropped-count: 0")}`).message, /produce no metric "http\/dropped-count"/);
    const open = parseExperimentText(`spec:\n  - task: http\n    with: {url: http://a.test/, qps: 10}\n${assess("http/dropped-count: 0")}`, "exp.yaml");
    assert.equal(open.tasks.length, 2);
  });

  it("a metric only a warmup task would produce", () => {
    const error = failure(`spec:\n  - task: http\n    with: {url: http://a.test/, warmup: true}\n${assess("http/error-rate: 0")}`);
    assert.match(error.message, /would only be produced by a warmup task, whose results are discarded/);
  });

  it("rewards are checked too", () => {
    const error = failure(`${LOAD}  - task: assess\n    with: {rewards: {max: [http/throughput], min: [http/latncy-mean]}}\n`);
    assert.equal(error.field, "spec[1].with.rewards.min[0]");
    assert.match(error.message, /did you mean "http\/latency-mean"/);
  });

  it("custom metrics and Assay's extras are not refused", () => {
    const experiment = parseExperimentText(
      `${LOAD}  - task: custommetrics\n    with: {templates: {http-prom: https://example.test/t.tpl}}\n${assess("http/throughput: 1").replace("upper:\n", "upper:\n          prom/cpu: 1\n          http-prom/latency: 1\n")}`,
      "exp.yaml",
    );
    assert.equal(experiment.tasks.length, 3);
  });
});

describe("every percentile an SLO or reward names is computed", () => {
  it("is added to the producing task's percentiles (task and endpoint lists)", () => {
    const experiment = parseExperimentText(
      "spec:\n  - task: http\n    with:\n      url: http://a.test/\n      percentiles: [99.99]\n  - task: http\n    with:\n      url: http://a.test/\n      endpoints: {login: {url: /login}}\n  - task: assess\n    with:\n      SLOs: {upper: {http/latency-p97.5: 5, http-login/latency-p42.0: 1}}\n      rewards: {min: [http/latency-p12.5]}\n",
      "exp.yaml",
    );
    assert.deepEqual(http(experiment, 0).percentiles, [12.5, 50, 75, 90, 95, 97.5, 99, 99.9, 99.99]);
    const second = http(experiment, 1);
    assert.deepEqual(second.percentiles, [42, 50, 75, 90, 95, 99, 99.9]);
    assert.deepEqual(second.versions[0]?.endpoints["login"]?.load.percentiles, [42, 50, 75, 90, 95, 99, 99.9]);
  });

  it("open model: a service-time percentile is added too", () => {
    const experiment = parseExperimentText(`spec:\n  - task: http\n    with: {url: http://a.test/, qps: 5}\n  - task: assess\n    with: {SLOs: {upper: {http/service-time-p33: 5}}}\n`, "exp.yaml");
    assert.ok(http(experiment).percentiles.includes(33));
  });
});
