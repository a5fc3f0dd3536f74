/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) in integer microseconds, 3 significant
 * digits, up to one hour. Agents record into them, ship their compressed encoding, and the
 * coordinator adds them exactly. Percentiles are always read from a (merged) histogram, never
 * averaged.
 */
import * as hdr from "hdr-histogram-js";
import type { Histogram } from "hdr-histogram-js";

export type { Histogram };

/** Highest recordable latency: one hour in microseconds. Larger values are clamped. */
export const HISTOGRAM_MAX_US = 3_600_000_000;
export const HISTOGRAM_SIGNIFICANT_DIGITS = 3;

/** A fresh latency histogram (values in microseconds). */
export function createHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_MAX_US,
    numberOfSignificantValueDigits: HISTOGRAM_SIGNIFICANT_DIGITS,
    bitBucketSize: 64,
    useWebAssembly: false,
  });
}

/** Records one value in microseconds, clamped to [1, HISTOGRAM_MAX_US]. */
export function recordMicros(histogram: Histogram, valueUs: number): void {
  const clamped = valueUs < 1 ? 1 : valueUs > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : Math.round(valueUs);
  histogram.recordValue(clamped);
}

/** HdrHistogram's standard compressed encoding (the bytes behind its base64 form). */
export function encodeHistogram(histogram: Histogram): Uint8Array {
  if (histogram.totalCount === 0) return new Uint8Array(0);
  return Buffer.from(hdr.encodeIntoCompressedBase64(histogram), "base64");
}

/** Decodes bytes from encodeHistogram (or any HdrHistogram V2 compressed payload). */
export function decodeHistogram(bytes: Uint8Array): Histogram {
  if (bytes.length === 0) return createHistogram();
  const decoded = hdr.decodeFromCompressedBase64(Buffer.from(bytes).toString("base64"), 64, false);
  return decoded;
}

/** Adds encoded histogram bytes into `into` (exact bucket addition). */
export function addEncoded(into: Histogram, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  const other = decodeHistogram(bytes);
  into.add(other);
  other.destroy();
}

/** Base64 text of the encoding, for JSON result documents. */
export function histogramToBase64(histogram: Histogram): string {
  return histogram.totalCount === 0 ? "" : hdr.encodeIntoCompressedBase64(histogram);
}

export function histogramFromBase64(text: string): Histogram {
  return text === "" ? createHistogram() : decodeHistogram(Buffer.from(text, "base64"));
}

/** Value at a percentile (0–100) in milliseconds; undefined when the histogram is empty. */
export function percentileMs(histogram: Histogram, percentile: number): number | undefined {
  if (histogram.totalCount === 0) return undefined;
  return histogram.getValueAtPercentile(percentile) / 1000;
}

/** How many recorded values are ≤ limitUs (up to histogram precision). */
export function countAtOrBelow(histogram: Histogram, limitUs: number): number {
  if (histogram.totalCount === 0) return 0;
  let count = 0;
  // RecordedValuesIterator is internal; walk percentiles through the public API instead.
  const h = histogram as unknown as { getCountAtIndex?: (i: number) => number; countsArrayIndex?: (v: number) => number };
  if (typeof h.getCountAtIndex === "function" && typeof h.countsArrayIndex === "function") {
    const last = h.countsArrayIndex(Math.min(limitUs, HISTOGRAM_MAX_US));
    for (let i = 0; i <= last; i++) count += h.getCountAtIndex(i);
    return count;
  }
  throw new Error("histogram implementation does not expose bucket counts");
}
