/**
 * Every function Iter8's charts and hub templates call, and the common rest of sprig, checked
 * against outputs derived from Go's, sprig's and Helm's documented behaviour and source (Go's
 * strings/strconv/fmt/regexp rules, mergo's merge, encoding/json's escaping, sigs.k8s.io/yaml).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AssayError, ErrorCode } from "../../../core/index.js";
import { TEMPLATE_FUNCTION_NAMES, renderTemplate } from "../../../core/template/index.js";

function cases(table: ReadonlyArray<readonly [string, string]>, input: unknown = {}): void {
  for (const [text, expected] of table) assert.equal(renderTemplate(text, input), expected, text);
}

function fails(text: string, pattern: RegExp, input: unknown = {}): void {
  assert.throws(
    () => renderTemplate(text, input),
    (error: unknown) => error instanceof AssayError && error.code === ErrorCode.BadTemplate && pattern.test(error.message),
    text,
  );
}

/** The functions found in iter8-tools/iter8 (v0.13–v1.1 charts, custommetrics and notify templates) and iter8-tools/hub (all tags). */
const ITER8_FUNCTIONS = [
  "add", "add1", "and", "append", "cat", "coalesce", "default", "dict", "empty", "eq", "fail", "first", "float64", "ge", "get", "gt", "has", "hasKey",
  "include", "indent", "index", "int", "keys", "kindOf", "last", "len", "list", "merge", "mustDeepCopy", "mustFromJson", "mustMerge", "mustToJson", "ne",
  "nindent", "not", "now", "omit", "or", "pick", "pluck", "print", "printf", "quote", "regexMatch", "regexReplaceAll", "replace", "required", "rest",
  "set", "sha256sum", "ternary", "toJson", "toPrettyJson", "toString", "toYaml", "trim", "trimPrefix", "trimSuffix", "trunc", "uniq", "unset", "until",
  "untilStep",
];

void describe("template functions: coverage", () => {
  void it("has every function Iter8's and the hub's templates use, and Helm's tpl/fromYaml/fromJson", () => {
    const missing = [...ITER8_FUNCTIONS, "tpl", "fromYaml", "fromJson", "toRawJson", "b64enc", "typeOf", "kindIs", "seq", "splitList", "join"].filter((name) => !TEMPLATE_FUNCTION_NAMES.includes(name));
    assert.deepEqual(missing, []);
  });

  void it("leaves out env and expandenv: templates cannot read the coordinator's environment", () => {
    assert.ok(!TEMPLATE_FUNCTION_NAMES.includes("env") && !TEMPLATE_FUNCTION_NAMES.includes("expandenv"));
    assert.throws(() => renderTemplate('{{ env "HOME" }}', {}), /function "env" not defined/);
  });
});

void describe("template functions: strings", () => {
  void it("quotes, joins and trims as sprig does", () => {
    cases([
      ['{{ quote "a\\"b" 1 nil }}|{{ squote "x" }}|{{ "a\\tb\\u0001é" | quote }}', '"a\\"b" "1"|\'x\'|"a\\tb\\x01é"'],
      ['{{ cat "a" 1 nil "b" }}|{{ cat }}', "a 1 b|"],
      ['{{ trim "  x \\n" }}|{{ trimAll "$" "$$5.00$" }}|{{ trimPrefix "http/" "http/latency" }}|{{ trimSuffix ".0" "50.0" }}|{{ trimSuffix "" "x" }}', "x|5.00|latency|50|x"],
      ['{{ upper "aé" }}|{{ lower "AB" }}|{{ title "hello wORLD-x y_z" }}|{{ untitle "Hello World" }}', "AÉ|ab|Hello WORLD-X Y_z|hello world"],
      ['{{ "a-b-c" | replace "-" "_" }}|{{ replace "" "x" "ab" }}|{{ repeat 3 "ab" }}', "a_b_c|xaxbx|ababab"],
      ['{{ substr 1 3 "hello" }}|{{ substr -1 2 "hello" }}|{{ substr 2 99 "hello" }}|{{ trunc 3 "hello" }}|{{ trunc -3 "hello" }}|{{ trunc 9 "hi" }}', "el|he|llo|hel|llo|hi"],
      ['{{ abbrev 5 "hello world" }}|{{ abbrev 3 "hello" }}|{{ nospace " a b\\tc " }}|{{ plural "one" "many" 1 }}{{ plural "one" "many" 2 }}', "he...|hello|abc|onemany"],
      ['{{ contains "ell" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "lo" "hello" }}', "true true true"],
    ]);
  });

  void it("indents like Helm: every line, nindent with a leading newline", () => {
    cases([
      ['{{ indent 2 "a\\nb" }}|{{ nindent 2 "a" }}|{{ toYaml (dict "k" (list 1 2)) | indent 4 | trim }}', "  a\n  b|\n  a|k:\n    - 1\n    - 2"],
    ]);
  });

  void it("splits and joins (Go's strings.Split, sprig's strslice dropping nils)", () => {
    cases([
      ['{{ splitList "," "a,b,,c" }}|{{ splitList "" "ab" }}|{{ (split "," "x,y")._1 }}|{{ (splitn ":" 2 "a:b:c")._1 }}', "[a b  c]|[a b]|y|b:c"],
      ['{{ join "-" (list 1 "a" nil 2.5) }}|{{ join "," "solo" }}|{{ sortAlpha (list "b" "a" 10) }}|{{ toStrings (list 1 true) }}', "1-a-2.5|solo|[10 a b]|[1 true]"],
    ]);
  });

  void it("matches and replaces with Go's regexp (RE2), $ expansion as ReplaceAllString", () => {
    cases([
      ['{{ regexMatch "^[a-z]+\\\\d$" "abc1" }} {{ regexMatch "http/latency-p\\\\d+(?:\\\\.\\\\d)?$" "http/latency-p99.9" }} {{ regexMatch "(" "x" }}', "true true false"],
      ['{{ regexFind "[a-z]+" "12ab34cd" }}|{{ regexFindAll "[2,4,6,8]" "123456789" -1 }}|{{ regexFindAll "[2,4,6,8]" "123456789" 2 }}', "ab|[2 4 6 8]|[2 4]"],
      ['{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}|{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}|{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}', "-W-xxW-|---|-${1}-${1}-"],
      ['{{ regexReplaceAll "(?P<first>\\\\w+) (?P<last>\\\\w+)" "Ada Lovelace" "$last, $first $$" }}|{{ regexReplaceAll "x*" "abc" "-" }}', "Lovelace, Ada $|-a-b-c-"],
      ['{{ regexSplit "z+" "pizza" -1 }}|{{ regexSplit "z+" "pizza" 1 }}|{{ regexQuoteMeta "1.2*[x]" }}', "[pi a]|[pizza]|1\\.2\\*\\[x\\]"],
    ]);
    fails('{{ regexReplaceAll "(" "x" "y" }}', /error calling regexReplaceAll: regexp: Compile\("\("\)/);
    fails('{{ mustRegexMatch "(" "x" }}', /error calling mustRegexMatch/);
  });

  void it("runs a catastrophic pattern in linear time", () => {
    const started = performance.now();
    assert.equal(renderTemplate('{{ regexMatch "^(a+)+$" . }}', `${"a".repeat(5000)}!`), "false");
    assert.ok(performance.now() - started < 3000);
  });

  void it("escapes for HTML, JavaScript and URLs as Go's html, js and urlquery", () => {
    cases([
      [`{{ html "<a href='x'>&\\"" }}`, "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"],
      ['{{ js "a\'b\\"c<d>=\\n" }}', "a\\'b\\\"c\\u003Cd\\u003E\\u003D\\u000A"],
      ['{{ urlquery "a b&c/é~" }}', "a+b%26c%2F%C3%A9~"],
    ]);
  });
});

void describe("template functions: printf (Go's fmt)", () => {
  void it("formats verbs, flags, widths and precisions", () => {
    cases([
      ['{{ printf "%v|%d|%s|%q|%f|%.2f|%5.1f|%-5s|%05d|%+d" 1.5 42 "s" "q" 3.0 2.675 3.14159 "ab" -42 5 }}', '1.5|42|s|"q"|3.000000|2.67|  3.1|ab   |-0042|+5'],
      ['{{ printf "%.2f %.2f %.0f %.0f" 0.125 0.375 2.5 3.5 }}', "0.12 0.38 2 4"],
      ['{{ printf "%x %X %o %b %#x %e %E %g %g %g" 255 255 8 5 255 1234.5678 0.000123 0.00001234 123456789.0 100000.0 }}', "ff FF 10 101 0xff 1.234568e+03 1.230000E-04 1.234e-05 1.23456789e+08 100000"],
      ['{{ printf "%c %U %t %T %T %T %x %%" 65 65 true (list) (dict) "s" "hi" }}', "A U+0041 true []interface {} map[string]interface {} string 6869 %"],
      ['{{ printf "%v %s %q %d" (dict "b" 1 "a" "x") (list "a" "b") (list "a") (list 1 2) }}', 'map[a:x b:1] [a b] ["a"] [1 2]'],
      ['{{ printf "%[2]d %[1]d" 1 2 }}|{{ printf "%*d|%.*f" 4 7 1 3.14159 }}|{{ printf "%[2]d %[1]d|%*d" 1 2 4 }}', "2 1|   7|3.1|2 1| 4"],
    ]);
  });

  void it("writes Go's error forms for bad verbs, missing and extra arguments", () => {
    cases([
      ['{{ printf "%d" "x" }}|{{ printf "%d" 3.5 }}|{{ printf "%s" 5 }}|{{ printf "%s" nil }}', "%!d(string=x)|%!d(float64=3.5)|%!s(int=5)|%!s(<nil>)"],
      ['{{ printf "%d %d" 1 }}|{{ printf "%d" 1 2 "x" }}|{{ printf "%z" 1 }}|{{ printf "%" }}', "1 %!d(MISSING)|1%!(EXTRA int=2, string=x)|%!z(int=1)|%!(NOVERB)"],
    ]);
  });
});

void describe("template functions: lists", () => {
  void it("builds and reads lists as sprig does", () => {
    cases([
      ["{{ list 1 \"a\" nil }}|{{ first (list 1 2) }}|{{ rest (list 1 2 3) }}|{{ last (list 1 2) }}|{{ initial (list 1 2 3) }}", "[1 a <nil>]|1|[2 3]|2|[1 2]"],
      ["{{ append (list 1) 2 }}|{{ prepend (list 1) 0 }}|{{ concat (list 1) (list 2 3) }}|{{ reverse (list 1 2 3) }}", "[1 2]|[0 1]|[1 2 3]|[3 2 1]"],
      ['{{ uniq (list 1 1 "a" "a" (list 1) (list 1)) }}|{{ without (list 1 2 3 2) 2 }}|{{ has 2 (list 1 2) }}|{{ has "x" nil }}', "[1 a [1]]|[1 3]|true|false"],
      ['{{ compact (list 1 "" nil 0 "a" false) }}|{{ slice (list 1 2 3) 1 }}|{{ slice (list 1 2 3) 0 2 }}|{{ chunk 2 (list 1 2 3) }}', "[1 a]|[2 3]|[1 2]|[[1 2] [3]]"],
      ["{{ until 3 }}|{{ until -3 }}|{{ untilStep 0 10 3 }}|{{ untilStep 10 0 -3 }}|{{ untilStep 1 5 0 }}", "[0 1 2]|[0 -1 -2]|[0 3 6 9]|[10 7 4 1]|[]"],
      ['{{ seq 3 }}|{{ seq 2 -2 }}|{{ seq 0 2 10 }}|{{ seq 10 -2 0 }}|{{ seq 0 1 -2 }}|{{ seq }}', "1 2 3|2 1 0 -1 -2|0 2 4 6 8 10|10 8 6 4 2 0||"],
    ]);
    fails('{{ first "x" }}', /Cannot find first on type string/);
    fails("{{ append nil 1 }}", /Cannot push on type <nil>/);
  });
});

void describe("template functions: dicts", () => {
  void it("reads and writes maps as sprig does", () => {
    cases([
      ['{{ dict "b" 1 "a" 2 }}|{{ dict "a" | toJson }}|{{ get (dict "a" 1) "a" }}|{{ get (dict) "zz" | quote }}', 'map[a:2 b:1]|{"a":""}|1|""'],
      ['{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $_ := unset $d "a" }}{{ $d }} {{ hasKey $d "b" }} {{ hasKey $d "a" }}', "map[b:2] true false"],
      ['{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}|{{ keys (dict "b" 1) (dict "a" 2) }}|{{ values (dict "b" 1 "a" 2) }}', "[1 3]|[a b]|[2 1]"],
      ['{{ pick (dict "a" 1 "b" 2 "c" 3) "a" "c" }}|{{ omit (dict "a" 1 "b" 2) "a" }}|{{ dig "a" "b" "def" (dict "a" (dict "b" 1)) }}|{{ dig "a" "x" "def" (dict "a" (dict)) }}', "map[a:1 c:3]|map[b:2]|1|def"],
    ]);
  });

  void it("merges as mergo: empty or missing keys filled, maps merged deeply, the first map returned changed", () => {
    cases([
      ['{{ merge (dict "a" 1 "b" "") (dict "b" 2 "c" 3) (dict "a" 9) | toJson }}', '{"a":1,"b":2,"c":3}'],
      ['{{ merge (dict "m" (dict "x" 1 "l" (list 1))) (dict "m" (dict "y" 2 "l" (list 2))) | toJson }}', '{"m":{"l":[1],"x":1,"y":2}}'],
      ['{{ mergeOverwrite (dict "a" 1 "b" 2 "m" (dict "x" 1)) (dict "b" 3 "m" (dict "y" 2)) | toJson }}', '{"a":1,"b":3,"m":{"x":1,"y":2}}'],
      ['{{ $a := dict "x" 1 }}{{ $b := merge $a (dict "y" 2) }}{{ $a.y }}|{{ $c := mustMerge (dict) $a }}{{ $c.x }}', "2|1"],
      ['{{ $a := dict "l" (list 1) }}{{ $b := mustDeepCopy $a }}{{ $_ := set $b "z" 1 }}{{ $a }}|{{ $b }}|{{ deepEqual $a (deepCopy $a) }}', "map[l:[1]]|map[l:[1] z:1]|true"],
    ]);
    fails("{{ mustDeepCopy nil }}", /copy: cannot copy nil/);
  });
});

void describe("template functions: values, types and math", () => {
  void it("defaults, tests and chooses as sprig does", () => {
    cases([
      ['{{ default "d" .missing }}|{{ default 5 0 }}|{{ default "d" false }}|{{ default "d" (list) }}|{{ default "d" "x" }}', "d|5|d|d|x"],
      ['{{ empty 0 }} {{ empty (dict) }} {{ empty "a" }}|{{ coalesce nil "" "x" "y" }}|{{ ternary "y" "n" true }}{{ ternary "y" "n" 0 }}|{{ all 1 "a" }}{{ any 0 "" }}', "true true false|x|yn|truefalse"],
      ['{{ kindOf (list) }} {{ kindOf (dict) }} {{ kindOf "s" }} {{ kindOf 1 }} {{ kindOf 1.5 }} {{ kindOf true }} {{ kindOf nil }} {{ kindIs "slice" (list) }}', "slice map string int float64 bool invalid true"],
      ['{{ typeOf (list) }}|{{ typeOf (dict) }}|{{ typeOf "a" }}|{{ typeIs "string" "a" }}|{{ typeOf nil }}', "[]interface {}|map[string]interface {}|string|true|<nil>"],
    ]);
  });

  void it("fails a template with required and fail", () => {
    fails('{{ required "A valid url value is required!" .url }}', /error calling required: A valid url value is required!/);
    fails('{{ required "need" "" }}', /error calling required: need/);
    assert.equal(renderTemplate('{{ required "need" .url | toString }}', { url: "http://x" }), "http://x");
    fails('{{ fail "runner must be one of job, cronjob, or none" }}', /error calling fail: runner must be one of job, cronjob, or none/);
  });

  void it("does integer math with cast's conversions and float math with the f functions", () => {
    cases([
      ['{{ add 1 2 "3" 1.9 }} {{ add1 4 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ max 1 5 3 }} {{ min 4 2 }}', "7 5 -2 24 3 1 5 2"],
      ['{{ addf 1.5 2 }} {{ subf 5 1.5 }} {{ mulf 1.5 2 }} {{ divf 1 4 }} {{ floor 1.7 }} {{ ceil 1.2 }} {{ round 3.14159 2 }} {{ round 2.5 0 }}', "3.5 3.5 3 0.25 1 2 3.14 3"],
      ['{{ int "42" }} {{ int 3.9 }} {{ int "5.0" }} {{ int "x" }} {{ int64 7 }} {{ float64 "1.5" }} {{ atoi "12" }} {{ atoi "x" }} {{ toString 2.5 }}', "42 3 5 0 7 1.5 12 0 2.5"],
    ]);
    fails("{{ div 1 0 }}", /integer divide by zero/);
  });
});

void describe("template functions: JSON, YAML, encodings", () => {
  void it("writes JSON as encoding/json: sorted keys, HTML escaped unless raw, indented with two spaces", () => {
    cases([
      ['{{ dict "b" 1 "a" "<&>" | toJson }}|{{ dict "a" "<&>" | toRawJson }}|{{ list 1 "x" nil | toJson }}', '{"a":"\\u003c\\u0026\\u003e","b":1}|{"a":"<&>"}|[1,"x",null]'],
      ['{{ dict "a" (list 1 (dict)) "b" (list) | toPrettyJson }}', '{\n  "a": [\n    1,\n    {}\n  ],\n  "b": []\n}'],
      ['{{ "line\\n\\"q\\"\\t" | toJson }}|{{ mustToJson 1.5 }}|{{ .missing | toJson }}', '"line\\n\\"q\\"\\t"|1.5|null'],
    ]);
  });

  void it("reads JSON: fromJson a map (Error key on failure, as Helm), mustFromJson any value", () => {
    cases([
      ['{{ (fromJson "{\\"a\\": [1, 2]}").a }}|{{ hasKey (fromJson "[1]") "Error" }}|{{ hasKey (fromJson "{") "Error" }}', "[1 2]|true|true"],
      ['{{ mustFromJson "[1, {\\"a\\": 2}]" | toJson }}|{{ fromJsonArray "[1, 2]" }}', '[1,{"a":2}]|[1 2]'],
    ]);
    fails('{{ mustFromJson "{" }}', /error calling mustFromJson/);
  });

  void it("writes YAML as Helm's toYaml: keys sorted, lists not indented, strings quoted when needed, no final newline", () => {
    cases([
      ['{{ toYaml (dict "b" (list 1 2 (dict "x" "8080")) "a" "multi\\nline" "c" "" "d" "true" "e" nil) }}', 'a: |-\n  multi\n  line\nb:\n- 1\n- 2\n- x: "8080"\nc: ""\nd: "true"\ne: null'],
      ['{{ toYaml "plain" }}|{{ toYaml (list) }}|{{ toYaml (dict) }}', "plain|[]|{}"],
    ]);
  });

  void it("reads YAML as Helm's fromYaml (YAML 1.1 booleans; Error key on failure) and refuses alias bombs", () => {
    cases([
      ['{{ $v := fromYaml "a: 1\\nb: [x, y]\\nc: {d: yes}" }}{{ $v.a }} {{ $v.b }} {{ $v.c.d }}', "1 [x true] true"],
      ['{{ hasKey (fromYaml "- a") "Error" }}|{{ fromYamlArray "- a\\n- 2" }}|{{ hasKey (fromYaml "a: [") "Error" }}', "true|[a 2]|true"],
    ]);
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]';
    assert.equal(renderTemplate("{{ hasKey (fromYaml .) \"Error\" }}", bomb), "true");
  });

  void it("encodes and hashes as Go's crypto and encoding packages", () => {
    cases([
      ['{{ b64enc "hi" }} {{ b64dec "aGk=" }} {{ b32enc "hi" }} {{ adler32sum "abc" }}', "aGk= hi NBUQ==== 38600999"],
      ['{{ sha256sum "abc" }} {{ sha1sum "abc" }}', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad a9993e364706816aba3e25717850c26c9cd0d89d"],
    ]);
  });

  void it("formats times with Go's layout, in UTC", () => {
    cases([
      ['{{ date "2006-01-02T15:04:05Z07:00" 0 }}|{{ date "Mon Jan _2 3:04PM .000" 1700000000 }}|{{ htmlDate 0 }}|{{ dateInZone "15:04 -07:00" 0 "+02:00" }}|{{ unixEpoch now | len }}', "1970-01-01T00:00:00Z|Tue Nov 14 10:13PM .000|1970-01-01|02:00 +02:00|10"],
    ]);
    assert.match(renderTemplate("{{ now | toJson }}", {}), /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"$/);
    assert.match(renderTemplate("{{ now }}", {}), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
  });
});
