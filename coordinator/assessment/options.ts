/**
 * Assessment options: the raw form (from `assess.with.options` or an analyze file) is validated
 * and merged with the defaults once, here.
 */
import { ErrorCode, ValidationError } from "../../core/index.js";
import { DEFAULT_PRIORS } from "./posterior.js";
import type { BetaPrior, GammaPrior, MeanPrior, Priors } from "./posterior.js";

/**
 * A mean's prior as written: "jeffreys" (the default; "flat" and null are accepted for it), a NIG
 * `{mean, kappa, alpha, beta}`, or the `{mean, sd}` special case.
 */
export type MeanPriorOption = MeanPrior | "flat" | null;

/** Priors by sample type; `metrics` overrides them for single metrics. */
export interface PriorOptions {
  readonly rate?: BetaPrior;
  readonly count?: GammaPrior;
  readonly mean?: MeanPriorOption;
  readonly metrics?: Readonly<Record<string, { readonly rate?: BetaPrior; readonly count?: GammaPrior; readonly mean?: MeanPriorOption }>>;
}

export interface AssessmentOptions {
  readonly priors?: PriorOptions;
  /** Least weight of each version in the recommended split (integer percent). Default 5. */
  readonly floor?: number;
  /** Weight of versions that fail an SLO or lack reward data: "floor" (default) or "zero". */
  readonly failingWeight?: "floor" | "zero";
  /** Cap on the increase of one version's weight per step (percent points); needs currentWeights. */
  readonly maxIncrease?: number;
  /** Weights now in force, version -> percent (sum 100). */
  readonly currentWeights?: Readonly<Record<string, number>>;
  /** Seed of the Monte Carlo fallback. Default 1. */
  readonly seed?: number;
  /** Monte Carlo draws of the P(best) fallback (standard error ≤ 0.5/√draws). Default 1,000,000. */
  readonly draws?: number;
  /** Accepted for compatibility and ignored: lift intervals are computed exactly. */
  readonly liftDraws?: number;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  readonly priors: Priors;
  readonly metricPriors: Readonly<Record<string, Partial<Priors>>>;
  readonly floor: number;
  readonly failingWeight: "floor" | "zero";
  readonly maxIncrease: number | undefined;
  readonly currentWeights: Readonly<Record<string, number>> | undefined;
  readonly seed: number;
  readonly draws: number;
}

export const DEFAULT_SEED = 1;
/** 10⁶ draws: a Monte Carlo P(best) within 0.002 of exact at four standard errors. */
export const DEFAULT_DRAWS = 1_000_000;
export const MAX_DRAWS = 10_000_000;
export const DEFAULT_FLOOR = 5;

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value as the user wrote it; non-finite numbers by name (JSON.stringify would say "null"). */
export function describeValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}

function wrongType(field: string, expected: string, value: unknown): ValidationError {
  return new ValidationError(ErrorCode.WrongType, `${field}: expected ${expected}, got ${describeValue(value)}`, { field });
}

function outOfRange(field: string, message: string): ValidationError {
  return new ValidationError(ErrorCode.OutOfRange, `${field}: ${message}`, { field });
}

function num(raw: Raw, key: string, field: string): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new ValidationError(ErrorCode.OutOfRange, `${field}.${key}: not a finite number (got ${String(value)})`, { field: `${field}.${key}` });
  }
  if (typeof value !== "number") throw wrongType(`${field}.${key}`, "a finite number", value);
  return value;
}

function checkKeys(raw: Raw, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(ErrorCode.UnknownKey, `${field}.${key}: unknown key (expected one of ${allowed.join(", ")})`, { field: `${field}.${key}` });
    }
  }
}

function positive(raw: Raw, key: string, field: string, allowZero = false): number {
  const value = num(raw, key, field);
  if (value === undefined) throw new ValidationError(ErrorCode.MissingField, `${field}.${key}: required`, { field: `${field}.${key}` });
  if (allowZero ? value < 0 : value <= 0) throw outOfRange(`${field}.${key}`, `must be ${allowZero ? "≥ 0" : "> 0"} (got ${value})`);
  return value;
}

function betaPrior(raw: unknown, field: string): BetaPrior {
  if (!isRecord(raw)) throw wrongType(field, "{alpha, beta}", raw);
  checkKeys(raw, ["alpha", "beta"], field);
  return { alpha: positive(raw, "alpha", field), beta: positive(raw, "beta", field) };
}

function gammaPrior(raw: unknown, field: string): GammaPrior {
  if (!isRecord(raw)) throw wrongType(field, "{shape, rate}", raw);
  checkKeys(raw, ["shape", "rate"], field);
  return { shape: positive(raw, "shape", field), rate: positive(raw, "rate", field, true) };
}

function meanPrior(raw: unknown, field: string): MeanPrior {
  if (raw === null || raw === "flat" || raw === "jeffreys") return "jeffreys";
  if (!isRecord(raw)) throw wrongType(field, `"jeffreys", {mean, kappa, alpha, beta} (Normal-Inverse-Gamma) or {mean, sd}`, raw);
  const mean = num(raw, "mean", field);
  if (mean === undefined) throw new ValidationError(ErrorCode.MissingField, `${field}.mean: required`, { field: `${field}.mean` });
  if ("sd" in raw) {
    checkKeys(raw, ["mean", "sd"], field);
    return { mean, sd: positive(raw, "sd", field) };
  }
  checkKeys(raw, ["mean", "kappa", "alpha", "beta"], field);
  return { mean, kappa: positive(raw, "kappa", field, true), alpha: positive(raw, "alpha", field), beta: positive(raw, "beta", field) };
}

function priorSet(raw: Raw, field: string): Partial<Priors> {
  const out: { rate?: BetaPrior; count?: GammaPrior; mean?: MeanPrior } = {};
  if (raw["rate"] !== undefined) out.rate = betaPrior(raw["rate"], `${field}.rate`);
  if (raw["count"] !== undefined) out.count = gammaPrior(raw["count"], `${field}.count`);
  if (raw["mean"] !== undefined) out.mean = meanPrior(raw["mean"], `${field}.mean`);
  return out;
}

/**
 * Validates raw options (YAML/JSON shapes as in AssessmentOptions) and applies the defaults.
 * Throws a ValidationError naming the field (`field` is the prefix, e.g. `spec[2].with.options`).
 */
export function resolveOptions(raw: unknown, field = "options"): ResolvedOptions {
  if (raw === undefined || raw === null) raw = {};
  if (!isRecord(raw)) throw wrongType(field, "a mapping", raw);
  checkKeys(raw, ["priors", "floor", "failingWeight", "maxIncrease", "currentWeights", "seed", "draws", "liftDraws"], field);
  let priors: Priors = DEFAULT_PRIORS;
  const metricPriors: Record<string, Partial<Priors>> = {};
  const rawPriors = raw["priors"];
  if (rawPriors !== undefined) {
    if (!isRecord(rawPriors)) throw wrongType(`${field}.priors`, "a mapping", rawPriors);
    checkKeys(rawPriors, ["rate", "count", "mean", "metrics"], `${field}.priors`);
    priors = { ...DEFAULT_PRIORS, ...priorSet(rawPriors, `${field}.priors`) };
    const rawMetrics = rawPriors["metrics"];
    if (rawMetrics !== undefined) {
      if (!isRecord(rawMetrics)) throw wrongType(`${field}.priors.metrics`, "a mapping of metric name to priors", rawMetrics);
      for (const [metric, set] of Object.entries(rawMetrics)) {
        const where = `${field}.priors.metrics.${metric}`;
        if (!isRecord(set)) throw wrongType(where, "a mapping", set);
        checkKeys(set, ["rate", "count", "mean"], where);
        metricPriors[metric] = priorSet(set, where);
      }
    }
  }
  const floor = num(raw, "floor", field) ?? DEFAULT_FLOOR;
  if (!Number.isInteger(floor) || floor < 0 || floor > 100) throw outOfRange(`${field}.floor`, `must be an integer from 0 to 100 (got ${floor})`);
  const failingWeight = raw["failingWeight"] ?? "floor";
  if (failingWeight !== "floor" && failingWeight !== "zero") throw wrongType(`${field}.failingWeight`, `"floor" or "zero"`, failingWeight);
  const maxIncrease = num(raw, "maxIncrease", field);
  if (maxIncrease !== undefined && (!Number.isInteger(maxIncrease) || maxIncrease < 0 || maxIncrease > 100)) {
    throw outOfRange(`${field}.maxIncrease`, `must be an integer from 0 to 100 (got ${maxIncrease})`);
  }
  let currentWeights: Record<string, number> | undefined;
  const rawWeights = raw["currentWeights"];
  if (rawWeights !== undefined) {
    if (!isRecord(rawWeights)) throw wrongType(`${field}.currentWeights`, "a mapping of version to weight", rawWeights);
    currentWeights = {};
    let total = 0;
    for (const [version, weight] of Object.entries(rawWeights)) {
      if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0) {
        throw outOfRange(`${field}.currentWeights.${version}`, `must be an integer ≥ 0 (got ${String(weight)})`);
      }
      currentWeights[version] = weight;
      total += weight;
    }
    if (total !== 100) throw outOfRange(`${field}.currentWeights`, `weights must sum to 100 (got ${total})`);
  }
  if (maxIncrease !== undefined && currentWeights === undefined) {
    throw new ValidationError(ErrorCode.Contradiction, `${field}.maxIncrease: needs ${field}.currentWeights (the weights now in force)`, { field: `${field}.maxIncrease` });
  }
  const seed = num(raw, "seed", field) ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw outOfRange(`${field}.seed`, `must be an integer from 0 to 4294967295 (got ${seed})`);
  const draws = num(raw, "draws", field) ?? DEFAULT_DRAWS;
  if (!Number.isInteger(draws) || draws < 100 || draws > MAX_DRAWS) throw outOfRange(`${field}.draws`, `must be an integer from 100 to ${MAX_DRAWS} (got ${draws})`);
  const liftDraws = num(raw, "liftDraws", field);
  if (liftDraws !== undefined && (!Number.isInteger(liftDraws) || liftDraws < 100)) throw outOfRange(`${field}.liftDraws`, `must be an integer ≥ 100 (got ${liftDraws}; it has no effect: lift intervals are exact)`);
  return { priors, metricPriors, floor, failingWeight, maxIncrease, currentWeights, seed, draws };
}
