/**
 * Bad values (issue 13, item 12): each is a validation error naming the field and its line,
 * before anything runs. Counts go through one field kind (Fields.count), so every count behaves
 * the same.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, VALUE_LIMITS, parseExperimentText } from "../../../core/index.js";
import { failure, http, httpExperiment } from "./helpers.js";

interface Case {
  readonly name: string;
  readonly text: string;
  readonly field: string;
  readonly line: number;
  readonly code: string;
  readonly message: RegExp;
}

const http2 = (...lines: string[]): string => httpExperiment("url: http://a.test/", ...lines);
const task = (name: string, withLines: string[]): string => ["spec:", `  - task: ${name}`, "    with:", ...withLines.map((l) => `      ${l}`)].join("\n") + "\n";

const cases: Case[] = [
  { name: "numRequests: 1e300", text: http2("numRequests: 1e300"), field: "spec[0].with.numRequests", line: 5, code: ErrorCode.OutOfRange, message: /expected a positive integer of at most 1000000000000 \(the limit\), got 1e\+300/ },
  { name: "numRequests: .inf", text: http2("numRequests: .inf"), field: "spec[0].with.numRequests", line: 5, code: ErrorCode.OutOfRange, message: /expected a positive integer, got Infinity/ },
  { name: "numRequests: .nan", text: http2("numRequests: .nan"), field: "spec[0].with.numRequests", line: 5, code: ErrorCode.OutOfRange, message: /got NaN/ },
  { name: "fractional numRequests", text: http2("numRequests: 10.5"), field: "spec[0].with.numRequests", line: 5, code: ErrorCode.WrongType, message: /expected a positive integer, got 10\.5/ },
  { name: "fractional connections", text: http2("connections: 2.5"), field: "spec[0].with.connections", line: 5, code: ErrorCode.WrongType, message: /expected a positive integer, got 2\.5/ },
  { name: "connections: 1e9", text: http2("connections: 1e9"), field: "spec[0].with.connections", line: 5, code: ErrorCode.OutOfRange, message: /at most 1000000 \(the limit\)/ },
  { name: "fractional warmupNumRequests", text: http2("warmupNumRequests: 0.5"), field: "spec[0].with.warmupNumRequests", line: 5, code: ErrorCode.WrongType, message: /expected a non-negative integer, got 0\.5/ },
  { name: "warmupNumRequests: 1e300", text: http2("warmupNumRequests: 1e300"), field: "spec[0].with.warmupNumRequests", line: 5, code: ErrorCode.OutOfRange, message: /at most 1000000000000/ },
  { name: "v0.8 numQueries: 1e20", text: http2("numQueries: 1e20"), field: "spec[0].with.numQueries", line: 5, code: ErrorCode.OutOfRange, message: /at most/ },
  { name: "fractional agents", text: http2("agents: 1.5"), field: "spec[0].with.agents", line: 5, code: ErrorCode.WrongType, message: /positive integer, got 1\.5/ },
  { name: "fractional grpc total", text: task("grpc", ["host: h:1", "call: a.B.C", "total: 99.9"]), field: "spec[0].with.total", line: 6, code: ErrorCode.WrongType, message: /positive integer, got 99\.9/ },
  { name: "grpc concurrency 1e300", text: task("grpc", ["host: h:1", "call: a.B.C", "concurrency: 1e300"]), field: "spec[0].with.concurrency", line: 6, code: ErrorCode.OutOfRange, message: /at most 1000000/ },
  { name: "grpc rps .inf", text: task("grpc", ["host: h:1", "call: a.B.C", "rps: .inf"]), field: "spec[0].with.rps", line: 6, code: ErrorCode.OutOfRange, message: /non-negative number, got Infinity/ },
  { name: "fractional retries", text: task("notify", ["url: http://hook.test/", "retries: 2.5"]), field: "spec[0].with.retries", line: 5, code: ErrorCode.WrongType, message: /non-negative integer, got 2\.5/ },
  { name: "qps: .inf", text: http2("qps: .inf"), field: "spec[0].with.qps", line: 5, code: ErrorCode.OutOfRange, message: /expected a non-negative number, got Infinity/ },
  { name: "qps: 1e300", text: http2("qps: 1e300"), field: "spec[0].with.qps", line: 5, code: ErrorCode.OutOfRange, message: /at most 10000000 \(the limit\)/ },
  { name: "duration: 1e300 seconds", text: http2("duration: 1e300"), field: "spec[0].with.duration", line: 5, code: ErrorCode.OutOfRange, message: /at most 7 days/ },
  { name: "duration: .inf", text: http2("duration: .inf"), field: "spec[0].with.duration", line: 5, code: ErrorCode.BadDuration, message: /expected a duration/ },
  { name: "duration: 9999h", text: http2("duration: 9999h"), field: "spec[0].with.duration", line: 5, code: ErrorCode.OutOfRange, message: /at most 7 days/ },
  { name: "timeout: .nan", text: http2("timeout: .nan"), field: "spec[0].with.timeout", line: 5, code: ErrorCode.BadDuration, message: /expected a duration/ },
  { name: "a stage's qps: .inf", text: http2("stages: [{duration: 1s, qps: .inf}]"), field: "spec[0].with.stages[0].qps", line: 5, code: ErrorCode.OutOfRange, message: /got Infinity/ },
  { name: "stages that last 0s in total, without numRequests", text: http2("stages: [{duration: 0s, qps: 100}]"), field: "spec[0].with.stages", line: 5, code: ErrorCode.OutOfRange, message: /the stages last 0s in total.*set numRequests/ },
  { name: "a negative stage duration", text: http2("stages: [{duration: -1s, qps: 100}]"), field: "spec[0].with.stages[0].duration", line: 5, code: ErrorCode.BadDuration, message: /expected a duration/ },
  { name: "stages that never rise above 0 qps", text: http2("stages:", "  - {duration: 5s, qps: 0}", "  - {duration: 5s, qps: 0}"), field: "spec[0].with.stages", line: 6, code: ErrorCode.OutOfRange, message: /no stage rises above 0 qps/ },
  { name: "SLO limit .inf", text: `${http2()}  - task: assess\n    with: {SLOs: {upper: [{metric: http/error-rate, limit: .inf}]}}\n`, field: "spec[1].with.SLOs.upper[0].limit", line: 6, code: ErrorCode.OutOfRange, message: /expected a number, got Infinity/ },
  { name: "SLO limit .nan (map form)", text: `${http2()}  - task: assess\n    with: {SLOs: {upper: {http/error-rate: .nan}}}\n`, field: 'spec[1].with.SLOs.upper["http/error-rate"]', line: 6, code: ErrorCode.OutOfRange, message: /got NaN/ },
  { name: "error range upper 1e300", text: http2("errorRanges: [{lower: 500, upper: 1e300}]"), field: "spec[0].with.errorRanges[0].upper", line: 5, code: ErrorCode.OutOfRange, message: /at most 999/ },
  { name: "CRLF in a header value", text: http2('headers: {X-Id: "a\\r\\nX-Injected: 1"}'), field: "spec[0].with.headers.X-Id", line: 5, code: ErrorCode.OutOfRange, message: /a header value may not hold control characters.*"a\\r\\nX-Injected: 1"/ },
  { name: "LF in a header name", text: http2('headers: {"X-A\\nB": v}'), field: 'spec[0].with.headers["X-A\\nB"]', line: 5, code: ErrorCode.OutOfRange, message: /a header name is letters, digits/ },
  { name: "a space in a header name", text: http2('headers: {"X Id": v}'), field: 'spec[0].with.headers["X Id"]', line: 5, code: ErrorCode.OutOfRange, message: /header name/ },
  { name: "NUL in a version's header", text: httpExperiment("versions:", '  - {name: v1, url: http://a.test/, headers: {X-Id: "a\\0b"}}'), field: "spec[0].with.versions[0].headers.X-Id", line: 5, code: ErrorCode.OutOfRange, message: /control characters/ },
  { name: "CR in an endpoint's header", text: http2("endpoints:", '  login: {url: /login, headers: {X-Id: "a\\rb"}}'), field: "spec[0].with.endpoints.login.headers.X-Id", line: 6, code: ErrorCode.OutOfRange, message: /control characters/ },
  { name: "CRLF in a notify header", text: task("notify", ["url: http://hook.test/", 'headers: {Authorization: "Bearer x\\r\\nHost: evil"}']), field: "spec[0].with.headers.Authorization", line: 5, code: ErrorCode.OutOfRange, message: /control characters/ },
  { name: "CRLF in gRPC metadata", text: task("grpc", ["host: h:1", "call: a.B.C", 'metadata: {k: "v\\r\\nx"}']), field: "spec[0].with.metadata.k", line: 6, code: ErrorCode.OutOfRange, message: /control characters/ },
  { name: "CRLF in contentType", text: http2('contentType: "text/plain\\r\\nX: 1"'), field: "spec[0].with.contentType", line: 5, code: ErrorCode.OutOfRange, message: /content type may not hold control characters/ },
  { name: "an endpoint's numRequests: 1e300", text: http2("endpoints:", "  login: {url: /login, numRequests: 1e300}"), field: "spec[0].with.endpoints.login.numRequests", line: 6, code: ErrorCode.OutOfRange, message: /at most 1000000000000/ },
  { name: "an endpoint's fractional connections", text: http2("endpoints:", "  login: {url: /login, connections: 1.5}"), field: "spec[0].with.endpoints.login.connections", line: 6, code: ErrorCode.WrongType, message: /positive integer, got 1\.5/ },
];

describe("bad values are validation errors naming the field and the line", () => {
  for (const c of cases) {
    it(c.name, () => {
      const error = failure(c.text);
      const problem = error.problems.find((p) => p.field === c.field);
      assert.ok(problem, `no problem at ${c.field}; got:\n${error.message}`);
      assert.equal(problem.code, c.code, problem.message);
      assert.equal(problem.location.line, c.line, problem.message);
      assert.equal(problem.location.file, "exp.yaml");
      assert.match(problem.message, c.message);
    });
  }

  it("the largest allowed values are accepted", () => {
    const load = http(parseExperimentText(http2(`numRequests: ${VALUE_LIMITS.maxRequests}`, `connections: ${VALUE_LIMITS.maxConnections}`, `qps: ${VALUE_LIMITS.maxQps}`, "warmupNumRequests: 0", "timeout: 168h"), "exp.yaml"));
    assert.deepEqual([load.numRequests, load.connections, load.qps, load.warmupNumRequests, load.timeoutMs], [1e12, 1e6, 1e7, 0, 7 * 24 * 3_600_000]);
  });

  it("a tab in a header value is allowed (RFC 9110 field content)", () => {
    assert.deepEqual(http(parseExperimentText(http2('headers: {X-Id: "a\\tb"}'), "exp.yaml")).versions[0]?.request.headers, { "X-Id": "a\tb" });
  });

  it("a zero-length stage is a step, as docs/load-models.md says: {duration: 0s, qps: 100} starts at full rate", () => {
    const spec = http(parseExperimentText(http2("stages: [{duration: 0s, qps: 100}, {duration: 10s, qps: 100}]"), "exp.yaml"));
    assert.deepEqual(spec.stages, [
      { durationMs: 0, qps: 100 },
      { durationMs: 10_000, qps: 100 },
    ]);
    assert.equal(http(parseExperimentText(http2("numRequests: 50", "stages: [{duration: 0s, qps: 100}]"), "exp.yaml")).stages.length, 1);
  });

  it("stages with one stage above 0 qps are fine", () => {
    assert.equal(http(parseExperimentText(http2("stages: [{duration: 1s, qps: 0}, {duration: 1s, qps: 5}]"), "exp.yaml")).qps, 5);
  });

  it("if: conditions longer than 4096 characters or nested deeper than 64 levels are refused", () => {
    const deep = failure(`spec:\n  - if: ${"(".repeat(100)}SLOs()${")".repeat(100)}\n    run: echo\n`);
    assert.equal(deep.code, ErrorCode.BadCondition);
    assert.equal(deep.location?.line, 2);
    assert.match(deep.message, /nested more than 64 levels deep/);
    const nots = failure(`spec:\n  - if: ${"not ".repeat(1000)}SLOs()\n    run: echo\n`);
    assert.match(nots.message, /nested more than 64 levels deep/);
    const long = failure(`spec:\n  - if: ${Array(1000).fill("SLOs()").join(" and ")}\n    run: echo\n`);
    assert.match(long.message, /more than the limit of 4096/);
  });
});
