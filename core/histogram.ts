/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) in integer microseconds, 3 significant
 * digits, up to one hour. Agents record into them, ship their compressed encoding, and the
 * coordinator adds them exactly. Percentiles are always read from a (merged) histogram, never
 * averaged.
 */
import { inflateSync } from "node:zlib";
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

/**
 * Adds encoded histogram bytes into `into` (exact bucket addition). This is the merge hot path
 * (one call per series per agent report), so when the encoding has the same bucket layout as
 * `into` it is read straight into `into`'s buckets: no intermediate histogram (whose counts array
 * would be ~180 KB for our one-hour range) and no base64 round trip. Anything else goes through
 * the library's decoder.
 */
export function addEncoded(into: Histogram, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  if (addEncodedDirect(into, bytes)) return;
  const other = decodeHistogram(bytes);
  into.add(other);
  other.destroy();
}

const V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
const V2_COOKIE_BASE = 0x1c849303;
const V2_HEADER_BYTES = 40;

/**
 * The bits of hdr-histogram-js's JsHistogram that the direct merge uses (its own `add` uses the
 * same ones). Checked at run time; any other implementation takes the library path.
 */
interface BucketAccess {
  readonly numberOfSignificantValueDigits: number;
  readonly countsArrayLength: number;
  readonly totalCount: number;
  readonly maxValue: number;
  readonly minNonZeroValue: number;
  readonly lowestDiscernibleValueRounded: number;
  readonly unitMagnitudeMask: number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  addToCountAtIndex(index: number, count: number): void;
  setTotalCount(count: number): void;
  updatedMaxValue(value: number): void;
  updateMinNonZeroValue(value: number): void;
}

function hasBucketAccess(histogram: unknown): histogram is BucketAccess {
  const h = histogram as Partial<Record<keyof BucketAccess, unknown>>;
  return (
    typeof h.addToCountAtIndex === "function" &&
    typeof h.setTotalCount === "function" &&
    typeof h.updatedMaxValue === "function" &&
    typeof h.updateMinNonZeroValue === "function" &&
    typeof h.valueFromIndex === "function" &&
    typeof h.highestEquivalentValue === "function" &&
    typeof h.countsArrayLength === "number" &&
    h.unitMagnitudeMask === 0
  );
}

/** Exported for tests: true when the bytes were added without the library decoder. */
export function addEncodedDirect(into: Histogram, bytes: Uint8Array): boolean {
  if (!hasBucketAccess(into) || bytes.length < 8) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if ((view.getInt32(0) & ~0xf0) !== V2_COMPRESSED_COOKIE_BASE) return false;
  const compressedLength = view.getInt32(4);
  const raw = inflateSync(bytes.subarray(8, 8 + compressedLength));
  if (raw.length < V2_HEADER_BYTES) return false;
  const header = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if ((header.getInt32(0) & ~0xf0) !== V2_COOKIE_BASE) return false;
  const payloadLength = header.getInt32(4);
  // Bytes 8-11 hold the normalizing index offset in Java's encoder; hdr-histogram-js writes 1 there
  // and ignores it on decode, as we do (neither implementation shifts indexes).
  const significantDigits = header.getInt32(12);
  const lowestDiscernible = Number(header.getBigInt64(16));
  // Same sub-bucket layout (digits, unit) means the same index -> value mapping.
  if (significantDigits !== into.numberOfSignificantValueDigits || lowestDiscernible !== 1) return false;
  const end = Math.min(raw.length, V2_HEADER_BYTES + payloadLength);
  let position = V2_HEADER_BYTES;
  let index = 0;
  let added = 0;
  let maxIndex = -1;
  let minNonZeroIndex = -1;
  while (position < end) {
    // ZigZag-encoded LEB128 (at most 9 bytes, the 9th carrying 8 bits): a count, or a run of zeros.
    let encoded = 0;
    let scale = 1;
    for (let byteIndex = 0; byteIndex < 9; byteIndex++) {
      const byte = raw[position++] ?? 0;
      if (byteIndex === 8) {
        encoded += byte * scale;
        break;
      }
      encoded += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) break;
    }
    const value = encoded % 2 === 0 ? encoded / 2 : -(encoded + 1) / 2;
    if (value < 0) {
      index += -value;
      continue;
    }
    if (value > 0) {
      if (index >= into.countsArrayLength) fail(index);
      into.addToCountAtIndex(index, value);
      added += value;
      maxIndex = index;
      if (minNonZeroIndex === -1 && index !== 0) minNonZeroIndex = index;
    }
    index++;
  }
  // Exactly what JsHistogram.add does with a decoded histogram's tracking values.
  into.setTotalCount(into.totalCount + added);
  const otherMax = maxIndex >= 0 ? into.highestEquivalentValue(into.valueFromIndex(maxIndex)) : 0;
  into.updatedMaxValue(Math.max(into.maxValue, otherMax));
  const otherMin =
    minNonZeroIndex >= 0
      ? Math.floor(into.valueFromIndex(minNonZeroIndex) / into.lowestDiscernibleValueRounded) * into.lowestDiscernibleValueRounded
      : Number.MAX_VALUE;
  into.updateMinNonZeroValue(Math.min(into.minNonZeroValue, otherMin));
  return true;
}

function fail(index: number): never {
  throw new RangeError(`encoded histogram has a bucket (${index}) beyond the merge target's range`);
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

/** A bucket of a log-scale latency distribution: values above the previous bound up to `leMs`. */
export interface LatencyBucketCount {
  leMs: number;
  count: number;
}

/**
 * The histogram's counts in log-spaced buckets (`perDecade` per factor of 10, bounds in ms),
 * from the bucket holding the lowest recorded value to the one holding the highest. One pass over
 * the histogram's buckets; empty for an empty histogram.
 */
export function logBuckets(histogram: Histogram, perDecade = 10): LatencyBucketCount[] {
  if (histogram.totalCount === 0) return [];
  const h = histogram as unknown as { getCountAtIndex?: (i: number) => number; valueFromIndex?: (i: number) => number; countsArrayIndex?: (v: number) => number };
  if (typeof h.getCountAtIndex !== "function" || typeof h.valueFromIndex !== "function" || typeof h.countsArrayIndex !== "function") {
    throw new Error("histogram implementation does not expose bucket counts");
  }
  const step = 1 / perDecade;
  const slot = (valueUs: number): number => Math.ceil(Math.log10(Math.max(1, valueUs) / 1000) / step - 1e-9);
  const counts = new Map<number, number>();
  const last = h.countsArrayIndex(histogram.maxValue);
  let lowest = Number.POSITIVE_INFINITY;
  let highest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= last; i++) {
    const count = h.getCountAtIndex(i);
    if (count === 0) continue;
    const k = slot(h.valueFromIndex(i));
    counts.set(k, (counts.get(k) ?? 0) + count);
    if (k < lowest) lowest = k;
    if (k > highest) highest = k;
  }
  const buckets: LatencyBucketCount[] = [];
  for (let k = lowest; k <= highest; k++) buckets.push({ leMs: Number((10 ** (k * step)).toPrecision(3)), count: counts.get(k) ?? 0 });
  return buckets;
}
