import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResultDocument } from "../../../core/index.js";
import { ErrorCode, ValidationError } from "../../../core/index.js";
import { checkAssertions } from "../../../cli/render/index.js";
import { sampleResult } from "./fixture.js";

/** A clean run: completed, no failure, every SLO satisfied. */
function passing(): ResultDocument {
  const result = sampleResult();
  result.completed = true;
  result.incomplete = false;
  result.failure = null;
  result.numCompletedTasks = result.tasks.length;
  result.tasks = result.tasks.map((task) => {
    const { error: _error, ...rest } = task;
    return { ...rest, status: task.status === "skipped" ? "skipped" : "completed" };
  });
  result.slos = result.slos.map((slo) => ({ ...slo, satisfied: { v1: true, v2: true }, value: { v1: 1, v2: 2 } }));
  return result;
}

describe("checkAssertions", () => {
  it("passes every condition on a clean run", () => {
    assert.deepEqual(checkAssertions(passing(), ["completed", "nofailure", "slos", "slosby=0", "slosby=v2"]), { ok: true, failures: [] });
  });

  it("accepts Iter8's comma-separated form, any case, and its `nofailures` spelling", () => {
    assert.deepEqual(checkAssertions(passing(), ["Completed,NOFAILURE", " slos ", "nofailures"]), { ok: true, failures: [] });
  });

  it("completed: names the interruption", () => {
    const outcome = checkAssertions(sampleResult(), ["completed"]);
    assert.deepEqual(outcome, { ok: false, failures: ["completed: experiment did not complete (interrupted: interrupted by Ctrl-C)"] });
  });

  it("completed: names the failure, or the task count when there is none", () => {
    const result = passing();
    result.completed = false;
    result.numCompletedTasks = 2;
    assert.deepEqual(checkAssertions(result, ["completed"]).failures, ["completed: experiment did not complete (2 of 6 tasks completed)"]);
    result.failure = "task 3 (assess) failed";
    assert.deepEqual(checkAssertions(result, ["completed"]).failures, ["completed: experiment did not complete (task 3 (assess) failed)"]);
  });

  it("nofailure: names each failed task and its error", () => {
    const outcome = checkAssertions(sampleResult(), ["nofailure"]);
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.failures, ["nofailure: task 5 (notify) failed: POST http://127.0.0.1:9/hook answered 503"]);
  });

  it("nofailure: an experiment-level failure without a failed task still fails", () => {
    const result = passing();
    result.failure = "agent local-1 lost";
    assert.deepEqual(checkAssertions(result, ["nofailure"]).failures, ["nofailure: experiment failed: agent local-1 lost"]);
  });

  it("slos: one sentence per SLO and version not satisfied, with the value or 'metric missing'", () => {
    const outcome = checkAssertions(sampleResult(), ["slos"]);
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.failures, [
      "slos: http/error-rate ≤ 0.01 not satisfied by v2 (value 1)",
      "slos: http/latency-p95 ≤ 100 not satisfied by v2 (value 131.2)",
      "slos: prom/cpu-seconds ≤ 20 not satisfied by v2 (metric missing)",
    ]);
  });

  it("slos: lower SLOs read ≥; no SLOs at all holds (Iter8), no versions does not", () => {
    const result = passing();
    result.slos = [{ metric: "http/throughput", direction: "lower", limit: 50, satisfied: { v1: false, v2: true }, value: { v1: 12.5, v2: 60 } }];
    assert.deepEqual(checkAssertions(result, ["slos"]).failures, ["slos: http/throughput ≥ 50 not satisfied by v1 (value 12.5)"]);
    result.slos = [];
    assert.equal(checkAssertions(result, ["slos"]).ok, true);
    result.versions = [];
    assert.deepEqual(checkAssertions(result, ["slos"]).failures, ["slos: no version was measured"]);
  });

  it("slosby: checks one version, by index (Iter8) or name", () => {
    const result = sampleResult();
    assert.deepEqual(checkAssertions(result, ["slosby=0"]), { ok: true, failures: [] });
    assert.deepEqual(checkAssertions(result, ["slosby=v1"]), { ok: true, failures: [] });
    const byIndex = checkAssertions(result, ["slosby=1"]);
    assert.equal(byIndex.ok, false);
    assert.equal(byIndex.failures.length, 3);
    assert.equal(byIndex.failures[1], "slosby=v2: http/latency-p95 ≤ 100 not satisfied by v2 (value 131.2)");
    assert.deepEqual(checkAssertions(result, ["slosby=v2"]).failures, byIndex.failures);
  });

  it("reports every failed condition together, once each", () => {
    const outcome = checkAssertions(sampleResult(), ["completed", "nofailure", "slos", "slos"]);
    assert.equal(outcome.failures.length, 5);
    assert.deepEqual(
      outcome.failures.map((f) => f.split(":")[0]),
      ["completed", "nofailure", "slos", "slos", "slos"],
    );
  });

  it("rejects an unknown condition with the valid ones, before checking anything", () => {
    assert.throws(
      () => checkAssertions(sampleResult(), ["completed", "winner"]),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.code === ErrorCode.BadFlag &&
        error.message.includes(`"winner"`) &&
        error.message.includes("completed, nofailure, slos, slosby="),
    );
  });

  it("rejects slosby with an unknown version, naming the valid ones", () => {
    assert.throws(
      () => checkAssertions(sampleResult(), ["slosby=7"]),
      (error: unknown) => error instanceof ValidationError && /no version "7".*0 or v1, 1 or v2/.test(error.message),
    );
  });

  it("rejects an empty condition list", () => {
    assert.throws(() => checkAssertions(sampleResult(), []), ValidationError);
    assert.throws(() => checkAssertions(sampleResult(), [" , "]), ValidationError);
  });
});
