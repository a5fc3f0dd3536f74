/**
 * Helm's `--set` syntax as `assay launch` reads it (core/chart/strvals.ts): nesting, lists,
 * indexes, escapes, Helm's typing of scalars, and errors that name the `--set` item.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, ValidationError, parseSetInto, stringSetValue } from "../../../core/index.js";
import type { ChartValues } from "../../../core/index.js";

function set(...items: string[]): ChartValues {
  const values: ChartValues = {};
  for (const item of items) parseSetInto(values, item);
  return values;
}

function setError(item: string): ValidationError {
  try {
    set(item);
  } catch (error) {
    assert.ok(error instanceof ValidationError, `not a ValidationError: ${String(error)}`);
    return error;
  }
  assert.fail(`--set ${item} was accepted`);
}

void describe("--set (Helm strvals)", () => {
  void it("nests keys on dots and types scalars as Helm does", () => {
    assert.deepEqual(set("a.b.c=x"), { a: { b: { c: "x" } } });
    assert.deepEqual(set("t=true,f=FALSE,n=null,z=0,i=42,neg=-5,d=0.05,oct=010,dur=60s,e=1e3,empty="), {
      t: true,
      f: false,
      n: null,
      z: 0,
      i: 42,
      neg: -5,
      d: "0.05",
      oct: "010",
      dur: "60s",
      e: "1e3",
      empty: "",
    });
  });

  void it("reads {a,b} as a list of typed elements, {} as an empty list", () => {
    assert.deepEqual(set("tasks={ready,http,assess}"), { tasks: ["ready", "http", "assess"] });
    assert.deepEqual(set("p={50,75,99.9}"), { p: [50, 75, "99.9"] });
    assert.deepEqual(set("a={}"), { a: [] });
    assert.deepEqual(set("a={x},b=1"), { a: ["x"], b: 1 });
  });

  void it("keeps a dot escaped with a backslash inside the key, and splits on an unescaped one", () => {
    assert.deepEqual(set("assess.SLOs.upper.grpc/latency/p97\\.5=600"), { assess: { SLOs: { upper: { "grpc/latency/p97.5": 600 } } } });
    assert.deepEqual(set("grpc/latency/p97.5=800"), { "grpc/latency/p97": { "5": 800 } });
    assert.deepEqual(set("a=b\\,c"), { a: "b,c" });
  });

  void it("indexes lists, leaving null holes, and merges later items into earlier ones", () => {
    assert.deepEqual(set("a[0]=x,a[2]=y"), { a: ["x", null, "y"] });
    assert.deepEqual(set("cm.versionValues[1].labels.v=v2"), { cm: { versionValues: [null, { labels: { v: "v2" } }] } });
    assert.deepEqual(set("m[0][1]=z"), { m: [[null, "z"]] });
    assert.deepEqual(set("a={x,y}", "a[1]=z"), { a: ["x", "z"] });
    assert.deepEqual(set("http.url=u", "http.qps=10", "http.url=v"), { http: { url: "v", qps: 10 } });
  });

  void it("--set-string keeps every value a string", () => {
    const values: ChartValues = {};
    parseSetInto(values, "a=1,b=true,c={1,2}", { flag: "--set-string", read: stringSetValue });
    assert.deepEqual(values, { a: "1", b: "true", c: ["1", "2"] });
  });

  void it("rejects malformed items with a message naming the item and the key", () => {
    const cases: Array<[string, RegExp]> = [
      ["http.url", /--set "http\.url": key "http\.url" has no value/],
      ["a,b=1", /key "a" has no value \(cannot end with ,\)/],
      ["tasks={http,assess", /list must terminate with '}'/],
      ["a[70000]=1", /index 70000 is greater than the maximum of 65536/],
      ["a[x]=1", /index \[x\] is not a number/],
      ["a[0", /not closed/],
      [`${Array.from({ length: 32 }, (_, i) => `k${i}`).join(".")}=1`, /nested deeper than 30 levels/],
    ];
    for (const [item, message] of cases) {
      const error = setError(item);
      assert.equal(error.code, ErrorCode.BadValues);
      assert.match(error.message, message, item);
      assert.ok(error.message.startsWith(`--set ${JSON.stringify(item)}`), error.message);
    }
  });

  void it("refuses to index a map or to nest into a scalar set before", () => {
    const values = set("a=1");
    assert.throws(() => parseSetInto(values, "a.b=2"), /key "a" is not a map/);
    assert.throws(() => parseSetInto(set("m.x=1"), "m[0]=2"), /key "m" is not a list/);
  });
});
