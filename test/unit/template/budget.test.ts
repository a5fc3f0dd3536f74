/**
 * The template budget (issue 13, runaway templates): each limit — steps, output, time, depth —
 * stops a hostile template fast with TEMPLATE_BUDGET_EXCEEDED naming the limit, the template and
 * the line, and the limits are configurable per compile and per render.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssayError, ErrorCode } from "../../../core/index.js";
import { DEFAULT_TEMPLATE_LIMITS, TemplateBudgetError, compileTemplate, renderTemplate } from "../../../core/template/index.js";
import type { CompileOptions, TemplateLimit } from "../../../core/template/index.js";

/** Generous for a loaded 2-core CI machine; the defaults are 2 s of wall time. */
const FAST_MS = 6000;

function budgetFailure(text: string, limit: TemplateLimit, options: CompileOptions = {}, line?: number): TemplateBudgetError {
  const started = performance.now();
  let caught: unknown;
  try {
    renderTemplate(text, { n: 3 }, options);
  } catch (error) {
    caught = error;
  }
  const elapsedMs = performance.now() - started;
  assert.ok(caught instanceof TemplateBudgetError, `expected a budget error, got ${String(caught)}`);
  assert.equal(caught.code, ErrorCode.TemplateBudgetExceeded);
  assert.equal(caught.kind, "validation");
  assert.equal(caught.limit, limit);
  assert.match(caught.message, /budget exceeded/);
  if (options.name !== undefined) assert.equal(caught.location?.file, options.name);
  if (line !== undefined) assert.equal(caught.location?.line, line);
  assert.ok(elapsedMs < FAST_MS, `took ${elapsedMs.toFixed(0)} ms`);
  return caught;
}

void describe("template budget: the issue's runaway templates", () => {
  void it("stops {{ range 100000 }}{{ range 100000 }} at the step limit, naming the template and line", () => {
    const error = budgetFailure("payload:\n{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}", "steps", { name: "spec[3].with.payloadTemplate" }, 2);
    assert.match(error.message, /^template spec\[3\]\.with\.payloadTemplate: 2:\d+: budget exceeded: more than 1000000 evaluation steps/);
  });

  void it("iterates {{ range 300000000 }} lazily: no allocation up front, a step error in milliseconds", () => {
    const heapBefore = process.memoryUsage().heapUsed;
    budgetFailure("{{ range 300000000 }}{{ end }}", "steps");
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 200 * 1024 * 1024, "range allocated its whole length");
    budgetFailure("{{ range $i := 300000000 }}{{ $i }}{{ end }}", "output", { limits: { maxSteps: 1e12 } });
  });

  void it("stops output bombs at the output limit before building them", () => {
    budgetFailure('{{ repeat 100000000 "x" }}', "output");
    budgetFailure('{{ $a := "0123456789abcdef" }}{{ range 40 }}{{ $a = printf "%s%s" $a $a }}{{ end }}', "output");
    budgetFailure('{{ printf "%1000000000d" 1 }}', "output");
    budgetFailure('{{ $x := list 1 }}{{ range 60 }}{{ $x = list $x $x }}{{ end }}{{ $x | toJson }}', "output");
    budgetFailure('{{ $x := list 1 }}{{ range 60 }}{{ $x = list $x $x }}{{ end }}{{ $x }}', "output");
    budgetFailure('{{ $x := dict }}{{ range 60 }}{{ $x = dict "a" $x "b" $x }}{{ end }}{{ toYaml $x }}', "output");
    budgetFailure("{{ range 2000000 }}xxxxxxxxxx{{ end }}", "output", { limits: { maxSteps: 1e9 } });
  });

  void it("stops work hidden in functions at the step limit", () => {
    budgetFailure("{{ $x := list 1 }}{{ range 60 }}{{ $x = list $x $x }}{{ end }}{{ deepCopy $x }}", "steps");
    budgetFailure("{{ range 1000 }}{{ $_ := until 100000 }}{{ end }}", "steps");
  });

  void it("stops recursion through template, include and tpl at the depth limit", () => {
    budgetFailure('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}', "depth");
    budgetFailure('{{ define "r" }}x{{ include "r" . }}{{ end }}{{ include "r" . }}', "depth");
    budgetFailure('{{ define "r" }}{{ tpl "{{ include \\"r\\" . }}" . }}{{ end }}{{ include "r" . }}', "depth");
    budgetFailure('{{ define "a" }}{{ template "b" . }}{{ end }}{{ define "b" }}{{ template "a" . }}{{ end }}{{ template "a" . }}', "depth");
    assert.equal(renderTemplate('{{ define "d" }}{{ if gt . 0 }}{{ template "d" (sub . 1) }}{{ end }}.{{ end }}{{ template "d" 50 }}', {}), ".".repeat(51));
  });

  void it("stops a template that is slow at the time limit", () => {
    budgetFailure("{{ range 100000000 }}{{ end }}", "time", { limits: { maxSteps: 1e12, timeoutMs: 50 } });
  });
});

void describe("template budget: configuration", () => {
  void it("defaults to 1,000,000 steps, 1 MiB, 2 s and depth 100", () => {
    assert.deepEqual({ ...DEFAULT_TEMPLATE_LIMITS }, { maxSteps: 1_000_000, maxOutputBytes: 1024 * 1024, timeoutMs: 2000, maxDepth: 100 });
  });

  void it("takes limits at compile time and overrides at render time", () => {
    const template = compileTemplate("{{ range 50 }}x{{ end }}", { limits: { maxOutputBytes: 10 } });
    assert.throws(() => template.render({}), (error: unknown) => error instanceof TemplateBudgetError && error.limit === "output");
    assert.equal(template.render({}, { limits: { maxOutputBytes: 100 } }), "x".repeat(50));
    assert.throws(() => template.render({}, { limits: { maxSteps: 20 } }), (error: unknown) => error instanceof TemplateBudgetError && error.limit === "steps");
  });

  void it("refuses a limit that is not a positive number", () => {
    assert.throws(() => compileTemplate("x", { limits: { maxSteps: 0 } }), (error: unknown) => error instanceof AssayError && error.code === ErrorCode.BadConfig);
    assert.throws(() => compileTemplate("x", { limits: { timeoutMs: Number.NaN } }), (error: unknown) => error instanceof AssayError && error.code === ErrorCode.BadConfig);
  });

  void it("reports what an execution used", () => {
    let stats: { steps: number; outputBytes: number; maxDepth: number } | undefined;
    renderTemplate('{{ define "t" }}{{ range . }}{{ . }}{{ end }}{{ end }}{{ template "t" (list 1 2 3) }}', {}, { onStats: (used) => (stats = used) });
    assert.ok(stats !== undefined);
    assert.equal(stats.outputBytes, 3);
    assert.equal(stats.maxDepth, 1);
    assert.ok(stats.steps > 5 && stats.steps < 50, `steps ${stats.steps}`);
  });

  void it("is per execution: a template that failed renders again within its budget", () => {
    const template = compileTemplate("{{ range .n }}x{{ end }}", { limits: { maxSteps: 100 } });
    assert.throws(() => template.render({ n: 1000 }), TemplateBudgetError);
    assert.equal(template.render({ n: 3 }), "xxx");
  });
});
