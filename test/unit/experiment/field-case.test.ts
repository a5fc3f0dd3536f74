/**
 * Keys as Go decodes them (issue 11, item 2): Iter8 reads task inputs with encoding/json, which
 * matches field names whatever their case. Assay does the same for field names (task inputs and
 * nested options), never for map keys (headers, labels, version and endpoint names, metric names).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, parseExperimentText } from "../../../core/index.js";
import { failure, http, taskOf } from "./helpers.js";

describe("field names match whatever their case", () => {
  it("reads Iter8's testdata form SLOs: {Upper: [...], Lower: [...]}, and slos/UPPER too", () => {
    for (const [slos, upper, lower] of [
      ["SLOs", "Upper", "Lower"],
      ["slos", "upper", "lower"],
      ["Slos", "UPPER", "lower"],
    ]) {
      const experiment = parseExperimentText(
        `spec:\n  - task: http\n    with: {url: http://a.test/}\n  - task: assess\n    with:\n      ${slos}:\n        ${upper}:\n        - Metric: http/latency-p95.0\n          Limit: 100\n        ${lower}:\n        - metric: http/request-count\n          LIMIT: 1\n`,
        "exp.yaml",
      );
      const assess = taskOf(experiment, 1, "assess");
      assert.deepEqual(assess.slos, { upper: [{ metric: "http/latency-p95", limit: 100 }], lower: [{ metric: "http/request-count", limit: 1 }] }, slos);
    }
  });

  it("task inputs and nested options of http, any case", () => {
    const load = http(
      parseExperimentText(
        "spec:\n  - task: http\n    with:\n      URL: http://a.test/\n      NumRequests: 7\n      QPS: 3\n      ErrorRanges: [{Lower: 500, UPPER: 599}]\n      Headers: {X-Id: 1}\n      Endpoints:\n        Login: {Url: /login, NumRequests: 2}\n",
        "exp.yaml",
      ),
    );
    assert.deepEqual([load.numRequests, load.qps], [7, 3]);
    assert.deepEqual(load.errorRanges, [{ lower: 500, upper: 599 }]);
    const login = load.versions[0]?.endpoints["Login"];
    assert.ok(login, "endpoint names are map keys: kept exactly as written");
    assert.equal(login.url, "http://a.test/login");
    assert.equal(login.load.numRequests, 2);
    assert.deepEqual(login.loadOverrides, ["numRequests"]);
  });

  it("entry and top-level fields too (Task, With, If, Spec), and v0.8's criteria/upperLimit", () => {
    const experiment = parseExperimentText(
      "Name: x\nSpec:\n  - Task: http\n    With: {url: http://a.test/}\n  - task: assess\n    with: {Criteria: {slos: [{metric: built-in/http-error-rate, UpperLimit: 0}]}}\n  - If: SLOs()\n    Run: echo ok\n",
      "exp.yaml",
    );
    assert.equal(experiment.name, "x");
    assert.deepEqual(taskOf(experiment, 1, "assess").slos.upper, [{ metric: "http/error-rate", limit: 0 }]);
    assert.equal(experiment.tasks[2]?.conditionText, "SLOs()");
  });

  it("--set reaches a task whose With is capitalised", () => {
    const experiment = parseExperimentText("spec:\n  - task: http\n    With: {url: http://a.test/}\n", "exp.yaml", { overrides: ["http.qps=4"] });
    assert.equal(http(experiment).qps, 4);
  });

  it("map keys stay exact: headers, version names, metric names", () => {
    const experiment = parseExperimentText(
      "spec:\n  - task: http\n    with:\n      versions: [{name: V1, url: http://a.test/, headers: {X-ID: a}}]\n      headers: {x-Trace: t}\n  - task: assess\n    with: {SLOs: {upper: {Prom/CPU: 1}}}\n",
      "exp.yaml",
    );
    const load = http(experiment);
    assert.equal(load.versions[0]?.name, "V1");
    assert.deepEqual(load.versions[0]?.request.headers, { "x-Trace": "t", "X-ID": "a" });
    assert.deepEqual(taskOf(experiment, 1, "assess").slos.upper, [{ metric: "Prom/CPU", limit: 1 }]);
  });

  it("the same field twice in different cases is an error at the second", () => {
    const error = failure("spec:\n  - task: http\n    with:\n      qps: 1\n      QPS: 2\n      url: http://a.test/\n");
    assert.equal(error.code, ErrorCode.Contradiction);
    assert.deepEqual([error.location?.line, error.location?.column], [5, 7]);
    assert.equal(error.field, "spec[0].with.QPS");
    assert.match(error.message, /"QPS" is the field "qps" again \(field names match whatever their case, as in Iter8\); write it once/);
    const slos = failure("spec:\n  - task: http\n    with: {url: http://a.test/}\n  - task: assess\n    with: {SLOs: {upper: {http/error-rate: 0}}, slos: {lower: {http/request-count: 1}}}\n");
    assert.equal(slos.code, ErrorCode.Contradiction);
  });

  it("an unknown key is still an error with did you mean", () => {
    const error = failure("spec:\n  - task: http\n    with: {url: http://a.test/, NumRequets: 5}\n");
    assert.equal(error.code, ErrorCode.UnknownKey);
    assert.match(error.message, /unknown field "NumRequets" in task "http" \(did you mean "numRequests"\?\)/);
  });

  it("messages name the field as written", () => {
    const error = failure("spec:\n  - task: http\n    with: {URL: http://a.test/, Connections: 0}\n");
    assert.equal(error.field, "spec[0].with.Connections");
  });
});
