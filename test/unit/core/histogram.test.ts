import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as hdr from "hdr-histogram-js";
import { addEncoded, createHistogram, decodeHistogram, encodeHistogram, recordMicros } from "../../../core/index.js";
import type { Histogram } from "../../../core/index.js";
// The internal fast path, tested directly so a silent fallback to the library cannot hide a bug.
import { addEncodedDirect } from "../../../core/histogram.js";

/** A small deterministic PRNG so the cases are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomHistogram(random: () => number, values: number): Histogram {
  const histogram = createHistogram();
  for (let i = 0; i < values; i++) {
    // Log-uniform from 1 µs to ~1 hour, plus repeated values, so runs of zeros and large counts occur.
    const value = random() < 0.2 ? 1500 : Math.exp(random() * Math.log(3_500_000_000));
    recordMicros(histogram, value);
  }
  return histogram;
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

function assertSame(actual: Histogram, expected: Histogram, what: string): void {
  assert.equal(actual.totalCount, expected.totalCount, `${what}: total count`);
  for (const p of PERCENTILES) {
    assert.equal(actual.getValueAtPercentile(p), expected.getValueAtPercentile(p), `${what}: p${p}`);
  }
  assert.equal(actual.maxValue, expected.maxValue, `${what}: max`);
  assert.equal(actual.minNonZeroValue, expected.minNonZeroValue, `${what}: min`);
}

describe("addEncoded (the merge hot path)", () => {
  it("adds exactly what the library's decode-then-add gives, over many random histograms", () => {
    const random = mulberry32(42);
    for (let round = 0; round < 40; round++) {
      const fast = createHistogram();
      const reference = createHistogram();
      const parts = 1 + Math.floor(random() * 5);
      for (let k = 0; k < parts; k++) {
        const part = randomHistogram(random, Math.floor(random() * 3000));
        const bytes = encodeHistogram(part);
        if (bytes.length > 0) assert.equal(addEncodedDirect(fast, bytes), true, "our own encodings take the direct path");
        if (bytes.length > 0) reference.add(decodeHistogram(bytes));
      }
      assertSame(fast, reference, `round ${round}`);
    }
  });

  it("accepts encodings from another HdrHistogram layout through the library path", () => {
    const foreign = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 2 });
    for (let v = 1; v <= 5000; v += 7) foreign.recordValue(v);
    const into = createHistogram();
    addEncoded(into, Buffer.from(hdr.encodeIntoCompressedBase64(foreign), "base64"));
    assert.equal(into.totalCount, foreign.totalCount);
    assert.ok(Math.abs(into.getValueAtPercentile(50) - foreign.getValueAtPercentile(50)) <= foreign.getValueAtPercentile(50) * 0.01);
  });

  it("ignores an empty encoding", () => {
    const into = createHistogram();
    addEncoded(into, new Uint8Array(0));
    assert.equal(into.totalCount, 0);
  });
});
