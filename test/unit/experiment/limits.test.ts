/**
 * Hostile YAML (issue 13): alias bombs, deep nesting, huge documents. Each is refused with a
 * validation error naming the file and line, in milliseconds of CPU, before anything is expanded.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, it } from "node:test";
import { DEFAULT_PARSE_LIMITS, ErrorCode, parseExperimentFile, parseExperimentText } from "../../../core/index.js";
import type { ParseOptions } from "../../../core/index.js";
import { failure } from "./helpers.js";

/** CPU milliseconds (user + system) `fn` takes: what the parse costs, whatever else runs on the machine. */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Where the measured CPU times are reported (the test's diagnostics, shown by the runner). */
let report: (message: string) => void = () => undefined;

/** Refused within `budgetMs` of CPU with the given code; returns the error. */
function refusedQuickly(text: string, code: string, options: ParseOptions = {}, budgetMs = 100) {
  parseExperimentText("spec:\n  - run: echo warm\n", "warm.yaml");
  let error: ReturnType<typeof failure> | undefined;
  const ms = cpuMs(() => {
    error = failure(text, options);
  });
  assert.ok(error);
  assert.equal(error.code, code, error.describe());
  report(`${text.length} bytes refused (${code}) after ${ms.toFixed(1)} ms of CPU`);
  assert.ok(ms < budgetMs, `refused after ${ms.toFixed(1)} ms of CPU (budget ${budgetMs} ms)`);
  return error;
}

const lolRow = (name: string, of: string): string => `${name}: &${name} [${Array(9).fill(`*${of}`).join(", ")}]`;
/** The classic nested-alias bomb: 9 levels of 9 aliases each, ~0.4 KB, 9^8 "lol"s expanded. */
const BILLION_LAUGHS = [
  `a: &a [${Array(9).fill('"lol"').join(", ")}]`,
  lolRow("b", "a"),
  lolRow("c", "b"),
  lolRow("d", "c"),
  lolRow("e", "d"),
  lolRow("f", "e"),
  lolRow("g", "f"),
  lolRow("h", "g"),
  lolRow("i", "h"),
].join("\n");

/** Ten levels of ten aliases: 10^10 nodes expanded, the form that "never finished". */
const TEN_LEVELS = ["l0: &l0 [x, x]", ...Array.from({ length: 10 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(", ")}]`)].join("\n");

beforeEach((t) => {
  report = (message) => {
    if ("diagnostic" in t) t.diagnostic(message);
  };
});

describe("YAML alias expansion is budgeted", () => {
  it(`refuses the billion-laughs form (${BILLION_LAUGHS.length} bytes) in < 100 ms, naming file and line`, () => {
    assert.ok(BILLION_LAUGHS.length < 500);
    const error = refusedQuickly(BILLION_LAUGHS, ErrorCode.TooLarge);
    assert.equal(error.location?.file, "exp.yaml");
    assert.equal(error.location?.line, 5, "the alias where the 10,000-node budget runs out");
    assert.match(error.message, /YAML alias \*d expands to 7381 nodes: alias expansion may create at most 10000 nodes per document/);
  });

  it("refuses ten levels of ten aliases in < 100 ms", () => {
    const error = refusedQuickly(TEN_LEVELS, ErrorCode.TooLarge);
    assert.match(error.describe(), /^exp\.yaml:5:\d+: YAML alias \*l3 expands to 3111 nodes/);
  });

  it("refuses the bomb inside an experiment and as a --set value", () => {
    const inside = refusedQuickly(`spec:\n  - run: echo\nbomb:\n${BILLION_LAUGHS.replace(/^/gm, "  ")}\n`, ErrorCode.TooLarge);
    assert.equal(inside.location?.line, 8);
    const flow = `{${BILLION_LAUGHS.split("\n").join(", ")}}`;
    const viaSet = refusedQuickly("spec:\n  - run: echo\n", ErrorCode.BadOverride, { overrides: [`name=${flow}`] });
    assert.match(viaSet.message, /^--set name=.*: the value is refused: YAML alias \*d expands to 7381 nodes/s);
  });

  it("the budget is configurable: 2 nodes refuses an alias of a 3-node list, 10 accepts it", () => {
    const text = "name: &n x\nspec:\n  - &e {run: echo}\n  - *e\n";
    assert.equal(parseExperimentText(text, "exp.yaml").tasks.length, 2);
    const error = failure(text, { limits: { maxAliasNodes: 2 } });
    assert.equal(error.code, ErrorCode.TooLarge);
    assert.equal(error.location?.line, 4);
    assert.equal(parseExperimentText(text, "exp.yaml", { limits: { maxAliasNodes: 10 } }).tasks.length, 2);
  });

  it("an alias naming no anchor, or inside its own anchor, is a YAML error at its line", () => {
    const missing = failure("spec:\n  - run: echo\nname: *nowhere\n");
    assert.equal(missing.code, ErrorCode.YamlSyntax);
    assert.equal(missing.location?.line, 3);
    assert.match(missing.message, /alias \*nowhere refers to no anchor &nowhere/);
    const recursive = failure("spec:\n  - run: echo\nmetadata: &m {name: *m}\n");
    assert.match(recursive.message, /alias \*m is inside the node it refers to/);
  });

  it("--set x=*alias is a validation error (a --set value cannot see the file's anchors)", () => {
    const error = failure("name: &a one\nspec:\n  - run: echo\n", { overrides: ["name=*a"] });
    assert.equal(error.code, ErrorCode.BadOverride);
    assert.match(error.message, /--set name=\*a: the value is not valid YAML \(YAML alias \*a refers to no anchor &a defined before it\)/);
  });
});

describe("document size, node count and nesting are budgeted before the YAML parser runs", () => {
  it("nesting deeper than 64 levels (30,000 brackets, 100,000 dashes) is refused in < 100 ms", () => {
    for (const text of ["[".repeat(30_000), `spec:\n${"- ".repeat(100_000)}x\n`, `spec:\n${Array.from({ length: 80 }, (_, i) => `${" ".repeat(i + 1)}k${i}:`).join("\n")}\n`]) {
      const error = refusedQuickly(text, ErrorCode.TooLarge);
      assert.match(error.message, /nested deeper than 64 levels/);
    }
  });

  it("a legitimate document near the depth limit parses", () => {
    const nested = `${"[".repeat(40)}1${"]".repeat(40)}`;
    const experiment = parseExperimentText(`spec:\n  - task: custommetrics\n    with: {values: {deep: ${nested}}}\n`, "exp.yaml");
    assert.equal(experiment.tasks[0]?.spec.task, "custommetrics");
  });

  it("more than 20,000 nodes is refused early (60,000 keys, 300,000 empty lists)", () => {
    const keys = Array.from({ length: 60_000 }, (_, i) => `k${i}: v`).join("\n");
    const flat = `[${"[],".repeat(300_000)}]`;
    for (const text of [keys, flat]) {
      const error = refusedQuickly(text, ErrorCode.TooLarge, {}, 400);
      assert.match(error.message, /more than 20000 YAML nodes/);
    }
  });

  it("a document over the size limit is refused without being parsed, from text or a file", async () => {
    const big = `name: x\nspec:\n  - run: echo\nmetadata: {namespace: "${"x".repeat(DEFAULT_PARSE_LIMITS.maxDocumentBytes)}"}\n`;
    const error = refusedQuickly(big, ErrorCode.TooLarge);
    assert.match(error.message, /the document is \d+ bytes, more than the limit of 1048576 bytes/);
    const path = join(tmpdir(), `assay-big-${process.pid}.yaml`);
    await writeFile(path, big);
    await assert.rejects(parseExperimentFile(path), (e: Error & { code?: string }) => e.code === ErrorCode.TooLarge && e.message.includes(path));
    const small = failure("spec:\n  - run: echo\n", { limits: { maxDocumentBytes: 10 } });
    assert.equal(small.code, ErrorCode.TooLarge);
  });

  it("duplicate keys are still refused, and checking them is linear (9,900 keys in < 1 s)", () => {
    const dup = failure("spec:\n  - task: http\n    task: assess\n");
    assert.equal(dup.code, ErrorCode.YamlSyntax);
    assert.deepEqual([dup.location?.line, dup.location?.column], [3, 5]);
    const many = `spec:\n  - task: custommetrics\n    with:\n      values:\n${Array.from({ length: 9_900 }, (_, i) => `        k${i}: ${i}`).join("\n")}\n`;
    parseExperimentText("spec:\n  - run: echo warm\n", "warm.yaml");
    const ms = cpuMs(() => parseExperimentText(many, "exp.yaml"));
    assert.ok(ms < 1000, `9,900 keys took ${ms.toFixed(0)} ms of CPU (the yaml library's own check: ~3 s)`);
  });

  it("a 900 KB key, task name, metric name or value is refused quickly with a short message", () => {
    const big = "x".repeat(900_000);
    const texts = [
      `spec:\n  - task: ${big}\n`,
      `spec:\n  - task: http\n    with: {url: http://a.test/, ${big}: 1}\n`,
      `spec:\n  - task: http\n    with: {url: http://a.test/}\n  - task: assess\n    with: {SLOs: {upper: {http/${big}: 1}}}\n`,
      `spec:\n  - task: http\n    with: {url: http://a.test/, headers: {${big}: "a\\n"}}\n`,
    ];
    for (const text of texts) {
      const error = refusedQuickly(text, failure(text).code, {}, 300);
      assert.ok(error.message.length < 1000, `a message of ${error.message.length} characters`);
    }
  });
});
