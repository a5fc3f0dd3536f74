/**
 * Iter8 forms the compatibility corpus once listed as refused (test/compat PENDING_PARSER):
 * each is read as Iter8 read it (the Iter8 source is named per test).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ValidationError, parseExperimentText } from "../../../core/index.js";
import { taskOf } from "./helpers.js";

function refusal(text: string): string {
  try {
    parseExperimentText(text, "exp.yaml");
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error.describe();
  }
  return assert.fail("expected a validation error");
}

describe("ready: Iter8 v1.x `conditions` list (base/readiness.go, Conditions []string)", () => {
  it("reads the list", () => {
    const experiment = parseExperimentText(
      ["spec:", "- task: ready", "  with: {name: app, version: v1, resource: deployments, conditions: [Available, Progressing]}"].join("\n"),
      "exp.yaml",
    );
    const ready = taskOf(experiment, 0, "ready");
    assert.deepEqual([ready.condition, ready.conditions], [undefined, ["Available", "Progressing"]]);
  });

  it("refuses condition and conditions together, and a non-string entry", () => {
    assert.match(refusal("spec:\n- task: ready\n  with: {name: a, version: v1, resource: pods, condition: Ready, conditions: [Ready]}"), /conditions.*either condition/);
    assert.match(refusal("spec:\n- task: ready\n  with: {name: a, version: v1, resource: pods, conditions: [{a: 1}]}"), /conditions\[0\]/);
  });
});

describe("http: the keys Iter8's v0.9-v0.10 chart dumped into the task (SPEC.md §2.1)", () => {
  it("accepts SLOs and iter8lib, records them as ignored, and applies nothing from them", () => {
    const experiment = parseExperimentText(
      ["- task: gen-load-and-collect-metrics-http", "  with:", "    SLOs: {http/error-rate: 0}", "    iter8lib: {runner: job}", "    numRequests: 20", "    url: http://a.test/get"].join("\n"),
      "exp.yaml",
    );
    const http = taskOf(experiment, 0, "http");
    assert.deepEqual(http.ignoredFields, ["spec[0].with.SLOs", "spec[0].with.iter8lib"]);
    assert.equal(http.numRequests, 20);
  });

  it("keeps every other unknown key an error", () => {
    assert.match(refusal("- task: http\n  with: {url: http://a.test/, iter8libs: {}}"), /iter8libs/);
  });
});

describe("collect-metrics-database: Iter8 v0.9-v0.10's providers: [name] form (base/collect_database.go)", () => {
  it("reads it as custommetrics templates <name>.metrics.yaml with versionInfo as versionValues", () => {
    const experiment = parseExperimentText(
      [
        "- task: collect-metrics-database",
        "  with:",
        "    providers: [prom]",
        "    versionInfo:",
        "    - {destination_version: v1, startingTime: 'Feb 4, 2022 at 3:04pm (PST)'}",
        "    - {destination_version: v2}",
      ].join("\n"),
      "exp.yaml",
    );
    const task = taskOf(experiment, 0, "custommetrics");
    assert.deepEqual(task.raw, {
      templates: { prom: "prom.metrics.yaml" },
      versionValues: [{ destination_version: "v1", startingTime: "2022-02-04T15:04:00.000Z" }, { destination_version: "v2" }],
    });
    assert.equal(task.versionValues.length, 2);
  });

  it("refuses a key the v0.10 task did not read, and keeps Assay's inline providers as before", () => {
    assert.match(refusal("- task: collect-metrics-database\n  with: {providers: [prom], values: {a: 1}}"), /values/);
    assert.match(refusal("- task: custommetrics\n  with: {providers: [prom, {name: x}]}"), /providers\[0\]: expected a map/);
  });
});
