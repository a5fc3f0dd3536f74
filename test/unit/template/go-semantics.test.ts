/**
 * Go text/template behaviour the engine must match (expected values derived from Go's
 * documentation and source): trimming, variables and scopes, range forms, else chains,
 * define/template/block, Helm's include/tpl, nil printing, Go's printing of maps, lists and
 * structs, and template sets as a chart uses them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssayError, ErrorCode } from "../../../core/index.js";
import { TemplateStruct, compileTemplate, compileTemplateSet, goTime, renderTemplate } from "../../../core/template/index.js";

const data = { name: "canary", list: ["a", "b", "c"], m: { b: 2, a: 1, "k-1": "dash" }, nothing: null, zero: 0, nested: { inner: { x: "deep" } } };

function cases(table: ReadonlyArray<readonly [string, string]>, input: unknown = data): void {
  for (const [text, expected] of table) assert.equal(renderTemplate(text, input), expected, text);
}

void describe("Go template syntax", () => {
  void it("trims around {{- and -}} and drops comments", () => {
    cases([
      ["a  {{- .name -}}  \n b", "acanaryb"],
      ["a {{/* note */}} b", "a  b"],
      ["a\n{{- /* note */ -}}\nb", "ab"],
      ["{{ -3 }}|{{ 0x10 }}|{{ 1e3 }}|{{ 'a' }}|{{ `raw\\n` }}", "-3|16|1000|97|raw\\n"],
    ]);
  });

  void it("scopes variables as Go does: assignment reaches outward, declarations end with their block", () => {
    cases([
      ["{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"],
      ["{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"],
      ["{{ $n := 0 }}{{ range .list }}{{ $n = add $n 1 }}{{ end }}{{ $n }}", "3"],
      ["{{ with .nested.inner }}{{ .x }}/{{ $.name }}{{ end }}", "deep/canary"],
    ]);
  });

  void it("ranges over lists, maps in key order, integers, with else, break and continue", () => {
    cases([
      ["{{ range $i, $v := .list }}{{ $i }}={{ $v }} {{ end }}", "0=a 1=b 2=c "],
      ["{{ range $k, $v := .m }}{{ $k }}:{{ $v }},{{ end }}", "a:1,b:2,k-1:dash,"],
      ["{{ range .m }}{{ . }}{{ end }}", "12dash"],
      ["{{ range $i := 3 }}{{ $i }}{{ end }}|{{ range 0 }}x{{ else }}none{{ end }}|{{ range -2 }}x{{ end }}", "012|none|"],
      ["{{ range .nothing }}x{{ else }}empty{{ end }}", "empty"],
      ["{{ range .list }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", "ac"],
      ["{{ range .list }}{{ . }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ end }}", "ab"],
    ]);
  });

  void it("chains else if and else with", () => {
    cases([
      ["{{ if .zero }}z{{ else if .nothing }}n{{ else if .list }}l{{ else }}e{{ end }}", "l"],
      ["{{ with .nothing }}x{{ else with .m.a }}{{ . }}{{ else }}e{{ end }}", "1"],
      ["{{ with .missing }}x{{ else }}no{{ end }}", "no"],
    ]);
  });

  void it("pipes the previous value in as the last argument and short-circuits and/or", () => {
    cases([
      ['{{ "x" | printf "%s-%s" "a" }}', "a-x"],
      ['{{ .name | upper | printf "%q" }}', '"CANARY"'],
      ['{{ and 0 (fail "not evaluated") }}|{{ or 1 (fail "not evaluated") }}', "0|1"],
      ['{{ (index .list 1) }}{{ (dict "a" (dict "b" 7)).a.b }}', "b7"],
    ]);
  });

  void it("reads map fields without methods, index for other keys", () => {
    cases([
      ['{{ .m.a }} {{ index .m "k-1" }} {{ .nested.inner.x }} {{ index .nested "inner" "x" }}', "1 dash deep deep"],
      ['{{ len "é" }} {{ index "abc" 1 }} {{ len .m }}', "2 98 3"],
    ]);
  });
});

void describe("Go printing and nil", () => {
  void it("prints maps sorted, lists with spaces, nil inside collections as <nil>", () => {
    assert.equal(renderTemplate("{{ . }}", { b: [1, "x", null], a: { c: true } }), "map[a:map[c:true] b:[1 x <nil>]]");
    cases([
      ['{{ print nil }}|{{ printf "%v" nil }}|{{ list nil }}', "<nil>|<nil>|[<nil>]"],
      ['{{ print 1 2 "a" 3 "b" }}', "1 2a3b"],
      ['{{ println 1 "a" }}', "1 a\n"],
    ]);
  });

  void it("prints a nil action as noValue: empty by default (Helm), <no value> when asked (Go)", () => {
    assert.equal(renderTemplate("[{{ .missing }}][{{ .nothing }}][{{ .missing.deeper }}]", data), "[][][]");
    assert.equal(renderTemplate("[{{ .missing }}][{{ .nothing }}]", data, { noValue: "<no value>" }), "[<no value>][<no value>]");
  });

  void it("prints structs as Go does, by Stringer when they have one, and serializes them by their tags", () => {
    const report = new TemplateStruct("base.Report", { TimeStamp: "t", Count: 2, Inner: new TemplateStruct("base.X", { A: true }, { tags: { A: "a" } }), Skip: 0 }, {
      tags: { TimeStamp: "timeStamp", Count: "count", Inner: "inner", Skip: "skip,omitempty" },
    });
    const named = new TemplateStruct("base.S", { N: 1 }, { text: "I am S" });
    const input = { report, named, at: goTime(Date.UTC(2026, 10, 21, 10, 0, 0, 120)) };
    assert.equal(renderTemplate("{{ .report }}", input), "{t 2 {true} 0}");
    assert.equal(renderTemplate("{{ .report | toJson }}", input), '{"timeStamp":"t","count":2,"inner":{"a":true}}');
    assert.equal(renderTemplate('{{ .report.Inner.A }} {{ .named }} {{ .named | quote }} {{ .named.N }} {{ printf "%+v" .report.Inner }}', input), 'true I am S "I am S" 1 {A:true}');
    assert.equal(renderTemplate("{{ .at }} {{ .at | toJson }}", input), '2026-11-21 10:00:00.12 +0000 UTC "2026-11-21T10:00:00.12Z"');
    assert.equal(renderTemplate("{{ if .report }}t{{ end }} {{ kindOf .report }} {{ typeOf .report }}", input), "t struct base.Report");
    assert.throws(() => renderTemplate('{{ set .report "Count" 3 }}', input), /set: cannot use base.Report as a map/);
  });
});

void describe("define, template, block, include, tpl", () => {
  void it("calls defined templates with their own dot and $", () => {
    cases([
      ['{{ define "t" }}[{{ .x }}|{{ $.x }}]{{ end }}{{ template "t" (dict "x" 1) }}{{ template "t" }}', "[1|1][|]"],
      ['{{ define "a" }}A{{ template "b" . }}{{ end }}{{ define "b" }}B{{ . }}{{ end }}{{ template "a" 7 }}', "AB7"],
      ['{{ block "greet" .name }}hello {{ . }}{{ end }}!', "hello canary!"],
    ]);
  });

  void it("include returns text to pipe; tpl renders a string with the defined templates", () => {
    cases([
      ['{{ define "lines" }}a:\n  b: {{ . }}{{ end }}x:\n{{ include "lines" 1 | indent 2 }}', "x:\n  a:\n    b: 1"],
      ['{{ define "n" }}{{ .name }}{{ end }}{{ tpl "<{{ include \\"n\\" . | upper }}>" . }}', "<CANARY>"],
      ['{{ tpl "{{ define \\"z\\" }}Z{{ end }}{{ template \\"z\\" }}" . }}', "Z"],
      ['{{ define "j" }}{"a": {{ . | toJson }}}{{ end }}{{ (include "j" (list 1) | fromJson).a }}', "[1]"],
    ]);
  });

  void it("fails clearly on a missing template and on bad names", () => {
    assert.throws(() => renderTemplate('{{ template "nope" }}', {}), (error: unknown) => error instanceof AssayError && error.code === ErrorCode.BadTemplate && /no such template "nope"/.test(error.message));
    assert.throws(() => renderTemplate('{{ include "nope" . }}', {}), /error calling include: no such template "nope"/);
    assert.throws(() => compileTemplate("{{ template .x }}"), /template: name must be a quoted string/);
    assert.throws(() => compileTemplate('{{ define "x" }}'), /define.*without \{\{end\}\}/);
  });

  void it("shares defines across a set of sources, a later non-empty definition winning (Helm's files)", () => {
    const set = compileTemplateSet([
      { name: "templates/_helpers.tpl", text: '{{- define "app.name" -}}{{ .Values.name | default "app" }}{{- end -}}\n{{- define "labels" -}}app: {{ include "app.name" . }}{{- end -}}' },
      { name: "templates/deploy.yaml", text: 'kind: Deployment\nmetadata:\n  name: {{ include "app.name" . }}\n  labels:\n    {{- include "labels" . | nindent 4 }}\n  hash: {{ include "templates/cm.yaml" . | sha256sum | trunc 8 }}' },
      { name: "templates/cm.yaml", text: "kind: ConfigMap" },
      { name: "templates/_override.tpl", text: '{{- define "labels" -}}team: x{{- end -}}{{ define "app.name" }}{{ end }}' },
    ]);
    const hash = "033792b5";
    assert.equal(set.render("templates/deploy.yaml", { Values: { name: "web" } }), `kind: Deployment\nmetadata:\n  name: web\n  labels:\n    team: x\n  hash: ${hash}`);
    assert.ok(set.names.includes("labels") && set.names.includes("templates/cm.yaml"));
  });
});
