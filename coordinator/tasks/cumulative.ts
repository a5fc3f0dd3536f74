/**
 * Sample statistics added up over loops (`assess: with: scope: cumulative`): a rate's successes and
 * trials, a mean's count, sum and sum of squares, a count's events and exposure, a latency
 * histogram bucket by bucket. Conjugate posteriors from the sums are the posteriors after all the
 * loops' data, so the assessment accumulates evidence instead of starting afresh each loop.
 */
import { addEncoded, createHistogram, histogramFromBase64, histogramToBase64, percentileMs } from "../../core/index.js";
import type { MetricSample } from "../../core/index.js";

/** version -> metric -> sample (the shape of `result.samples`). */
export type SampleMap = Record<string, Record<string, MetricSample>>;

const PERCENTILE = /[-/]p(\d+(?:\.\d+)?)$/;

/** `earlier` plus `latest`, as a new map (neither input changes). */
export function addSampleMaps(earlier: Readonly<SampleMap>, latest: Readonly<SampleMap>): SampleMap {
  const out: SampleMap = {};
  for (const [version, metrics] of Object.entries(earlier)) out[version] = { ...metrics };
  for (const [version, metrics] of Object.entries(latest)) {
    const into = (out[version] ??= {});
    for (const [metric, sample] of Object.entries(metrics)) {
      const before = into[metric];
      into[metric] = before === undefined ? sample : addSamples(before, sample);
    }
  }
  return out;
}

/** The sum of two samples of one metric; a metric whose sample type changed keeps the newer one. */
export function addSamples(a: MetricSample, b: MetricSample): MetricSample {
  if (a.type === "rate" && b.type === "rate") return { type: "rate", successes: a.successes + b.successes, trials: a.trials + b.trials };
  if (a.type === "mean" && b.type === "mean") return { type: "mean", count: a.count + b.count, sum: a.sum + b.sum, sumOfSquares: a.sumOfSquares + b.sumOfSquares };
  if (a.type === "count" && b.type === "count") return { type: "count", events: a.events + b.events, exposure: a.exposure + b.exposure };
  if (a.type === "histogram" && b.type === "histogram") {
    const merged = createHistogram();
    for (const text of [a.histogram, b.histogram]) if (text !== "") addEncoded(merged, Buffer.from(text, "base64"));
    return { type: "histogram", histogram: histogramToBase64(merged) };
  }
  return b;
}

/**
 * The point value a sample stands for under `metric`'s name (a rate's proportion, a mean, a count
 * per exposure, a histogram's percentile named by `-pNN`); undefined when it stands for none.
 */
export function valueOfSample(metric: string, sample: MetricSample): number | undefined {
  switch (sample.type) {
    case "rate":
      return sample.trials > 0 ? sample.successes / sample.trials : undefined;
    case "mean":
      return sample.count > 0 ? sample.sum / sample.count : undefined;
    case "count":
      return sample.exposure > 0 ? sample.events / sample.exposure : undefined;
    case "histogram": {
      const match = PERCENTILE.exec(metric);
      return match?.[1] === undefined ? undefined : percentileMs(histogramFromBase64(sample.histogram), Number(match[1]));
    }
  }
}

/** `values` with every metric that has a sample replaced by the sample's value. */
export function valuesFromSamples(
  values: Readonly<Record<string, Readonly<Record<string, number>>>>,
  samples: Readonly<SampleMap>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [version, metrics] of Object.entries(values)) out[version] = { ...metrics };
  for (const [version, metrics] of Object.entries(samples)) {
    const into = (out[version] ??= {});
    for (const [metric, sample] of Object.entries(metrics)) {
      const value = valueOfSample(metric, sample);
      if (value !== undefined && Number.isFinite(value)) into[metric] = value;
    }
  }
  return out;
}
