import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, ValidationError, evaluateCondition, parseCondition } from "../../../core/index.js";
import type { Condition, ConditionContext } from "../../../core/index.js";

const SLOS: Condition = { kind: "call", fn: "SLOs" };

describe("parseCondition", () => {
  const good: [string, Condition][] = [
    ["SLOs()", SLOS],
    ["not SLOs()", { kind: "not", operand: SLOS }],
    ["!SLOs()", { kind: "not", operand: SLOS }],
    ['Winner() == "v2"', { kind: "compare", op: "==", left: { kind: "call", fn: "Winner" }, right: { kind: "literal", value: "v2" } }],
    ["Winner() != 'v1'", { kind: "compare", op: "!=", left: { kind: "call", fn: "Winner" }, right: { kind: "literal", value: "v1" } }],
    ["Result.NumLoops == 3", { kind: "compare", op: "==", left: { kind: "field", path: ["NumLoops"] }, right: { kind: "literal", value: 3 } }],
    ["SLOs() and not CandidateWon()", { kind: "and", left: SLOS, right: { kind: "not", operand: { kind: "call", fn: "CandidateWon" } } }],
    ["WinnerFound() || SLOs()", { kind: "or", left: { kind: "call", fn: "WinnerFound" }, right: SLOS }],
    [
      "SLOs() or WinnerFound() && CandidateWon()",
      { kind: "or", left: SLOS, right: { kind: "and", left: { kind: "call", fn: "WinnerFound" }, right: { kind: "call", fn: "CandidateWon" } } },
    ],
    [
      "(SLOs() or WinnerFound()) && CandidateWon()",
      { kind: "and", left: { kind: "or", left: SLOS, right: { kind: "call", fn: "WinnerFound" } }, right: { kind: "call", fn: "CandidateWon" } },
    ],
    ["Result.a.b >= -1.5", { kind: "compare", op: ">=", left: { kind: "field", path: ["a", "b"] }, right: { kind: "literal", value: -1.5 } }],
    [
      'Result.metrics["v1"]["http/latency-p95"] < 100',
      { kind: "compare", op: "<", left: { kind: "field", path: ["metrics", "v1", "http/latency-p95"] }, right: { kind: "literal", value: 100 } },
    ],
    ["true", { kind: "literal", value: true }],
    ["Result.failure == null", { kind: "compare", op: "==", left: { kind: "field", path: ["failure"] }, right: { kind: "literal", value: null } }],
  ];
  for (const [text, expected] of good) {
    it(`parses ${text}`, () => assert.deepEqual(parseCondition(text), expected));
  }

  const bad: [string, RegExp, number][] = [
    ["", /empty expression/, 0],
    ["SLOs", /SLOs is a function: write SLOs\(\)/, 0],
    ["SLOs() and", /expression ends too early/, 10],
    ["Winer()", /unknown function "Winer"/, 0],
    ["foo == 1", /unknown name "foo"/, 0],
    ["SLOs() SLOs()", /unexpected "SLOs"/, 7],
    ["(SLOs()", /expected "\)" to close the parenthesis/, 7],
    ['Winner() == "v2', /unterminated string/, 12],
    ["SLOs() & WinnerFound()", /unexpected character "&"/, 7],
    ["Result", /expected "Result\.<field>"/, 0],
    ["Result.", /expected a field name after "\."/, 7],
    ["Winner(1)", /it takes no arguments/, 7],
  ];
  for (const [text, message, offset] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseCondition(text, { field: "spec[3].if", location: { file: "e.yaml", line: 9, column: 9 }, exactColumns: true }),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          assert.equal(error.code, ErrorCode.BadCondition);
          assert.equal(error.field, "spec[3].if");
          assert.match(error.message, message);
          assert.deepEqual(error.location, { file: "e.yaml", line: 9, column: 9 + offset });
          return true;
        },
      );
    });
  }

  it("without exactColumns, errors point at the start of the expression", () => {
    assert.throws(
      () => parseCondition("SLOs() and", { field: "if", location: { file: "e.yaml", line: 2, column: 5 } }),
      (error: unknown) => error instanceof ValidationError && error.location?.column === 5,
    );
  });
});

function context(options: { slos?: boolean; winner?: string | null; baseline?: string; result?: Record<string, unknown> } = {}): ConditionContext {
  const winner = options.winner ?? null;
  return {
    slosSatisfied: () => options.slos ?? false,
    winner: () => winner,
    candidateWon: () => winner !== null && winner !== (options.baseline ?? "v1"),
    result: options.result ?? {},
  };
}

describe("evaluateCondition", () => {
  const result = { numCompletedTasks: 3, NumLoops: 2, name: "exp", failure: null, metrics: { v1: { "http/latency-p95": 12.5 } }, versions: ["v1", "v2"] };
  const cases: [string, ConditionContext, boolean][] = [
    ["SLOs()", context({ slos: true }), true],
    ["SLOs()", context({ slos: false }), false],
    ["not SLOs()", context({ slos: false }), true],
    ["WinnerFound()", context({ winner: "v2" }), true],
    ["WinnerFound()", context(), false],
    ['Winner() == "v2"', context({ winner: "v2" }), true],
    ['Winner() == "v2"', context({ winner: "v1" }), false],
    ['Winner() == "v2"', context(), false],
    ["CandidateWon()", context({ winner: "v2" }), true],
    ["CandidateWon()", context({ winner: "v1" }), false],
    ["SLOs() and not CandidateWon()", context({ slos: true, winner: "v1" }), true],
    ["SLOs() and not CandidateWon()", context({ slos: true, winner: "v2" }), false],
    ["SLOs() || WinnerFound()", context({ winner: "v1" }), true],
    ["Result.NumCompletedTasks == 3", context({ result }), true],
    ["Result.numCompletedTasks > 2", context({ result }), true],
    ["Result.NumLoops == 2", context({ result }), true],
    ["Result.NumLoops <= 1", context({ result }), false],
    ['Result.metrics.v1["http/latency-p95"] < 20', context({ result }), true],
    ['Result.versions[1] == "v2"', context({ result }), true],
    ['Result.name >= "exp"', context({ result }), true],
    ["Result.failure == null", context({ result }), true],
    ["Result.missing == null", context({ result }), true],
    ["Result.missing < 5", context({ result }), false],
    ["Result.missing >= 5", context({ result }), false],
    ['Result.name < 5', context({ result }), false],
    ["Result.metrics == 1", context({ result }), false],
    ["Result.metrics != 1", context({ result }), true],
    ["Result.numCompletedTasks", context({ result }), true],
    ["Result.missing", context({ result }), false],
    ["!(SLOs() && WinnerFound())", context({ slos: true }), true],
  ];
  for (const [text, ctx, expected] of cases) {
    it(`${text} -> ${expected}`, () => assert.equal(evaluateCondition(parseCondition(text), ctx), expected));
  }

  it("short-circuits: the right side is not evaluated when the left decides", () => {
    let calls = 0;
    const ctx: ConditionContext = { ...context(), winner: () => (calls++, "v2") };
    assert.equal(evaluateCondition(parseCondition("SLOs() and WinnerFound()"), ctx), false);
    assert.equal(calls, 0);
  });
});
