import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ErrorCode, parseExperimentFile, parseExperimentText } from "../../../core/index.js";
import { FIXTURES, assertProblem, failure, http, taskOf } from "./helpers.js";

const EXPERIMENT = `name: exp
spec:
  - task: http
    with:
      url: http://a.test/
      qps: 5
  - task: assess
    with:
      SLOs:
        upper:
          - metric: http/latency-p95
            limit: 100
  - task: gen-load-and-collect-metrics
    with:
      url: http://b.test/
`;

const parse = (...overrides: string[]) => parseExperimentText(EXPERIMENT, "exp.yaml", { overrides });

describe("--set overrides", () => {
  it("<task>.<field> applies to every entry of that task, aliases included; values are YAML", () => {
    const experiment = parse("http.numRequests=50", "http.qps=20");
    for (const index of [0, 2]) {
      assert.equal(http(experiment, index).numRequests, 50);
      assert.equal(http(experiment, index).qps, 20);
      assert.equal(http(experiment, index).loadModel, "open");
    }
  });

  it("an alias works as the shorthand's task name too", () => {
    const experiment = parse("gen-load-and-collect-metrics.connections=9");
    assert.equal(http(experiment, 0).connections, 9);
    assert.equal(http(experiment, 2).connections, 9);
  });

  it("spec[i].with.field and spec.i.with.field address one entry", () => {
    const bracket = parse("spec[2].with.numRequests=7");
    assert.equal(http(bracket, 0).numRequests, 100);
    assert.equal(http(bracket, 2).numRequests, 7);
    const dotted = parse("spec.0.with.connections=3");
    assert.equal(http(dotted, 0).connections, 3);
    assert.equal(http(dotted, 2).connections, 4);
  });

  it("name=... renames, also for a bare-list file", async () => {
    assert.equal(parse("name=renamed").name, "renamed");
    const bare = await parseExperimentFile(join(FIXTURES, "iter8-v08.yaml"), { overrides: ["name=v08-run"] });
    assert.equal(bare.name, "v08-run");
  });

  it("reaches into lists: assess.SLOs.upper[0].limit=10", () => {
    const assess = taskOf(parse("assess.SLOs.upper[0].limit=10"), 1, "assess");
    assert.deepEqual(assess.slos.upper, [{ metric: "http/latency-p95", limit: 10 }]);
  });

  it("creates missing fields and takes flow collections", () => {
    const experiment = parse("spec[0].with.headers.X-Run=42", "http.percentiles=[99.5]", 'spec[0].with.headers["X-Two"]=two');
    assert.deepEqual(http(experiment, 0).versions[0]?.request.headers, { "X-Run": "42", "X-Two": "two" });
    assert.ok(http(experiment, 0).percentiles.includes(99.5));
  });

  it("later overrides win", () => {
    assert.equal(http(parse("http.qps=1", "http.qps=2"), 0).qps, 2);
  });

  it("an invalid overridden value is reported at the field, naming the --set", () => {
    const error = failure(EXPERIMENT, { overrides: ["http.qps=-1"] });
    assertProblem(error, { code: ErrorCode.OutOfRange, line: 6, column: 12, field: "spec[0].with.qps", message: /expected a non-negative number, got -1 \(from --set http\.qps=-1\)/ });
  });

  it("a misspelt field set by --set is an unknown field", () => {
    const error = failure(EXPERIMENT, { overrides: ["spec[0].with.qpss=1"] });
    assert.equal(error.code, ErrorCode.UnknownKey);
    assert.match(error.message, /unknown field "qpss".*did you mean "qps".*\(from --set spec\[0\]\.with\.qpss=1\)/);
  });

  const bad: [string, RegExp, number][] = [
    ["http.qps", /--set http\.qps: expected key=value/, 1],
    ["=5", /expected key=value/, 1],
    ["spec[5].with.qps=1", /spec has 3 entries, so there is no \[5\]/, 3],
    ["grpc.total=5", /the experiment has no "grpc" task/, 3],
    ["foo.bar=1", /"foo" is neither a top-level field \(name, spec, metadata\) nor a task name/, 1],
    ["spec[0].with.url.host=x", /spec\[0\]\.with\.url is "http:\/\/a\.test\/", not a map or a list/, 5],
    ["spec.x.with.qps=1", /spec is a list; use an index like spec\[0\]/, 3],
    ["http=1", /name a field of the task/, 1],
    ["spec[0.with.qps=1", /unclosed "\["/, 1],
    ["http.qps=[1, 2", /the value is not valid YAML/, 1],
  ];
  for (const [override, message, line] of bad) {
    it(`rejects --set ${override}`, () => {
      const error = failure(EXPERIMENT, { overrides: [override] });
      assert.equal(error.code, ErrorCode.BadOverride);
      assert.match(error.message, message);
      assert.equal(error.location?.line, line);
    });
  }
});
