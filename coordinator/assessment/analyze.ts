/**
 * `assay analyze FILE`: the assessment from per-version data with no load. Accepts the analyze
 * format (docs/assessment.md) or a stored result document (re-assesses its samples).
 */
import { ErrorCode, ValidationError, canonicalMetricName, histogramFromBase64, percentileMs } from "../../core/index.js";
import type { MetricSample, SloResult, SloSpec } from "../../core/index.js";
import { assess } from "./assess.js";
import type { Assessment, AssessmentInput } from "./assess.js";
import { countPosterior, meanPosterior, ratePosterior } from "./posterior.js";

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(field: string, message: string, code: ErrorCode = ErrorCode.WrongType): ValidationError {
  return new ValidationError(code, `${field}: ${message}`, { field });
}

function stringList(raw: unknown, field: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((m) => typeof m !== "string" || m === "")) throw invalid(field, "expected a list of metric names");
  return (raw as string[]).map(canonicalMetricName);
}

function parseRewards(raw: unknown): { max: string[]; min: string[] } {
  if (raw === undefined) return { max: [], min: [] };
  if (!isRecord(raw)) throw invalid("rewards", "expected {max: [...], min: [...]}");
  for (const key of Object.keys(raw)) if (key !== "max" && key !== "min") throw invalid(`rewards.${key}`, "unknown key (expected max or min)", ErrorCode.UnknownKey);
  return { max: stringList(raw["max"], "rewards.max"), min: stringList(raw["min"], "rewards.min") };
}

function parseSloList(raw: unknown, field: string): SloSpec[] {
  if (raw === undefined) return [];
  if (isRecord(raw)) {
    return Object.entries(raw).map(([metric, limit]) => {
      if (typeof limit !== "number" || !Number.isFinite(limit)) throw invalid(`${field}.${metric}`, "the limit must be a finite number");
      return { metric: canonicalMetricName(metric), limit };
    });
  }
  if (!Array.isArray(raw)) throw invalid(field, "expected a list of {metric, limit} (or a mapping metric: limit)");
  return raw.map((entry, i) => {
    const where = `${field}[${i}]`;
    if (!isRecord(entry)) throw invalid(where, "expected {metric, limit}");
    const metric = entry["metric"];
    const limit = entry["limit"];
    if (typeof metric !== "string" || metric === "") throw invalid(`${where}.metric`, "expected a metric name", ErrorCode.MissingField);
    if (typeof limit !== "number" || !Number.isFinite(limit)) throw invalid(`${where}.limit`, "expected a finite number");
    return { metric: canonicalMetricName(metric), limit };
  });
}

function parseSlos(raw: unknown): { upper: SloSpec[]; lower: SloSpec[] } {
  if (raw === undefined) return { upper: [], lower: [] };
  if (!isRecord(raw)) throw invalid("slos", "expected {upper: [...], lower: [...]}");
  for (const key of Object.keys(raw)) if (key !== "upper" && key !== "lower") throw invalid(`slos.${key}`, "unknown key (expected upper or lower)", ErrorCode.UnknownKey);
  return { upper: parseSloList(raw["upper"], "slos.upper"), lower: parseSloList(raw["lower"], "slos.lower") };
}

const SAMPLE_KEYS: Record<MetricSample["type"], readonly string[]> = {
  rate: ["successes", "trials"],
  mean: ["count", "sum", "sumOfSquares"],
  count: ["events", "exposure"],
  histogram: ["histogram"],
};

function inferType(entry: Raw, field: string): MetricSample["type"] {
  const declared = entry["type"];
  const matches = (Object.keys(SAMPLE_KEYS) as MetricSample["type"][]).filter((t) => SAMPLE_KEYS[t].some((k) => k in entry));
  if (declared !== undefined) {
    if (typeof declared !== "string" || !(declared in SAMPLE_KEYS)) throw invalid(`${field}.type`, "expected rate, mean, count or histogram");
    return declared as MetricSample["type"];
  }
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length === 0) {
    throw invalid(field, "cannot tell the sample type: give successes+trials (rate), count+sum+sumOfSquares (mean), events+exposure (count) or a number", ErrorCode.MissingField);
  }
  throw invalid(field, `keys of more than one sample type (${matches.join(", ")})`, ErrorCode.Contradiction);
}

function numberField(entry: Raw, key: string, field: string): number {
  const value = entry[key];
  if (value === undefined) throw invalid(`${field}.${key}`, "required", ErrorCode.MissingField);
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(`${field}.${key}`, `expected a finite number, got ${JSON.stringify(value)}`);
  return value;
}

/** One metric of one version: a sample (and its point value) or a bare value. */
function parseMetric(raw: unknown, field: string): { sample: MetricSample | undefined; value: number | undefined } {
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) throw invalid(field, "expected a finite number");
    return { sample: undefined, value: raw };
  }
  if (!isRecord(raw)) throw invalid(field, "expected a number or a sample object");
  const type = inferType(raw, field);
  const allowed = [...SAMPLE_KEYS[type], "type", "value"];
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) throw invalid(`${field}.${key}`, `unknown key for a ${type} sample (expected ${allowed.join(", ")})`, ErrorCode.UnknownKey);
  const explicit = raw["value"] === undefined ? undefined : numberField(raw, "value", field);
  const check = (outcome: { ok: boolean; error?: string }): void => {
    if (!outcome.ok) throw invalid(field, outcome.error ?? "invalid sample", ErrorCode.OutOfRange);
  };
  switch (type) {
    case "rate": {
      const successes = numberField(raw, "successes", field);
      const trials = numberField(raw, "trials", field);
      check(ratePosterior(successes, trials, { alpha: 1, beta: 1 }));
      return { sample: { type, successes, trials }, value: explicit ?? successes / trials };
    }
    case "mean": {
      const count = numberField(raw, "count", field);
      const sum = numberField(raw, "sum", field);
      const sumOfSquares = numberField(raw, "sumOfSquares", field);
      check(meanPosterior(count, sum, sumOfSquares, null));
      return { sample: { type, count, sum, sumOfSquares }, value: explicit ?? sum / count };
    }
    case "count": {
      const events = numberField(raw, "events", field);
      const exposure = numberField(raw, "exposure", field);
      check(countPosterior(events, exposure, { shape: 1, rate: 0 }));
      return { sample: { type, events, exposure }, value: explicit ?? events / exposure };
    }
    case "histogram": {
      const histogram = raw["histogram"];
      if (typeof histogram !== "string") throw invalid(`${field}.histogram`, "expected base64 text (HdrHistogram, µs)");
      return { sample: { type, histogram }, value: explicit };
    }
  }
}

const PERCENTILE = /[-/]p(\d+(?:\.\d+)?)$/;

function percentileValue(metric: string, sample: MetricSample | undefined, field: string): number | undefined {
  const m = PERCENTILE.exec(metric);
  if (m === null || sample?.type !== "histogram" || sample.histogram === "") return undefined;
  try {
    const h = histogramFromBase64(sample.histogram);
    const value = percentileMs(h, Number(m[1]));
    h.destroy();
    return value;
  } catch (err) {
    throw new ValidationError(ErrorCode.WrongType, `${field}.histogram: not a valid HdrHistogram encoding`, { field: `${field}.histogram`, cause: err });
  }
}

function fromAnalyzeFormat(doc: Raw): AssessmentInput {
  const allowed = ["versions", "rewards", "slos", "baseline", "confidence", "options"];
  for (const key of Object.keys(doc)) if (!allowed.includes(key)) throw invalid(key, `unknown key (expected one of ${allowed.join(", ")})`, ErrorCode.UnknownKey);
  const rawVersions = doc["versions"];
  if (!isRecord(rawVersions) || Object.keys(rawVersions).length === 0) {
    throw invalid("versions", "expected a mapping of version name to its metrics, with at least one version", ErrorCode.MissingField);
  }
  const versions = Object.keys(rawVersions);
  const samples: Record<string, Record<string, MetricSample>> = {};
  const values: Record<string, Record<string, number>> = {};
  for (const version of versions) {
    const metrics = rawVersions[version];
    if (!isRecord(metrics)) throw invalid(`versions.${version}`, "expected a mapping of metric name to data");
    const s: Record<string, MetricSample> = {};
    const v: Record<string, number> = {};
    for (const [written, raw] of Object.entries(metrics)) {
      const field = `versions.${version}.${written}`;
      const metric = canonicalMetricName(written);
      const parsed = parseMetric(raw, field);
      if (parsed.sample !== undefined) s[metric] = parsed.sample;
      const value = parsed.value ?? percentileValue(metric, parsed.sample, field);
      if (value !== undefined) v[metric] = value;
    }
    samples[version] = s;
    values[version] = v;
  }
  const rewards = parseRewards(doc["rewards"]);
  const slos = parseSlos(doc["slos"]);
  const declared = new Set(versions.flatMap((v) => Object.keys(rawVersions[v] as Raw).map(canonicalMetricName)));
  for (const metric of [...rewards.max, ...rewards.min]) {
    if (!declared.has(metric)) throw invalid("rewards", `${metric} is not given for any version`, ErrorCode.MissingField);
  }
  const baseline = doc["baseline"];
  if (baseline !== undefined && (typeof baseline !== "string" || !versions.includes(baseline))) {
    throw invalid("baseline", `expected one of the versions (${versions.join(", ")}), got ${JSON.stringify(baseline)}`, ErrorCode.OutOfRange);
  }
  const confidence = doc["confidence"];
  if (confidence !== undefined && (typeof confidence !== "number" || !(confidence > 0 && confidence < 1))) {
    throw invalid("confidence", `expected a number between 0 and 1 exclusive, got ${JSON.stringify(confidence)}`, ErrorCode.OutOfRange);
  }
  const options = doc["options"];
  if (options !== undefined && !isRecord(options)) throw invalid("options", "expected a mapping");
  return {
    versions,
    baseline,
    rewards,
    slos,
    samples,
    values,
    confidence,
    options,
  };
}

/** A stored result document: its samples, values and SLOs, with the rewards of its assessment. */
function fromResultDocument(doc: Raw): AssessmentInput {
  const versions = doc["versions"];
  if (!Array.isArray(versions) || versions.some((v) => typeof v !== "string")) throw invalid("versions", "expected a list of version names");
  const previous = isRecord(doc["assessment"]) ? doc["assessment"] : {};
  const rewards = { max: [] as string[], min: [] as string[] };
  const previousRewards = previous["rewards"];
  if (isRecord(previousRewards)) {
    for (const [metric, r] of Object.entries(previousRewards)) {
      if (isRecord(r) && (r["direction"] === "max" || r["direction"] === "min")) rewards[r["direction"]].push(metric);
    }
  }
  const slos = { upper: [] as SloSpec[], lower: [] as SloSpec[] };
  const sloResults = Array.isArray(doc["slos"]) ? (doc["slos"] as SloResult[]) : [];
  for (const s of sloResults) if (isRecord(s) && (s.direction === "upper" || s.direction === "lower")) slos[s.direction].push({ metric: s.metric, limit: s.limit });
  return {
    versions: versions as string[],
    baseline: typeof previous["baseline"] === "string" ? previous["baseline"] : undefined,
    rewards,
    slos,
    samples: (isRecord(doc["samples"]) ? doc["samples"] : {}) as AssessmentInput["samples"],
    values: (isRecord(doc["metrics"]) ? doc["metrics"] : {}) as AssessmentInput["values"],
    sloResults,
    metricErrors: (isRecord(doc["metricErrors"]) ? doc["metricErrors"] : undefined) as AssessmentInput["metricErrors"],
    confidence: typeof previous["confidence"] === "number" ? previous["confidence"] : undefined,
    options: { seed: typeof previous["seed"] === "number" ? previous["seed"] : 1 },
  };
}

/**
 * Parses an analyze document (or a result document) and assesses it. Throws a ValidationError
 * naming the offending field (e.g. `versions.b.conversion: trials must be > 0 (got 0)`).
 */
export function analyzeDocument(json: unknown): Assessment {
  if (!isRecord(json)) throw invalid("(document)", "expected a JSON object");
  const input = Array.isArray(json["versions"]) && "schemaVersion" in json ? fromResultDocument(json) : fromAnalyzeFormat(json);
  return assess(input);
}
