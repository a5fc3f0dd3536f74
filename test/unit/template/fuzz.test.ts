/**
 * Fuzzing the template engine (issue 13, "Figures"): seeded fast-check runs over random token soup
 * and over generated, mostly well-formed templates calling every function with random arguments,
 * on random JSON data. Every case must end — within its time limit — in a string or a typed
 * template error (EXPERIMENT_BAD_TEMPLATE or TEMPLATE_BUDGET_EXCEEDED): no crash, no hang, no
 * other exception. FUZZ_SEED overrides the seed; a failure prints the seed and the shrunk case.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssayError, ErrorCode } from "../../../core/index.js";
import { TEMPLATE_FUNCTION_NAMES, compileTemplate } from "../../../core/template/index.js";
import type { TemplateLimits } from "../../../core/template/index.js";

const SEED = Number(process.env["FUZZ_SEED"] ?? 20261201);
const LIMITS: Partial<TemplateLimits> = { maxSteps: 20_000, maxOutputBytes: 64 * 1024, timeoutMs: 300, maxDepth: 20 };
/** How long past its time limit one case may take on a loaded machine before we call it a hang. */
const SLACK_MS = 2500;

const FIELDS = [".", ".a", ".b", ".a.b", ".list", ".m", ".m.k", ".n", ".s", ".missing", "$", "$.a", "$x", "$y", "$i", "$v"];
const LITERALS = ["0", "1", "-1", "2", "3", "100", "1000000000", "300000000", "1e9", "0x7fffffff", "2.5", "-0.5", '""', '"x"', '"a,b"', '"%v %d %s %q %f"', '"%1000000d"', '"(a+)+$"', '"\\n"', '"{{ . }}"', "true", "false", "nil", "`raw`", "'a'"];
const KEYWORDS = ["if", "else", "end", "range", "with", "break", "continue", 'define "t"', 'template "t"', 'block "b"', "else if", "else with"];
const PUNCT = ["|", "(", ")", ":=", "=", ",", "-", "}}", "{{", "{{-", "-}}", "/*", "*/", "$x :=", "$i, $v :=", '"', "`", "'"];

/** Random soup of template tokens: mostly syntax errors, exercising the lexer and parser. */
const tokenSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(...FIELDS, ...LITERALS, ...KEYWORDS, ...PUNCT, ...TEMPLATE_FUNCTION_NAMES),
      fc.string({ maxLength: 6 }),
      fc.constant(" "),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(" "));

/** Generated templates: actions, pipelines and control structures built from the grammar. */
const operand: fc.Arbitrary<string> = fc.letrec<{ operand: string }>((tie) => ({
  operand: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...FIELDS.filter((field) => !field.startsWith("$x") && !field.startsWith("$y") && !field.startsWith("$i") && !field.startsWith("$v")), ...LITERALS),
    fc.tuple(fc.constantFrom(...TEMPLATE_FUNCTION_NAMES.filter((name) => name !== "now")), fc.array(tie("operand"), { maxLength: 3 })).map(([fn, args]) => `(${[fn, ...args].join(" ")})`),
  ),
})).operand;

const pipeline = fc
  .tuple(fc.constantFrom(...TEMPLATE_FUNCTION_NAMES), fc.array(operand, { maxLength: 3 }), fc.array(fc.tuple(fc.constantFrom(...TEMPLATE_FUNCTION_NAMES), fc.array(operand, { maxLength: 2 })), { maxLength: 2 }))
  .map(([fn, args, piped]) => [[fn, ...args].join(" "), ...piped.map(([name, rest]) => [name, ...rest].join(" "))].join(" | "));

const node: fc.Arbitrary<string> = fc.letrec<{ node: string; nodes: string }>((tie) => ({
  nodes: fc.array(tie("node"), { maxLength: 4 }).map((nodes) => nodes.join("")),
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("text ", "\n", "  ", "x"),
    operand.map((value) => `{{ ${value} }}`),
    pipeline.map((value) => `{{ ${value} }}`),
    pipeline.map((value) => `{{- $x := ${value} -}}`),
    fc.tuple(pipeline, tie("nodes"), tie("nodes")).map(([p, a, b]) => `{{ if ${p} }}${a}{{ else }}${b}{{ end }}`),
    fc.tuple(operand, tie("nodes")).map(([p, a]) => `{{ range $i, $v := ${p} }}${a}{{ if $i }}{{ break }}{{ end }}{{ end }}`),
    fc.tuple(operand, tie("nodes")).map(([p, a]) => `{{ with ${p} }}${a}{{ end }}`),
    fc.tuple(tie("nodes"), operand).map(([body, p]) => `{{ define "d" }}${body}{{ template "d" . }}{{ end }}{{ template "d" ${p} }}`),
    fc.tuple(tie("nodes"), operand).map(([body, p]) => `{{ include "nope" ${p} }}${body}{{ tpl ${JSON.stringify(body)} . }}`),
  ),
})).node;

const data = fc.record({
  a: fc.jsonValue({ maxDepth: 3 }),
  b: fc.jsonValue({ maxDepth: 2 }),
  list: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 6 }),
  m: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }),
  n: fc.oneof(fc.integer({ min: -5, max: 100_000_000 }), fc.double({ noNaN: false })),
  s: fc.string({ maxLength: 20 }),
});

/** Renders and checks the outcome; returns nothing or throws (what fast-check reports). */
function check(text: string, input: unknown, limits: Partial<TemplateLimits>): void {
  const started = performance.now();
  try {
    const output = compileTemplate(text, { limits }).render(input);
    assert.equal(typeof output, "string");
    assert.ok(output.length <= (limits.maxOutputBytes ?? 1024 * 1024), "output over its limit");
  } catch (error) {
    if (!(error instanceof AssayError)) throw new Error(`untyped error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
    assert.ok(error.code === ErrorCode.BadTemplate || error.code === ErrorCode.TemplateBudgetExceeded, `unexpected code ${error.code}`);
    assert.ok(error.location !== undefined && error.location.line >= 1, "an error without a line");
  }
  const elapsedMs = performance.now() - started;
  assert.ok(elapsedMs < (limits.timeoutMs ?? 2000) + SLACK_MS, `took ${elapsedMs.toFixed(0)} ms`);
}

void describe("template fuzz (seeded)", () => {
  void it("token soup: only typed errors, never a hang", () => {
    fc.assert(fc.property(tokenSoup, data, (text, input) => check(text, input, LIMITS)), { seed: SEED, numRuns: 4000 });
  });

  void it("generated templates over every function: only strings or typed errors, within the budget", () => {
    fc.assert(fc.property(node, data, (text, input) => check(text, input, LIMITS)), { seed: SEED + 1, numRuns: 3000 });
  });

  void it("generated templates under the default limits", () => {
    fc.assert(fc.property(node, data, (text, input) => check(text, input, {})), { seed: SEED + 2, numRuns: 300 });
  });
});
