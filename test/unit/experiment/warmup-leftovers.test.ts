/**
 * The chart's warm-up leftovers (core/experiment/warmup-leftovers.ts): a measured http task right
 * after the `warmup: true` task Iter8's chart wrote for it does not warm up a second time; any
 * other `warmupNumRequests` keeps its meaning.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseExperimentText } from "../../../core/index.js";
import type { HttpTaskSpec } from "../../../core/index.js";

function httpTasks(text: string): HttpTaskSpec[] {
  return parseExperimentText(text, "<test>")
    .tasks.map((entry) => entry.spec)
    .filter((spec): spec is HttpTaskSpec => spec.task === "http");
}

const CHART_RENDER = (secondUrl: string, warmupCount: number): string => `spec:
- task: http
  with: { numRequests: ${warmupCount}, qps: 60, url: "http://127.0.0.1:1/get", warmup: true }
- task: http
  with: { numRequests: 30, qps: 60, url: "${secondUrl}", warmupNumRequests: 10 }
`;

void describe("warm-up leftovers of Iter8's chart", () => {
  void it("the measured task after the chart's warm-up task does not warm up again", () => {
    const [warmup, measured] = httpTasks(CHART_RENDER("http://127.0.0.1:1/get", 10));
    assert.equal(warmup?.warmup, true);
    assert.equal(warmup?.numRequests, 10);
    assert.equal(measured?.warmupNumRequests, undefined);
    assert.equal(measured?.numRequests, 30);
  });

  void it("keeps warmupNumRequests when the task before targets something else or warms up differently", () => {
    assert.equal(httpTasks(CHART_RENDER("http://127.0.0.1:1/other", 10))[1]?.warmupNumRequests, 10);
    assert.equal(httpTasks(CHART_RENDER("http://127.0.0.1:1/get", 20))[1]?.warmupNumRequests, 10);
    const alone = httpTasks(`spec:\n- task: http\n  with: { url: "http://127.0.0.1:1/", numRequests: 5, warmupNumRequests: 3 }\n`);
    assert.equal(alone[0]?.warmupNumRequests, 3);
  });
});
