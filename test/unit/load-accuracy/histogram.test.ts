/**
 * Review: addEncodedDirect (hand-written LEB128/ZigZag bucket merge) against the library's decode+add,
 * for counts beyond 2^31 / 2^32, long zero runs, value 0..1 edges, min/max tracking.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { HISTOGRAM_MAX_US, createHistogram, decodeHistogram, encodeHistogram } from "../../../core/index.js";
import { addEncodedDirect } from "../../../core/histogram.js";
import type { Histogram } from "../../../core/index.js";

function viaLibrary(into: Histogram, bytes: Uint8Array): void {
  const other = decodeHistogram(bytes);
  into.add(other);
  other.destroy();
}

function same(a: Histogram, b: Histogram, what: string): void {
  assert.equal(a.totalCount, b.totalCount, `${what}: totalCount`);
  assert.equal(a.maxValue, b.maxValue, `${what}: maxValue`);
  assert.equal(a.minNonZeroValue, b.minNonZeroValue, `${what}: minNonZeroValue`);
  for (const p of [0, 1, 50, 90, 99, 99.9, 99.999, 100]) assert.equal(a.getValueAtPercentile(p), b.getValueAtPercentile(p), `${what}: p${p}`);
  assert.equal(a.mean, b.mean, `${what}: mean`);
}

test("direct merge equals the library for large counts, long zero runs and range edges", () => {
  const cases: [number, number][][] = [
    [[1, 3_000_000_000], [HISTOGRAM_MAX_US, 5_000_000_000]],
    [[2, 2 ** 31], [3, 2 ** 32 + 7], [1_000_000, 2 ** 40 + 3]],
    [[HISTOGRAM_MAX_US, 1]],
    [[1, 1]],
    [[123_456, 17], [123_457, 1], [2_000_000_000, 2 ** 45]],
  ];
  for (const [i, values] of cases.entries()) {
    const source = createHistogram();
    for (const [value, count] of values) source.recordValueWithCount(value, count);
    const bytes = encodeHistogram(source);
    const direct = createHistogram();
    direct.recordValue(500);
    const library = createHistogram();
    library.recordValue(500);
    assert.equal(addEncodedDirect(direct, bytes), true, "direct path taken");
    viaLibrary(library, bytes);
    same(direct, library, `case ${i}`);
    const expectedTotal = values.reduce((s, [, c]) => s + c, 0) + 1;
    assert.equal(direct.totalCount, expectedTotal, `case ${i}: exact total`);
  }
});

test("merging into an empty histogram tracks min and max exactly like the library", () => {
  const source = createHistogram();
  source.recordValue(7_777);
  source.recordValue(12);
  const bytes = encodeHistogram(source);
  const direct = createHistogram();
  const library = createHistogram();
  assert.equal(addEncodedDirect(direct, bytes), true);
  viaLibrary(library, bytes);
  same(direct, library, "empty target");
});
