/**
 * `assay analyze FILE`: the assessment from per-version data with no load. Accepts the analyze
 * format (docs/assessment.md) or a stored result document (re-assesses its samples).
 */
import { ErrorCode, ValidationError, canonicalMetricName, histogramFromBase64, percentileMs } from "../../core/index.js";
import type { MetricSample, SloResult, SloSpec } from "../../core/index.js";
import { assess } from "./assess.js";
import type { Assessment, AssessmentInput } from "./assess.js";
import { describeValue } from "./options.js";
import { centredSumOfSquares } from "./posterior.js";

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
  if (typeof value === "number" && !Number.isFinite(value)) {
    const overflow = Number.isNaN(value) ? "" : " (a JSON number too large for double precision, such as 1e999, reads as Infinity)";
    throw invalid(`${field}.${key}`, `not a finite number: got ${String(value)}${overflow}`, ErrorCode.OutOfRange);
  }
  if (typeof value !== "number") throw invalid(`${field}.${key}`, `expected a finite number, got ${describeValue(value)}`);
  return value;
}

function nonNegative(entry: Raw, key: string, field: string): number {
  const value = numberField(entry, key, field);
  if (value < 0) throw invalid(`${field}.${key}`, `must be ≥ 0 (got ${value})`, ErrorCode.OutOfRange);
  return value;
}

/** A count typed by a person: a whole number ≥ 0 (a fractional count is a mistake, not data). */
function wholeField(entry: Raw, key: string, field: string): number {
  const value = nonNegative(entry, key, field);
  if (!Number.isInteger(value)) throw invalid(`${field}.${key}`, `must be a whole number (got ${value})`, ErrorCode.OutOfRange);
  return value;
}

/**
 * One metric of one version: a sample (and its point value) or a bare value. Impossible input
 * (negative or fractional counts, more successes than trials, a negative variance) is a
 * ValidationError naming the field; data without information (zero trials, fewer than two
 * observations, zero variance, zero exposure) passes and becomes that version's error in `errors`.
 */
function parseMetric(raw: unknown, field: string): { sample: MetricSample | undefined; value: number | undefined } {
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) throw invalid(field, `not a finite number: got ${String(raw)}`, ErrorCode.OutOfRange);
    return { sample: undefined, value: raw };
  }
  if (!isRecord(raw)) throw invalid(field, "expected a number or a sample object");
  const type = inferType(raw, field);
  const allowed = [...SAMPLE_KEYS[type], "type", "value"];
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) throw invalid(`${field}.${key}`, `unknown key for a ${type} sample (expected ${allowed.join(", ")})`, ErrorCode.UnknownKey);
  const explicit = raw["value"] === undefined ? undefined : numberField(raw, "value", field);
  const ratio = (num: number, den: number): number | undefined => explicit ?? (den > 0 ? num / den : undefined);
  switch (type) {
    case "rate": {
      const successes = wholeField(raw, "successes", field);
      const trials = wholeField(raw, "trials", field);
      if (successes > trials) throw invalid(field, `successes must be between 0 and trials (got ${successes} of ${trials})`, ErrorCode.OutOfRange);
      return { sample: { type, successes, trials }, value: ratio(successes, trials) };
    }
    case "mean": {
      const count = wholeField(raw, "count", field);
      const sum = numberField(raw, "sum", field);
      const sumOfSquares = nonNegative(raw, "sumOfSquares", field);
      if (count > 0) {
        const centred = centredSumOfSquares(count, sum, sumOfSquares);
        if (!centred.ok) throw invalid(field, centred.error, ErrorCode.OutOfRange);
      } else if (sum !== 0 || sumOfSquares !== 0) throw invalid(field, `count is 0 but sum or sumOfSquares is not`, ErrorCode.Contradiction);
      return { sample: { type, count, sum, sumOfSquares }, value: ratio(sum, count) };
    }
    case "count": {
      const events = wholeField(raw, "events", field);
      const exposure = nonNegative(raw, "exposure", field);
      if (exposure === 0 && events > 0) throw invalid(field, `${events} events with exposure 0`, ErrorCode.Contradiction);
      return { sample: { type, events, exposure }, value: ratio(events, exposure) };
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

/**
 * The rewards of a stored assessment in their original order: `rewardOrder` (schemaVersion 2);
 * for schemaVersion 1, which kept only the `rewards` map, the stored `decidingReward` first (it
 * decides the winner and the split), then the others in the map's order.
 */
function storedRewards(previous: Raw): { max: string[]; min: string[] } {
  const directions = new Map<string, "max" | "min">();
  const stored = previous["rewards"];
  if (isRecord(stored)) {
    for (const [metric, r] of Object.entries(stored)) {
      if (isRecord(r) && (r["direction"] === "max" || r["direction"] === "min")) directions.set(metric, r["direction"]);
    }
  }
  const listed = Array.isArray(previous["rewardOrder"]) ? previous["rewardOrder"].filter((m): m is string => typeof m === "string" && directions.has(m)) : [];
  const deciding = previous["decidingReward"];
  const order = listed.length > 0 ? listed : [...directions.keys()].sort((a, b) => Number(b === deciding) - Number(a === deciding));
  const rewards = { max: [] as string[], min: [] as string[] };
  for (const metric of order) rewards[directions.get(metric) ?? "max"].push(metric);
  return rewards;
}

/**
 * The options a stored assessment ran with (priors, split settings, seed, draws), as raw options.
 * A schemaVersion 1 document's `draws` (then 10,000 by default) is not reused: it would fall short
 * of today's precision for the Monte Carlo fallback.
 */
function storedOptions(previous: Raw, schemaVersion: number): Raw {
  const options: Raw = { seed: typeof previous["seed"] === "number" ? previous["seed"] : 1 };
  if (typeof previous["draws"] === "number" && schemaVersion >= 2) options["draws"] = previous["draws"];
  const priors = previous["priors"];
  if (isRecord(priors) && isRecord(priors["default"])) {
    options["priors"] = { ...priors["default"], ...(isRecord(priors["metrics"]) ? { metrics: priors["metrics"] } : {}) };
  }
  const split = previous["split"];
  if (isRecord(split)) {
    for (const key of ["floor", "failingWeight", "maxIncrease", "currentWeights"]) {
      if (split[key] !== undefined && split[key] !== null) options[key] = split[key];
    }
  }
  return options;
}

/**
 * A stored result document: its samples, values and SLOs, re-assessed with the rewards (in their
 * order), baseline, confidence, priors, split settings and seed of its previous assessment.
 */
function fromResultDocument(doc: Raw): AssessmentInput {
  const versions = doc["versions"];
  if (!Array.isArray(versions) || versions.some((v) => typeof v !== "string")) throw invalid("versions", "expected a list of version names");
  const previous = isRecord(doc["assessment"]) ? doc["assessment"] : {};
  const slos = { upper: [] as SloSpec[], lower: [] as SloSpec[] };
  const sloResults = Array.isArray(doc["slos"]) ? (doc["slos"] as SloResult[]) : [];
  for (const s of sloResults) if (isRecord(s) && (s.direction === "upper" || s.direction === "lower")) slos[s.direction].push({ metric: s.metric, limit: s.limit });
  return {
    versions: versions as string[],
    baseline: typeof previous["baseline"] === "string" ? previous["baseline"] : undefined,
    rewards: storedRewards(previous),
    slos,
    samples: (isRecord(doc["samples"]) ? doc["samples"] : {}) as AssessmentInput["samples"],
    values: (isRecord(doc["metrics"]) ? doc["metrics"] : {}) as AssessmentInput["values"],
    sloResults,
    metricErrors: (isRecord(doc["metricErrors"]) ? doc["metricErrors"] : undefined) as AssessmentInput["metricErrors"],
    confidence: typeof previous["confidence"] === "number" ? previous["confidence"] : undefined,
    options: storedOptions(previous, typeof doc["schemaVersion"] === "number" ? doc["schemaVersion"] : 1),
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
