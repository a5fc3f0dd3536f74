import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssayError, ErrorCode } from "../../../core/index.js";
import { checkTemplate, compileTemplate, renderTemplate } from "../../../core/template/index.js";

const data = {
  name: "canary",
  versions: ["v1", "v2"],
  Weights: { v1: 20, v2: 80 },
  Winner: "v2",
  result: { numCompletedTasks: 3, completed: true },
  metrics: { v1: { "http/latency-p95": 12.345 }, v2: { "http/latency-p95": 9.5 } },
  empty: [],
  zero: 0,
  nothing: null,
};

function render(text: string): string {
  return renderTemplate(text, data);
}

function templateFailure(text: string, pattern: RegExp, line?: number, column?: number): void {
  assert.throws(
    () => render(text),
    (error: unknown) => {
      assert.ok(error instanceof AssayError);
      assert.equal(error.code, ErrorCode.BadTemplate);
      assert.match(error.message, pattern);
      if (line !== undefined) assert.equal(error.location?.line, line);
      if (column !== undefined) assert.equal(error.location?.column, column);
      return true;
    },
  );
}

void describe("template: fields and values", () => {
  void it("renders fields, dot and $", () => {
    assert.equal(render("{{ .name }}/{{ .Weights.v2 }}"), "canary/80");
    assert.equal(render("{{ with .Weights }}{{ .v1 }}+{{ $.name }}{{ end }}"), "20+canary");
    assert.equal(render("{{ .versions }}"), "[v1 v2]");
    assert.equal(render("{{ .Weights }}"), "map[v1:20 v2:80]");
  });

  void it("finds camelCase fields through Go's exported names", () => {
    assert.equal(render("{{ .Name }} {{ .Result.NumCompletedTasks }} {{ .Result.Completed }}"), "canary 3 true");
    assert.equal(renderTemplate("{{ .Exact }}", { Exact: 1, exact: 2 }), "1");
  });

  void it("renders a missing field, at any depth, as the empty string", () => {
    assert.equal(render("[{{ .missing }}][{{ .missing.deeper.still }}][{{ .nothing }}]"), "[][][]");
    assert.equal(render("{{ .missing | default \"n/a\" }}"), "n/a");
  });

  void it("refuses a field on a list", () => {
    templateFailure("{{ .versions.name }}", /can't evaluate field name in type \[\]interface \{\}/);
  });

  void it("does not reach prototype properties", () => {
    templateFailure("{{ .name.length }}", /can't evaluate field length/);
    assert.equal(render("{{ .constructor }}{{ .__proto__ }}{{ .toString }}|"), "|");
  });
});

void describe("template: actions", () => {
  void it("evaluates if / else if / else with Go truthiness", () => {
    const text = "{{ if .zero }}a{{ else if .empty }}b{{ else if .versions }}c{{ else }}d{{ end }}";
    assert.equal(render(text), "c");
    assert.equal(render("{{ if .nothing }}a{{ else }}b{{ end }}"), "b");
    assert.equal(render("{{ if .Result }}yes{{ end }}"), "yes");
  });

  void it("ranges over lists, maps and integers, with variables, else, break and continue", () => {
    assert.equal(render("{{ range $i, $v := .versions }}{{ $i }}={{ $v }};{{ end }}"), "0=v1;1=v2;");
    assert.equal(render("{{ range $k, $v := .Weights }}{{ $k }}:{{ $v }} {{ end }}"), "v1:20 v2:80 ");
    assert.equal(render("{{ range .empty }}x{{ else }}none{{ end }}"), "none");
    assert.equal(render("{{ range 3 }}{{ . }}{{ end }}"), "012");
    assert.equal(render("{{ range .versions }}{{ if eq . \"v1\" }}{{ continue }}{{ end }}{{ . }}{{ end }}"), "v2");
    assert.equal(render("{{ range .versions }}{{ . }}{{ break }}{{ end }}"), "v1");
  });

  void it("declares and assigns variables with Go's scoping", () => {
    assert.equal(render("{{ $n := 0 }}{{ range .versions }}{{ $n = add $n 1 }}{{ end }}{{ $n }}"), "2");
    assert.equal(render("{{ $x := .name }}{{ $x | upper | quote }}"), '"CANARY"');
    assert.throws(() => checkTemplate("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}"), /undefined variable "\$x"/);
  });

  void it("trims whitespace around trim markers and drops comments", () => {
    assert.equal(render("a  {{- .name -}}  \n b"), "acanaryb");
    assert.equal(render("a {{/* note */}} b"), "a  b");
    assert.equal(render("a {{- /* note */ -}} b"), "ab");
    assert.equal(render("{{ -3 }}"), "-3");
  });

  void it("evaluates parenthesised pipelines with a field after them", () => {
    assert.equal(renderTemplate("{{ (index .list 1).name }}", { list: [{ name: "a" }, { name: "b" }] }), "b");
  });
});

void describe("template: functions", () => {
  void it("compares and combines", () => {
    assert.equal(render("{{ eq .Winner \"v1\" \"v2\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1 2 }}"), "true true true true true false");
    assert.equal(render("{{ and 1 0 2 }} {{ or 0 \"\" \"x\" }} {{ not .empty }}"), "0 x true");
    assert.equal(render("{{ and .nothing .nothing.boom }}|{{ or .name (index .versions 9) }}"), "|canary");
    templateFailure("{{ eq 1 \"1\" }}", /incompatible types for comparison/);
  });

  void it("indexes, measures and formats", () => {
    assert.equal(render('{{ index .metrics.v1 "http/latency-p95" }}'), "12.345");
    assert.equal(render("{{ index .versions 1 }} {{ len .versions }} {{ len .name }}"), "v2 2 6");
    assert.equal(render('{{ printf "%.2f|%d|%s|%v|%5s|%-3d|%05.1f|%%|%q" 12.345 7 "x" .versions "ab" 4 3.14159 "q" }}'), '12.35|7|x|[v1 v2]|   ab|4  |003.1|%|"q"');
    assert.equal(render('{{ printf "%d" "x" }}'), "%!d(string=x)");
    templateFailure("{{ index .versions 5 }}", /index out of range: 5/);
  });

  void it("provides the sprig favourites", () => {
    assert.equal(render('{{ .name | quote }} {{ .name | upper }} {{ "A B" | lower }} {{ "  t  " | trim }}'), '"canary" CANARY a b t');
    assert.equal(render('{{ join ", " .versions }} {{ round 2.345 2 }} {{ round 2.5 }}'), "v1, v2 2.35 3");
    assert.equal(render("{{ .Weights | toJson }}"), '{"v1":20,"v2":80}');
    assert.equal(render("{{ .Weights | toPrettyJson }}"), '{\n  "v1": 20,\n  "v2": 80\n}');
    assert.equal(render("{{ .Weights | toYaml }}"), "v1: 20\nv2: 80");
    assert.equal(render("{{ .missing | toJson }}"), "null");
    assert.equal(render('{{ default "d" "" }} {{ default "d" "x" }} {{ 0 | default 5 }}'), "d x 5");
  });
});

void describe("template: errors", () => {
  void it("reports unknown functions with their line and column", () => {
    templateFailure("line one\n  {{ .a | frobnicate }}", /function "frobnicate" not defined/, 2, 11);
  });

  void it("reports syntax errors at compile time", () => {
    for (const [text, pattern] of [
      ["{{ if .x }}open", /without \{\{end\}\}/],
      ["{{ end }}", /unexpected \{\{end\}\}/],
      ["{{ .a | }}", /missing value for command/],
      ['{{ "abc }}', /unterminated quoted string/],
      ["{{ .a", /unclosed action/],
      ["{{ $nope }}", /undefined variable/],
      ['{{ if 1 }}{{ define "x" }}{{ end }}{{ end }}', /define only at the top level/],
      ['{{ template "nope" }}', /no such template "nope"/],
      ["{{ break }}", /outside \{\{range\}\}/],
      ["{{ .a .b }}", /can't give argument to non-function/],
    ] as const) {
      assert.throws(
        () => compileTemplate(text).render({ a: 1, b: 2 }),
        (error: unknown) => error instanceof AssayError && error.code === ErrorCode.BadTemplate && pattern.test(error.message),
        text,
      );
    }
  });

  void it("checkTemplate accepts valid templates and plain text", () => {
    checkTemplate("plain text, no actions");
    checkTemplate('{{ range $k, $v := .Weights }}{{ $k | quote }}: {{ $v }}{{ end }}');
    assert.throws(() => checkTemplate("{{ nope }}"), /function "nope" not defined/);
  });

  void it("compiles once and renders many times", () => {
    const template = compileTemplate("{{ .n }}");
    assert.equal(template.render({ n: 1 }), "1");
    assert.equal(template.render({ n: 2 }), "2");
    assert.equal(template.text, "{{ .n }}");
  });
});
