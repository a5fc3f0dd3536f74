import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeValuesDeep } from "../../../coordinator/metrics-backends/merge.js";

void describe("custommetrics values merged with versionValues (mergo MergeWithOverwrite)", () => {
  it("merges maps recursively, replaces scalars and lists, keeps shared values over empty ones", () => {
    const shared = { labels: { namespace: "default", app: "httpbin", nested: { a: 1 } }, list: [1, 2], name: "x", keep: "y" };
    const own = { labels: { version: "v2", nested: { b: 2 } }, list: [3], name: "z", keep: "", extra: false };
    assert.deepEqual(mergeValuesDeep(shared, own), {
      labels: { namespace: "default", app: "httpbin", version: "v2", nested: { a: 1, b: 2 } },
      list: [3],
      name: "z",
      keep: "y",
      extra: false,
    });
    assert.deepEqual(shared.labels, { namespace: "default", app: "httpbin", nested: { a: 1 } }, "inputs untouched");
  });
});
