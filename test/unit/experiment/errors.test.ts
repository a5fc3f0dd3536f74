import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ErrorCode, ErrorKind, KNOWN_TASK_NAMES, ValidationError, parseExperimentFile, parseExperimentText } from "../../../core/index.js";
import type { ExpectedProblem } from "./helpers.js";
import { FIXTURES, assertProblem, failure, httpExperiment } from "./helpers.js";

const TWO_TASKS = `name: exp
spec:
  - task: assess
    with:
      SLOs: {upper: {http/error-rate: 0}}
  - task: http
    with:
      qps: -5
      url: http://a.test/
`;

/** One invalid file per case, and the problem it must report. */
const CASES: { name: string; text: string; expected: ExpectedProblem }[] = [
  {
    name: "unknown top-level key",
    text: "nmae: exp\nspec:\n  - run: echo\n",
    expected: { code: ErrorCode.UnknownKey, line: 1, column: 1, field: "nmae", message: /unknown field "nmae".*did you mean "name"/ },
  },
  {
    name: "unknown entry key",
    text: "spec:\n  - task: http\n    wiht: {url: http://a.test/}\n",
    expected: { code: ErrorCode.UnknownKey, line: 3, column: 5, field: "spec[0].wiht", message: /unknown field "wiht" in a task entry.*did you mean "with"/ },
  },
  {
    name: "unknown field in with",
    text: httpExperiment("url: http://a.test/", "numRequets: 5"),
    expected: { code: ErrorCode.UnknownKey, line: 5, column: 7, field: "spec[0].with.numRequets", message: /unknown field "numRequets" in task "http" \(did you mean "numRequests"\?\)/ },
  },
  {
    name: "wrong type",
    text: httpExperiment("url: http://a.test/", 'connections: "four"'),
    expected: { code: ErrorCode.WrongType, line: 5, column: 20, field: "spec[0].with.connections", message: /expected a positive integer, got "four"/ },
  },
  {
    name: "negative rate",
    text: httpExperiment("url: http://a.test/", "qps: -1.5"),
    expected: { code: ErrorCode.OutOfRange, line: 5, column: 12, message: /spec\[0\]\.with\.qps: expected a non-negative number, got -1\.5/ },
  },
  {
    name: "zero connections",
    text: httpExperiment("url: http://a.test/", "connections: 0"),
    expected: { code: ErrorCode.OutOfRange, line: 5, column: 20, message: /connections: expected a positive integer, got 0/ },
  },
  {
    name: "fractional numRequests",
    text: httpExperiment("url: http://a.test/", "numRequests: 2.5"),
    expected: { code: ErrorCode.WrongType, line: 5, column: 20, message: /numRequests: expected a positive integer, got 2\.5/ },
  },
  {
    name: "unknown task",
    text: "spec:\n  - task: load-test\n",
    expected: { code: ErrorCode.UnknownTask, line: 2, column: 11, field: "spec[0].task", message: /unknown task "load-test"; known tasks: http, grpc, custommetrics, assess/ },
  },
  {
    name: "url and versions",
    text: httpExperiment("url: http://a.test/", "versions: [{url: http://b.test/}]"),
    expected: { code: ErrorCode.Contradiction, line: 5, column: 7, field: "spec[0].with.versions", message: /exactly one of url, versions and versionInfo/ },
  },
  {
    name: "bad duration",
    text: httpExperiment("url: http://a.test/", "duration: 10 parsecs"),
    expected: { code: ErrorCode.BadDuration, line: 5, column: 17, message: /duration: expected a duration like "10s".*got "10 parsecs"/ },
  },
  {
    name: "missing payloadFile",
    text: httpExperiment("url: http://a.test/", "payloadFile: nope.json"),
    expected: { code: ErrorCode.FileNotFound, line: 5, column: 20, field: "spec[0].with.payloadFile", message: /cannot read "nope\.json" .*no such file/ },
  },
  {
    name: "bad if (points at the token)",
    text: "spec:\n  - if: SLOs() and and\n    run: echo\n",
    expected: { code: ErrorCode.BadCondition, line: 2, column: 20, field: "spec[0].if", message: /unexpected "and" in "SLOs\(\) and and"/ },
  },
  {
    name: "bad if (unknown function, quoted)",
    text: "spec:\n  - if: 'Winer() == \"v2\"'\n    run: echo\n",
    expected: { code: ErrorCode.BadCondition, line: 2, column: 10, message: /unknown function "Winer".*did you mean Winner\(\)/ },
  },
  {
    name: "YAML syntax error",
    text: "spec:\n  - task: http\n    with: {url: http://a.test/\n",
    expected: { code: ErrorCode.YamlSyntax, line: 4, column: 1, message: /YAML syntax error/ },
  },
  {
    name: "duplicate key (YAML)",
    text: "spec:\n  - task: http\n    task: assess\n",
    expected: { code: ErrorCode.YamlSyntax, line: 3, column: 5, message: /unique/ },
  },
  {
    name: "loadModel closed with stages",
    text: httpExperiment("url: http://a.test/", "loadModel: closed", "stages: [{duration: 1s, qps: 5}]"),
    expected: { code: ErrorCode.Contradiction, line: 6, column: 7, field: "spec[0].with.stages", message: /stages need the open load model/ },
  },
  {
    name: "duration with stages",
    text: httpExperiment("url: http://a.test/", "stages: [{duration: 1s, qps: 5}]", "duration: 5s"),
    expected: { code: ErrorCode.Contradiction, line: 6, column: 7, field: "spec[0].with.duration", message: /stages define the duration/ },
  },
  {
    name: "open model without rate",
    text: httpExperiment("url: http://a.test/", "loadModel: open", "qps: 0"),
    expected: { code: ErrorCode.Contradiction, line: 6, column: 7, message: /open load model needs qps > 0/ },
  },
  {
    name: "no url",
    text: httpExperiment("connections: 2"),
    expected: { code: ErrorCode.MissingField, line: 4, column: 7, field: "spec[0].with.url", message: /needs url .* or versions/ },
  },
  {
    name: "url written with no value",
    text: httpExperiment("url:"),
    expected: { code: ErrorCode.MissingField, line: 4, column: 7, field: "spec[0].with.url", message: /is required/ },
  },
  {
    name: "warmup on an endpoint (Iter8 reads it only on the task)",
    text: httpExperiment("url: http://a.test/", "endpoints:", "  login:", "    url: /login", "    warmup: true"),
    expected: { code: ErrorCode.OutOfRange, line: 8, column: 11, field: "spec[0].with.endpoints.login.warmup", message: /warmup applies to the whole task/ },
  },
  {
    name: "not an http url",
    text: httpExperiment("url: ftp://a.test/"),
    expected: { code: ErrorCode.OutOfRange, line: 4, column: 12, message: /expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/a\.test\/"/ },
  },
  {
    name: "duplicate version names",
    text: httpExperiment("versions:", "  - {name: a, url: http://a.test/}", "  - {name: a, url: http://b.test/}"),
    expected: { code: ErrorCode.Contradiction, line: 6, column: 18, field: "spec[0].with.versions[1].name", message: /"a" is already used by spec\[0\]\.with\.versions\[0\]/ },
  },
  {
    name: "bad endpoint name",
    text: httpExperiment("url: http://a.test/", "endpoints:", "  log in: {url: /login}"),
    expected: { code: ErrorCode.OutOfRange, line: 6, column: 9, message: /endpoint names use letters/ },
  },
  {
    name: "percentile out of range",
    text: httpExperiment("url: http://a.test/", "percentiles: [50, 100.5]"),
    expected: { code: ErrorCode.OutOfRange, line: 5, column: 25, field: "spec[0].with.percentiles[1]", message: /expected a number in \(0, 100\], got 100\.5/ },
  },
  {
    name: "error range upside down",
    text: httpExperiment("url: http://a.test/", "errorRanges: [{lower: 500, upper: 400}]"),
    expected: { code: ErrorCode.Contradiction, line: 5, column: 34, message: /upper \(400\) is below lower \(500\)/ },
  },
  {
    name: "SLO with a bad metric name",
    text: "- task: assess\n  with:\n    SLOs:\n      upper:\n        - {metric: latency, limit: 5}\n",
    expected: { code: ErrorCode.OutOfRange, line: 5, column: 20, message: /expected a metric name like "http\/latency-p95"/ },
  },
  {
    name: "confidence out of (0, 1)",
    text: "- task: assess\n  with: {confidence: 1}\n",
    expected: { code: ErrorCode.OutOfRange, line: 2, column: 22, message: /expected a number between 0 and 1 \(exclusive\), got 1/ },
  },
  {
    name: "github without token",
    text: "- task: github\n  with: {owner: me, repo: app}\n",
    expected: { code: ErrorCode.MissingField, line: 2, column: 9, field: "spec[0].with.token", message: /is required/ },
  },
  {
    name: "k8s-patch without patch",
    text: "- task: k8s-patch\n  with: {apiVersion: v1, kind: ConfigMap, name: x}\n",
    expected: { code: ErrorCode.MissingField, line: 2, column: 9, field: "spec[0].with.patch", message: /is required/ },
  },
  {
    name: "entry with both task and run",
    text: "- task: http\n  run: echo\n",
    expected: { code: ErrorCode.Contradiction, line: 2, column: 3, field: "spec[0].run", message: /either a task .* or a shell command/ },
  },
  {
    name: "entry with neither",
    text: "- if: SLOs()\n",
    expected: { code: ErrorCode.MissingField, line: 1, column: 3, message: /needs task: <name> or run: <command>/ },
  },
  {
    name: "baseline that is not a version",
    text: httpExperiment("url: http://a.test/") + "  - task: assess\n    with: {baseline: v9}\n",
    expected: { code: ErrorCode.Contradiction, line: 6, column: 22, message: /baseline "v9" is not a version of this experiment \(versions: default\)/ },
  },
  {
    name: "empty file",
    text: "# nothing\n",
    expected: { code: ErrorCode.MissingField, line: 1, column: 1, message: /file is empty/ },
  },
  {
    name: "empty task list",
    text: "spec: []\n",
    expected: { code: ErrorCode.MissingField, line: 1, column: 7, message: /task list is empty/ },
  },
];

describe("error messages point at the line and column", () => {
  it("formats file:line:column: field: message", () => {
    const error = failure(TWO_TASKS.replace("qps: -5", "qps:  -5"));
    assert.ok(error instanceof ValidationError);
    assert.equal(error.kind, ErrorKind.Validation);
    assert.equal(error.describe(), "exp.yaml:8:13: spec[1].with.qps: expected a non-negative number, got -5");
    assert.deepEqual(error.problems.map((p) => p.code), [ErrorCode.OutOfRange]);
  });

  for (const { name, text, expected } of CASES) {
    it(name, () => assertProblem(failure(text), expected));
  }

  it("the unknown-task message lists every known task", () => {
    const error = failure("spec:\n  - task: load-test\n");
    for (const known of KNOWN_TASK_NAMES) assert.ok(error.message.includes(known), `message lacks ${known}`);
  });

  it("a template hook's error is reported at the template field", () => {
    const error = failure("- task: slack\n  with:\n    url: https://hooks.test/x\n    payloadTemplate: '{{ .Oops'\n", {
      checkTemplate: (templateText) => {
        if (templateText.includes("{{") && !templateText.includes("}}")) throw new Error("unclosed action");
      },
    });
    assertProblem(error, { code: ErrorCode.BadTemplate, line: 4, column: 22, field: "spec[0].with.payloadTemplate", message: /unclosed action/ });
  });
});

describe("all problems at once", () => {
  it("lists every problem, in file order, each with its own location", () => {
    const error = failure(
      ["spec:", "  - task: http", "    with:", "      url: http://a.test/", "      qps: -5", "      connections: 0", "  - task: nope", "  - if: Winner(", "    run: echo"].join("\n"),
    );
    assert.deepEqual(
      error.problems.map((p) => [p.code, p.location.line, p.location.column]),
      [
        [ErrorCode.OutOfRange, 5, 12],
        [ErrorCode.OutOfRange, 6, 20],
        [ErrorCode.UnknownTask, 7, 11],
        [ErrorCode.BadCondition, 8, 16],
      ],
    );
    const lines = error.describe().split("\n");
    assert.equal(lines.length, 4);
    assert.equal(lines[0], "exp.yaml:5:12: spec[0].with.qps: expected a non-negative number, got -5");
    assert.equal(lines[1], "exp.yaml:6:20: spec[0].with.connections: expected a positive integer, got 0");
    assert.match(lines[3] ?? "", /^exp\.yaml:8:16: spec\[2\]\.if: expected "\)"/);
  });

  it("stops after YAML syntax errors (nothing half-validated)", () => {
    const error = failure("spec:\n  - task: nope\n  bad: [\n");
    assert.ok(error.problems.every((p) => p.code === ErrorCode.YamlSyntax));
  });
});

describe("parseExperimentFile", () => {
  it("a missing file is FILE_NOT_FOUND", async () => {
    await assert.rejects(parseExperimentFile(join(FIXTURES, "does-not-exist.yaml")), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.code, ErrorCode.FileNotFound);
      assert.match(error.message, /does-not-exist\.yaml: no such file/);
      return true;
    });
  });

  it("uses the path in locations", () => {
    assert.throws(
      () => parseExperimentText("spec:\n  - task: nope\n", "/abs/dir/exp.yaml"),
      (error: unknown) => error instanceof ValidationError && error.describe().startsWith("/abs/dir/exp.yaml:2:11: spec[0].task: unknown task"),
    );
  });
});
