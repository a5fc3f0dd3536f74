import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../../../core/index.js";
import { compileJq } from "../../../coordinator/metrics-backends/index.js";

const prom = { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1700000000, "42.5"] }] } };

void test("jq paths, JSONPath and pipes pick values", () => {
  assert.equal(compileJq(".data.result[0].value[1]").pick(prom), "42.5");
  assert.equal(compileJq(".data.result[0].value[1] | tonumber").pick(prom), 42.5);
  assert.equal(compileJq("$.data.result[0].value[1]").pick(prom), "42.5");
  assert.equal(compileJq("$['data'][\"result\"][0].value[-1]").pick(prom), "42.5");
  assert.equal(compileJq('."a-b".c?').pick({ "a-b": { c: 1 } }), 1);
  assert.equal(compileJq(".[\"a-b\"].c").pick({ "a-b": { c: 2 } }), 2);
  assert.equal(compileJq(".data.result | length").pick(prom), 1);
  assert.equal(compileJq(".xs | last").pick({ xs: [1, 2, 3] }), 3);
  assert.deepEqual(compileJq(".").pick({ a: 1 }), { a: 1 });
});

void test("missing steps give undefined, never a guess or an exception", () => {
  assert.equal(compileJq(".data.result[3].value[1]").pick(prom), undefined);
  assert.equal(compileJq(".data.result[0].value[1].deeper").pick(prom), undefined);
  assert.equal(compileJq(".a.b").pick(null), undefined);
  assert.equal(compileJq(".constructor").pick({}), undefined);
  assert.equal(compileJq(".__proto__").pick({}), undefined);
  assert.equal(compileJq(".a | tonumber").pick({ a: "" }), undefined);
});

void test("unsupported syntax is rejected at compile time with the field", () => {
  for (const bad of ["map(.a)", ".a[", ".a | ", "a.b", ".a[*]", ".a + 1"]) {
    assert.throws(() => compileJq(bad, "with.providers[0].metrics[0].jqExpression"), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /^with\.providers\[0\]\.metrics\[0\]\.jqExpression: jq expression/);
      return true;
    });
  }
});
