/**
 * Fuzzing the parser (issue 13, "Figures"): generated experiment files (YAML structure and values,
 * and raw YAML text built from its tokens), `--set` overrides and `if:` conditions. Whatever the
 * input: no crash, no hang, and either a model or a typed ValidationError whose every problem has
 * a location. Seeded, so a failure reproduces; set ASSAY_FUZZ_SEED to explore other inputs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { ErrorCode, ExperimentValidationError, KNOWN_TASK_NAMES, ValidationError, evaluateCondition, parseCondition, parseExperimentText } from "../../../core/index.js";
import type { ConditionContext } from "../../../core/index.js";

const SEED = Number(process.env["ASSAY_FUZZ_SEED"] ?? 20_251_121);
/** Any one input taking longer than this is a hang. */
const MAX_CASE_MS = 2000;

/** Parses `text`; asserts the outcome is a model or a located ValidationError. */
function checkParse(text: string, overrides: readonly string[] = []): void {
  const started = performance.now();
  try {
    const experiment = parseExperimentText(text, "fuzz.yaml", { overrides, baseDir: "/nonexistent-fuzz-dir", checkTemplate: () => undefined });
    assert.ok(experiment.tasks.length > 0);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw new Error(`not a ValidationError for ${JSON.stringify(text).slice(0, 300)} (overrides ${JSON.stringify(overrides)})`, { cause: error });
    assert.ok(error.location, `no location: ${error.message}`);
    assert.ok(error.location.line >= 1 && error.location.column >= 1, error.describe());
    if (error instanceof ExperimentValidationError) {
      for (const problem of error.problems) assert.ok(problem.location.line >= 1 && problem.location.column >= 1, problem.message);
    }
  }
  const ms = performance.now() - started;
  assert.ok(ms < MAX_CASE_MS, `${ms.toFixed(0)} ms for ${JSON.stringify(text).slice(0, 200)}`);
}

// ------------------------------------------------------------------------------------ values

const FIELD_NAMES = [
  "url", "versions", "versionInfo", "headers", "numRequests", "numQueries", "duration", "time", "qps", "connections", "payloadStr", "payloadFile",
  "payloadURL", "contentType", "method", "errorRanges", "percentiles", "warmupNumRequests", "warmupDuration", "endpoints", "agents", "loadModel",
  "stages", "timeout", "insecureSkipVerify", "followRedirects", "warmup", "SLOs", "slos", "Upper", "upper", "lower", "rewards", "max", "min",
  "metric", "limit", "upperLimit", "criteria", "baseline", "confidence", "host", "call", "total", "concurrency", "rps", "data", "dataURL",
  "metadata", "templates", "values", "versionValues", "payloadTemplate", "payloadTemplateURL", "softFailure", "retries", "owner", "repo", "token",
  "name", "lower", "patch", "patchType", "kind", "apiVersion", "resource", "version", "condition", "command", "with", "task", "if", "run",
];
const METRICS = ["http/latency-p95.0", "http/error-rate", "built-in/p95.0", "built-in/http-latency-mean", "grpc/latency/p99.90", "http-x/latency-mean", "prom/cpu", "http/latency", "http/latency-p0", "http/latency-p1e400"];
const STRINGS = [
  "", " ", "http://127.0.0.1:8080/", "/path", "ftp://x", "10s", "1m30s", "-5s", "1e300s", "open", "closed", "GET", "P O S T", "SLOs()",
  "a\r\nb", "\u0000", "x: y", "{{ .Result }}", "{{ range 100000 }}", "${env:X}", "__proto__", "constructor", "http", "assess", "*a", "&a",
  ...METRICS,
];
const NUMBERS = [0, 1, -1, 2.5, 1e300, -1e300, Number.MAX_SAFE_INTEGER, 99.9, 100, 101, 0.5, 1e12, 1e12 + 1, 4294967296, Infinity, -Infinity, Number.NaN];

const scalar = fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS), fc.boolean(), fc.constant(null), fc.string({ maxLength: 12 }), fc.integer(), fc.double());
const key = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELD_NAMES, ...METRICS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }, {
  weight: 1,
  arbitrary: fc.constantFrom(...FIELD_NAMES).map((name) => name.toUpperCase()),
});
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 5 }),
  ),
}));
const taskEntry = fc.record(
  {
    task: fc.oneof(fc.constantFrom(...KNOWN_TASK_NAMES), fc.string({ maxLength: 6 })),
    with: fc.dictionary(key, value, { maxKeys: 8 }),
    if: fc.constantFrom("SLOs()", "not SLOs()", "Winner() == 'v2'", "(", "Result.x.y >= 1"),
    run: fc.constantFrom("echo hi"),
  },
  { requiredKeys: ["task"] },
);
const experiment = fc.record({ name: fc.oneof(fc.string(), fc.constant(undefined)), spec: fc.array(taskEntry, { maxLength: 4 }) }, { requiredKeys: ["spec"] });

/** Plain data as YAML text (non-finite numbers as YAML's .inf/.nan). */
function toYaml(data: unknown): string {
  return stringify(data, { aliasDuplicateObjects: false, lineWidth: 0 });
}

// ------------------------------------------------------------------------------------ raw text

const YAML_TOKENS = [
  "[", "]", "{", "}", ",", "- ", ": ", "? ", "\n", "\n  ", "\n    ", "  ", "&a ", "*a", "&b ", "*b", "<<: ", "#c", "'", '"', "|", ">", "---\n",
  "!!str ", "!x ", "x", "1e300", ".inf", ".nan", "spec", "task", "http", "with", "url", "http://127.0.0.1/", "numRequests", "qps", "SLOs",
  "upper", "metric", "limit", "endpoints", "\t", "\r\n", "\u0000", "%YAML 1.2\n",
];
const rawText = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 60 }).map((tokens) => tokens.join(""));
const skeletonText = fc
  .tuple(rawText, rawText)
  .map(([a, b]) => `spec:\n  - task: http\n    with:\n      url: http://127.0.0.1/\n      ${a}\n  - task: assess\n    with: ${b}\n`);

// ------------------------------------------------------------------------------------ overrides

const PATH_TOKENS = ["http", "assess", "spec", "[0]", "[1]", "[99]", ".", "with", "qps", "SLOs", "upper", "[\"x\"]", "name", "=", "[", "]", "..", "0"];
const override = fc
  .tuple(fc.array(fc.constantFrom(...PATH_TOKENS), { maxLength: 6 }), fc.oneof(fc.constantFrom("5", "*a", "&a [*a]", "[1, 2", "{a: 1}", "1e300", "", "null", "- x"), rawText))
  .map(([path, val]) => `${path.join("")}=${val}`);

// ------------------------------------------------------------------------------------ conditions

const CONDITION_TOKENS = [
  "SLOs()", "WinnerFound()", "Winner()", "CandidateWon()", "Result", ".", "NumLoops", "metrics", "[", "]", "\"v1\"", "'x'", "1", "-2.5", "1e400",
  "and", "or", "not", "&&", "||", "!", "==", "!=", "<", "<=", ">", ">=", "(", ")", "true", "false", "null", "Winer", "Result.a.b", " ", "\"unterminated",
  "#", "@", "\\",
];
const condition = fc.oneof(
  fc.array(fc.constantFrom(...CONDITION_TOKENS), { maxLength: 30 }).map((tokens) => tokens.join(" ")),
  fc.array(fc.constantFrom(...CONDITION_TOKENS), { maxLength: 30 }).map((tokens) => tokens.join("")),
  fc.string({ maxLength: 40 }),
);
const conditionContext: ConditionContext = {
  slosSatisfied: () => true,
  winner: () => "v2",
  candidateWon: () => true,
  result: { NumLoops: 2, metrics: { v1: { x: 1 } }, a: { b: "c" } },
};

describe("fuzz: the parser never crashes or hangs, and refuses with located ValidationErrors", () => {
  it("generated experiment structures and values (1500 cases)", () => {
    fc.assert(fc.property(experiment, (data) => checkParse(toYaml(data))), { seed: SEED, numRuns: 1500 });
  });

  it("raw YAML text built from YAML's tokens, alone and inside an experiment (3000 cases)", () => {
    fc.assert(fc.property(fc.oneof(rawText, skeletonText), (text) => checkParse(text)), { seed: SEED + 1, numRuns: 3000 });
  });

  it("--set overrides on a valid experiment (1500 cases)", () => {
    const base = "spec:\n  - task: http\n    with: {url: http://127.0.0.1/, qps: 5}\n  - task: assess\n    with: {SLOs: {upper: [{metric: http/error-rate, limit: 0}]}}\n";
    fc.assert(fc.property(fc.array(override, { minLength: 1, maxLength: 3 }), (overrides) => checkParse(base, overrides)), { seed: SEED + 2, numRuns: 1500 });
  });

  it("if: conditions, parsed and evaluated (4000 cases)", () => {
    fc.assert(
      fc.property(condition, (text) => {
        try {
          const parsed = parseCondition(text, { field: "spec[0].if", location: { file: "fuzz.yaml", line: 2, column: 9 }, exactColumns: true });
          assert.equal(typeof evaluateCondition(parsed, conditionContext), "boolean");
        } catch (error) {
          if (!(error instanceof ValidationError) || error.code !== ErrorCode.BadCondition) throw new Error(`unexpected error for ${JSON.stringify(text)}`, { cause: error });
          assert.ok(error.location && error.location.line === 2 && error.location.column >= 9, error.describe());
        }
      }),
      { seed: SEED + 3, numRuns: 4000 },
    );
  });
});
