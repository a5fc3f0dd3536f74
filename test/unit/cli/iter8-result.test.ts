/**
 * Iter8's experiment.yaml with a `result:` section read by `assay assert`/`assay report`, and
 * `assay report -o iter8` (Iter8's ExperimentResult with insights) of an Assay result.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { checkAssertions, readResultFile } from "../../../cli/render/index.js";
import { iter8ResultText } from "../../../coordinator/index.js";
import { RESULT_SCHEMA_VERSION } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { cleanupAll, makeTempDir } from "../../harness/index.js";

after(cleanupAll);

const EXPERIMENT = `spec:
- task: http
  with: { url: "http://127.0.0.1:1/get" }
- task: assess
  with:
    SLOs:
      upper: [{ metric: http/latency-p95, limit: 20 }]
- if: SLOs()
  run: echo promote
result:
  Failure: false
  insights:
    slos:
      Upper:
      - metric: http/latency-p95.0
        limit: 20
      - metric: http/error-count
        limit: 0
    SLOsSatisfied:
      upper: [[false, true], [true, true]]
    nonHistMetricValues:
    - { http/latency-p95.0: [31.5], http/error-count: [0] }
    - { http/latency-p95.0: [3.5], http/error-count: [0] }
    numVersions: 2
    versionNames: [{ version: stable }, { version: canary }]
  numCompletedTasks: 2
  startTime: "2023-06-02T13:26:07.1-04:00"
`;

void describe("an Iter8 experiment.yaml with a result: section", () => {
  it("reads as Iter8's assert reads it: Completed, NoFailure, SLOs by version", async () => {
    const dir = await makeTempDir("iter8-result");
    const path = join(dir, "experiment.yaml");
    await writeFile(path, EXPERIMENT);
    const result = await readResultFile(path);
    assert.deepEqual(result.versions, ["stable", "canary"]);
    assert.deepEqual(result.metrics["stable"], { "http/latency-p95": 31.5, "http/error-count": 0 });
    assert.deepEqual(result.slos.map((s) => [s.metric, s.satisfied]), [
      ["http/latency-p95", { stable: false, canary: true }],
      ["http/error-count", { stable: true, canary: true }],
    ]);
    assert.equal(checkAssertions(result, ["nofailure"]).ok, true);
    assert.match(checkAssertions(result, ["completed"]).failures.join(), /2 of 3 tasks completed/);
    assert.equal(checkAssertions(result, ["slos"]).ok, false);
    assert.equal(checkAssertions(result, ["slosby=canary"]).ok, true);
    await writeFile(path, "spec:\n- task: http\n  with: { url: http://127.0.0.1:1/ }\n");
    await assert.rejects(readResultFile(path), /an Iter8 experiment without a result: section/);
  });
});

void describe("assay report -o iter8", () => {
  it("writes Iter8's ExperimentResult: insights with metricsInfo, values per version, SLOs and SLOsSatisfied", () => {
    const result: ResultDocument = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      name: "x",
      completed: true,
      failure: null,
      incomplete: false,
      startTime: "2026-01-01T00:00:00.000Z",
      numCompletedTasks: 2,
      versions: ["default"],
      metrics: { default: { "http/request-count": 40, "http/latency-mean": 5 } },
      metricsInfo: { "http/request-count": { type: "counter", description: "requests" }, "http/latency-mean": { type: "gauge", units: "msec", description: "mean" } },
      slos: [{ metric: "http/latency-mean", direction: "upper", limit: 1, satisfied: { default: false }, value: { default: 5 } }],
      tasks: [
        { index: 0, task: "http", status: "completed" },
        { index: 1, task: "assess", status: "completed" },
      ],
      histograms: {},
      source: "x.yaml",
    };
    const document = JSON.parse(iter8ResultText(result)) as { result: Record<string, unknown> };
    const { insights, ...rest } = document.result as { insights: Record<string, unknown> } & Record<string, unknown>;
    assert.deepEqual([rest["numCompletedTasks"], rest["failure"], rest["numLoops"], rest["startTime"]], [2, false, 1, "2026-01-01T00:00:00Z"]);
    assert.equal(insights["numVersions"], 1);
    assert.deepEqual(insights["nonHistMetricValues"], [{ "http/request-count": [40], "http/latency-mean": [5] }]);
    assert.deepEqual(insights["metricsInfo"], { "http/latency-mean": { description: "mean", units: "msec", type: "Gauge" }, "http/request-count": { description: "requests", type: "Counter" } });
    assert.deepEqual(insights["SLOs"], { upper: [{ metric: "http/latency-mean", limit: 1 }] });
    assert.deepEqual(insights["SLOsSatisfied"], { upper: [[false]] });
  });
});
