/**
 * Iter8's experiment forms from v0.8 to v0.14 (fixtures written from Iter8's documented formats):
 * parsed into the values Iter8 would use, and run against a local target where this build can
 * run them (v0.8's built-in names and Iter8's percentile spellings find the metrics the load task
 * recorded; a warm-up task's results are discarded).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkRunnable, runExperiment } from "../../../coordinator/index.js";
import type { TaskRunner } from "../../../coordinator/index.js";
import { parseExperimentFile, parseExperimentText, runTimeFetches, silentLogger } from "../../../core/index.js";
import type { Experiment, ResultDocument } from "../../../core/index.js";
import { fakeAgents, httpTarget } from "../load-accuracy/support.js";
import { FIXTURES, http, taskOf } from "./helpers.js";

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
const noop: TaskRunner = () => Promise.resolve({});

async function runOnFakeAgents(t: Parameters<typeof fakeAgents>[0], experiment: Experiment): Promise<ResultDocument> {
  const link = fakeAgents(t, [{ id: "a1" }, { id: "a2" }]);
  return runExperiment(experiment, { link, logger: silentLogger(), reportIntervalMs: 200, runners: { run: noop } });
}

const sloValues = (result: ResultDocument): [string, number | null | undefined, boolean | undefined][] =>
  result.slos.map((s) => [s.metric, s.value?.["default"], s.satisfied["default"]]);

describe("Iter8 v0.8.0-v0.8.28 (gen-load-and-collect-metrics, built-in/<name>)", () => {
  it("parses to today's names and runs: every SLO finds its metric", async (t) => {
    const target = await httpTarget(t);
    const experiment = await parseExperimentFile(join(FIXTURES, "iter8-v08-builtin.yaml"), { overrides: [`http.versionInfo[0].url=${target.url}`, "http.qps=0"] });
    const load = http(experiment);
    assert.equal(load.numRequests, 40);
    assert.deepEqual(load.versions.map((v) => v.name), ["v1"]);
    const assess = taskOf(experiment, 1, "assess");
    assert.deepEqual(assess.slos.upper.map((s) => s.metric), ["http/error-rate", "http/latency-mean", "http/latency-p95"]);
    assert.deepEqual(assess.slos.lower.map((s) => s.metric), ["http/request-count"]);

    const result = await runOnFakeAgents(t, experiment);
    assert.equal(result.failure, null);
    assert.equal(result.metrics["v1"]?.["http/request-count"], 40);
    for (const slo of result.slos) {
      assert.equal(typeof slo.value?.["v1"], "number", `${slo.metric} was found`);
      assert.equal(slo.satisfied["v1"], true, slo.metric);
    }
  });
});

describe("Iter8 v0.8.29-v0.8.34 (gen-load-and-collect-metrics-http, built-in/http-*)", () => {
  it("adds the SLO's p97.5 to the percentiles and finds built-in/http-latency-p50.0 as http/latency-p50", async (t) => {
    const target = await httpTarget(t);
    const experiment = await parseExperimentFile(join(FIXTURES, "iter8-v08-http.yaml"), { overrides: [`http.versionInfo[0].url=${target.url}`, "http.duration=1s", "http.qps=50"] });
    const load = http(experiment);
    assert.deepEqual(load.percentiles, [50, 75, 90, 95, 97.5, 99, 99.9], "97.5 added because an SLO names it");
    assert.deepEqual(load.errorRanges, [{ lower: 500, upper: undefined }]);
    assert.deepEqual(load.versions[0]?.request.headers, { "X-Version": "v1" });
    const assess = taskOf(experiment, 1, "assess");
    assert.deepEqual(assess.slos.upper.map((s) => s.metric), ["http/error-rate", "http/latency-p50", "http/latency-p97.5", "http/latency-mean"]);

    const result = await runOnFakeAgents(t, experiment);
    assert.equal(result.failure, null);
    const p975 = result.metrics["v1"]?.["http/latency-p97.5"];
    assert.equal(typeof p975, "number", "computed from the merged histogram although the task's list lacked it");
    assert.deepEqual(
      result.slos.map((s) => [s.metric, typeof s.value?.["v1"]]),
      [
        ["http/error-rate", "number"],
        ["http/latency-p50", "number"],
        ["http/latency-p97.5", "number"],
        ["http/latency-mean", "number"],
      ],
    );
  });
});

describe("Iter8 v0.13-v0.14 testdata form (SLOs: {Upper, Lower}, p50.0, p99.90)", () => {
  it("parses Upper/Lower and runs: the result reports canonical names with values", async (t) => {
    const target = await httpTarget(t);
    const experiment = await parseExperimentFile(join(FIXTURES, "iter8-v013-go-case.yaml"), { overrides: [`http.url=${target.url}`, "http.duration=1s", "http.qps=50"] });
    const assess = taskOf(experiment, 1, "assess");
    assert.deepEqual(assess.slos.upper.map((s) => [s.metric, s.limit]), [
      ["http/error-rate", 0],
      ["http/latency-mean", 500],
      ["http/latency-p50", 1000],
      ["http/latency-p95", 2500],
      ["http/latency-p99.9", 5000],
    ]);
    assert.deepEqual(assess.slos.lower, [{ metric: "http/request-count", limit: 1 }]);
    assert.deepEqual(assess.rewards, { max: ["http/throughput"], min: ["http/latency-p50", "http/error-rate"] });

    const result = await runOnFakeAgents(t, experiment);
    assert.equal(result.failure, null);
    for (const [metric, value, satisfied] of sloValues(result)) {
      assert.equal(typeof value, "number", `${metric} found`);
      assert.equal(satisfied, true, metric);
    }
    assert.deepEqual(result.tasks.map((task) => task.status), ["completed", "completed", "completed", "skipped"]);
  });
});

describe("Iter8 v0.14 chart render (warm-up task, per-endpoint load, payloadTemplateURL)", () => {
  it("represents warmup, endpoint overrides over the task's load, and template URLs", async () => {
    const experiment = await parseExperimentFile(join(FIXTURES, "iter8-v014-chart.yaml"));
    const warm = http(experiment, 0);
    assert.equal(warm.warmup, true);
    assert.equal(warm.numRequests, 10);
    const main = http(experiment, 1);
    assert.equal(main.warmup, false);
    assert.deepEqual(main.endpointOrder, ["getit", "postit"]);
    const version = main.versions[0];
    assert.ok(version);
    const getit = version.endpoints["getit"];
    const postit = version.endpoints["postit"];
    assert.ok(getit && postit);
    assert.deepEqual(getit.loadOverrides, ["percentiles"]);
    assert.deepEqual(
      [getit.load.numRequests, getit.load.qps, getit.load.connections, getit.load.loadModel],
      [100, 8, 4, "closed"],
      "an endpoint without load fields runs the task's load",
    );
    assert.deepEqual(getit.load.percentiles, [50, 75, 90, 95, 97.5, 99, 99.5, 99.9], "its own 99.5, the defaults, and 97.5 named by an SLO");
    assert.deepEqual(postit.loadOverrides, ["qps", "numRequests", "connections", "errorRanges"]);
    assert.deepEqual(
      [postit.load.numRequests, postit.load.qps, postit.load.connections, postit.load.loadModel, postit.load.errorRanges],
      [50, 20, 2, "open", [{ lower: 400, upper: undefined }]],
      "the endpoint's fields override the task's; qps makes it the open model",
    );
    assert.equal(text(postit.body), '{"order": 1}');
    assert.deepEqual([postit.method, postit.contentType], ["POST", "application/json"]);
    assert.deepEqual(getit.headers, { "X-Test": "main" });

    const slack = taskOf(experiment, 3, "notify");
    assert.equal(slack.payloadTemplate, undefined);
    assert.equal(slack.payloadTemplateURL, "https://raw.githubusercontent.com/iter8-tools/iter8/iter8-0.13.7/templates/notify/_payload-slack.tpl");
    assert.deepEqual(
      runTimeFetches(experiment).map((f) => [f.field, f.purpose]),
      [
        ["spec[3].with.payloadTemplateURL", "template"],
        ["spec[4].with.payloadTemplateURL", "template"],
      ],
    );
  });

  it("URLs fetched at run time no longer stop the runner before it starts (coordinator/fetch fetches them)", async () => {
    const experiment = await parseExperimentFile(join(FIXTURES, "iter8-v014-chart.yaml"));
    assert.ok(runTimeFetches(experiment).length > 0);
    const payloadURL = parseExperimentText("spec:\n  - task: http\n    with: {url: http://a.test/, payloadURL: https://example.test/body.json, contentType: application/json}\n", "exp.yaml");
    const request = http(payloadURL).versions[0]?.request;
    assert.deepEqual([request?.payloadURL, request?.body, request?.method], ["https://example.test/body.json", undefined, "POST"]);
    checkRunnable(payloadURL, { http: noop });
  });

  it("endpoints run one after another in file order, each with its own load fields (Iter8's http task)", async (t) => {
    const arrivals: string[] = [];
    const target = await httpTarget(t, {
      handler: (req, res) => {
        arrivals.push(req.url ?? "");
        res.writeHead(200).end("ok");
      },
    });
    const yaml = [
      "spec:",
      "  - task: http",
      `    with: {url: ${target.url}, numRequests: 6, qps: 0, connections: 3, endpoints: {b: {url: /b, numRequests: 9, connections: 2}, a: {url: /a}, c: {url: /c, numRequests: 4, qps: 40}}}`,
    ].join("\n");
    const link = fakeAgents(t, [{ id: "a1" }, { id: "a2" }]);
    const result = await runExperiment(parseExperimentText(yaml, "exp.yaml"), { link, logger: silentLogger(), reportIntervalMs: 200 });
    assert.equal(result.failure, null);
    const runs = arrivals.map((path, k) => (k === 0 || arrivals[k - 1] !== path ? path : "")).filter((path) => path !== "");
    assert.deepEqual(runs, ["/b", "/a", "/c"], "one endpoint at a time, in file order");
    assert.deepEqual(["/b", "/a", "/c"].map((path) => arrivals.filter((p) => p === path).length), [9, 6, 4], "each endpoint's own numRequests, else the task's");
    const metrics = result.metrics["default"] ?? {};
    assert.deepEqual([metrics["http-b/request-count"], metrics["http-a/request-count"], metrics["http-c/request-count"]], [9, 6, 4]);
    assert.equal(result.load?.conservation.ok, true);
    const detail = result.tasks[0]?.detail as { requests?: number; endpointsRun?: string; endpoints?: unknown[] } | undefined;
    assert.deepEqual([detail?.requests, detail?.endpointsRun, detail?.endpoints?.length], [19, "sequential", 3]);
  });

  it("concurrentEndpoints: true loads every endpoint at the same time, counts still each endpoint's own", async (t) => {
    const arrivals: string[] = [];
    const target = await httpTarget(t, {
      delayMs: 5,
      handler: (req, res) => {
        arrivals.push(req.url ?? "");
        setTimeout(() => res.writeHead(200).end("ok"), 5);
      },
    });
    const yaml = `spec:\n  - task: http\n    with: {url: ${target.url}, numRequests: 30, qps: 0, concurrentEndpoints: true, endpoints: {a: {url: /a}, b: {url: /b, numRequests: 20}}}\n`;
    const link = fakeAgents(t, [{ id: "a1" }]);
    const result = await runExperiment(parseExperimentText(yaml, "exp.yaml"), { link, logger: silentLogger(), reportIntervalMs: 200 });
    assert.equal(result.failure, null);
    assert.deepEqual([arrivals.filter((p) => p === "/a").length, arrivals.filter((p) => p === "/b").length], [30, 20]);
    const firstA = arrivals.indexOf("/a");
    const firstB = arrivals.indexOf("/b");
    assert.ok(firstB < arrivals.lastIndexOf("/a") && firstA < arrivals.lastIndexOf("/b"), "the two endpoints' requests interleave");
  });

  it("a chart's leftover warmupNumRequests after a warmup: true task is not a second warm-up (SPEC.md 1.6.1)", async (t) => {
    const target = await httpTarget(t);
    const yaml = [
      "spec:",
      "  - task: http",
      `    with: {url: ${target.url}, numRequests: 4, qps: 0, warmup: true}`,
      "  - task: http",
      `    with: {url: ${target.url}, numRequests: 6, qps: 0, warmupNumRequests: 4}`,
      "  - task: http",
      `    with: {url: ${target.url}x, numRequests: 2, qps: 0, warmupNumRequests: 3}`,
    ].join("\n");
    const link = fakeAgents(t, [{ id: "a1" }]);
    const result = await runExperiment(parseExperimentText(yaml, "exp.yaml"), { link, logger: silentLogger(), reportIntervalMs: 200 });
    assert.equal(result.failure, null);
    assert.equal(target.received(), 4 + 6 + 3 + 2, "warm-up 4, then 6 measured; a task with another target keeps its own warm-up");
  });

  it("a warm-up task runs its load and records nothing; the next task's metrics are the result's", async (t) => {
    const target = await httpTarget(t);
    const experiment = parseExperimentText(
      `spec:\n  - task: http\n    with: {url: "${target.url}", numRequests: 7, qps: 0, warmup: true}\n  - task: http\n    with: {url: "${target.url}", numRequests: 20, qps: 0}\n  - task: assess\n    with: {SLOs: {upper: {http/latency-p95.0: 10000}}}\n`,
      "exp.yaml",
    );
    const link = fakeAgents(t, [{ id: "a1" }]);
    const result = await runExperiment(experiment, { link, logger: silentLogger(), reportIntervalMs: 200 });
    assert.equal(target.served(), 27, "both tasks sent their requests");
    assert.equal(result.metrics["default"]?.["http/request-count"], 20, "only the main task's requests are counted");
    assert.equal(result.tasks[0]?.detail?.["warmup"], true);
    assert.deepEqual(sloValues(result).map(([metric, , ok]) => [metric, ok]), [["http/latency-p95", true]]);

    const alone = await runExperiment(parseExperimentText(`spec:\n  - task: http\n    with: {url: "${target.url}", numRequests: 5, qps: 0, warmup: true}\n`, "exp.yaml"), {
      link,
      logger: silentLogger(),
      reportIntervalMs: 200,
    });
    assert.equal(target.served(), 32);
    assert.equal(alone.failure, null);
    assert.deepEqual(alone.metrics["default"] ?? {}, {}, "a warm-up task alone records no metric");
    assert.deepEqual(alone.histograms ?? {}, {});
  });
});
