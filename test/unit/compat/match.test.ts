/**
 * The compatibility corpus (test/compat) is only as good as the matcher its expectations are
 * written in: these cases pin what an expectation accepts and rejects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deepEqualMismatches, mismatches } from "../../compat/match.js";
import { substitutePlaceholders } from "../../compat/services.js";

void describe("compat matcher", () => {
  void it("matches objects on the named keys only, lists element by element", () => {
    assert.deepEqual(mismatches({ a: 1, b: [1, { c: "x" }] }, { a: 1, z: 9, b: [1, { c: "x", d: 2 }] }), []);
    assert.deepEqual(mismatches({ b: [1] }, { b: [1, 2] }), ["b: expected 1 items, got 2: [1,2]"]);
    assert.deepEqual(mismatches({ a: 1 }, { a: "1" }), ['a: expected 1, got "1"']);
    assert.deepEqual(mismatches({ a: 1 }, {}), ["a: missing (expected 1)"]);
  });

  void it("applies operators", () => {
    assert.deepEqual(mismatches({ n: { $min: 2, $max: 4 } }, { n: 3 }), []);
    assert.equal(mismatches({ n: { $min: 2 } }, { n: 1 }).length, 1);
    assert.equal(mismatches({ n: { $approx: 0.2, $tol: 0.01 } }, { n: 0.205 }).length, 0);
    assert.equal(mismatches({ s: { $contains: ["ab", "cd"] } }, { s: "abcd" }).length, 0);
    assert.equal(mismatches({ s: { $contains: "zz" } }, { s: "abcd" }).length, 1);
    assert.equal(mismatches({ l: { $contains: { k: 1 } } }, { l: [{ k: 2 }, { k: 1, x: 0 }] }).length, 0);
    assert.equal(mismatches({ s: { $matches: "^a.c$" } }, { s: "abc" }).length, 0);
    assert.equal(mismatches({ x: { $absent: true } }, { x: 0 }).length, 1);
    assert.equal(mismatches({ x: { $any: true } }, {}).length, 1);
    assert.equal(mismatches({ x: { $not: "completed" } }, { x: "pending" }).length, 0);
    assert.equal(mismatches({ x: { $not: "completed" } }, { x: "completed" }).length, 1);
    assert.equal(mismatches({ x: { $type: "string" } }, { x: 1 }).length, 1);
    assert.equal(mismatches({ x: { $oneOf: [1, 2] } }, { x: 2 }).length, 0);
    assert.equal(mismatches({ x: { $len: 2 } }, { x: [1, 2] }).length, 0);
  });

  void it("deep equality for renders rejects extra and retyped keys, not key order", () => {
    assert.deepEqual(deepEqualMismatches({ a: 1, b: { c: "x" } }, { b: { c: "x" }, a: 1 }), []);
    assert.equal(deepEqualMismatches({ a: 1 }, { a: 1, extra: true }).length, 1);
    assert.equal(deepEqualMismatches({ qps: 15 }, { qps: "15" }).length, 1);
    assert.deepEqual(deepEqualMismatches({ t: { $type: "string" } }, { t: "2023-01-01T00:00:00Z" }), []);
  });

  void it("substitutes placeholders and refuses unknown ones", () => {
    const ports = { PORT: "1", "PORT:hook": "2", TMPDIR: "/t" };
    assert.equal(substitutePlaceholders("http://127.0.0.1:{{PORT}}/a {{PORT:hook}} {{TMPDIR}}/x {{ .Go }}", ports), "http://127.0.0.1:1/a 2 /t/x {{ .Go }}");
    assert.throws(() => substitutePlaceholders("{{PORT:prom}}", ports), /names no running service/);
  });
});
