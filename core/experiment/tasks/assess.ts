/**
 * The `assess` task's `with:` — SLOs in every Iter8 form, Assay's rewards, and the assessment's
 * options (priors, split settings, Monte Carlo fallback), validated here so that a bad option is
 * reported with its line before anything runs. docs/assessment.md describes each option.
 */
import { ErrorCode } from "../../errors.js";
import type { NumberRange, ParseContext } from "../fields.js";
import { Fields, checkNumber, checkString, defineOwn } from "../fields.js";
import { canonicalMetricName } from "../metric-names.js";
import { TaskName } from "../model.js";
import type { AssessTaskSpec, SloSpec } from "../model.js";
import { childPath, describeNode } from "../problems.js";
import type { Anchor } from "../problems.js";
import type { TreeNode } from "../tree.js";

const ASSESS_FIELDS = [
  "SLOs",
  "criteria",
  "rewards",
  "baseline",
  "confidence",
  "priors",
  "floor",
  "failingWeight",
  "maxIncrease",
  "currentWeights",
  "seed",
  "draws",
  "samples",
  "scope",
] as const;
const CRITERIA_FIELDS = ["SLOs", "rewards"] as const;
const METRIC_NAME = /^[^\s/]+\/\S+$/;

/** Assay's default posterior confidence for a winner. */
export const DEFAULT_CONFIDENCE = 0.95;

interface Slos {
  upper: SloSpec[];
  lower: SloSpec[];
}

/**
 * Validates the `with:` of an `assess` task: SLOs in all of Iter8's forms, and Assay's rewards.
 * Metric names are stored in canonical form (metric-names.ts) and recorded in ctx.metricRefs for
 * the checks against the experiment's load tasks.
 */
export function parseAssessTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): AssessTaskSpec | undefined {
  const f = Fields.of(ctx, withNode, path, ASSESS_FIELDS, what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;

  const slos: Slos = { upper: [], lower: [] };
  const rewards = { max: [] as string[], min: [] as string[] };
  if (f.has("SLOs") && f.has("criteria")) f.contradiction("SLOs", "criteria", "write SLOs either directly or inside criteria (Iter8 v0.8), not both");
  if (f.has("rewards") && f.has("criteria")) {
    const criteria = f.present("criteria");
    if (criteria?.kind === "map" && criteria.entries.some((e) => e.key.toLowerCase() === "rewards")) {
      f.contradiction("criteria", "rewards", "write rewards either directly or inside criteria, not both");
    }
  }
  const slosNode = f.present("SLOs");
  if (slosNode !== undefined) parseSlos(ctx, slosNode, f.pathOf("SLOs"), slos);
  const rewardsNode = f.present("rewards");
  if (rewardsNode !== undefined) parseRewards(ctx, rewardsNode, f.pathOf("rewards"), rewards);
  const criteriaNode = f.present("criteria");
  if (criteriaNode !== undefined) {
    const criteria = Fields.of(ctx, criteriaNode, f.pathOf("criteria"), CRITERIA_FIELDS, "criteria");
    const criteriaSlos = criteria?.present("SLOs");
    if (criteria && criteriaSlos) parseSlos(ctx, criteriaSlos, criteria.pathOf("SLOs"), slos);
    const criteriaRewards = criteria?.present("rewards");
    if (criteria && criteriaRewards) parseRewards(ctx, criteriaRewards, criteria.pathOf("rewards"), rewards);
  }

  const baseline = f.string("baseline");
  const confidence = f.number("confidence", { min: 0, minExclusive: true, max: 1, maxExclusive: true }) ?? DEFAULT_CONFIDENCE;
  const options = parseOptions(ctx, f);
  const scope = f.oneOf("scope", ["loop", "cumulative"]) ?? "loop";

  if (ctx.problems.count > before) return undefined;
  return { task: TaskName.Assess, slos, rewards, baseline, confidence, options, scope };
}

const POSITIVE: NumberRange = { min: 0, minExclusive: true };
const NON_NEGATIVE: NumberRange = { min: 0 };

/**
 * The assessment options written directly under `with:` (plain values for the assessment's own
 * validation, which applies the defaults). `samples` is an older name of `draws`.
 */
function parseOptions(ctx: ParseContext, f: Fields): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const priorsNode = f.present("priors");
  if (priorsNode !== undefined) {
    const priors = parsePriors(ctx, priorsNode, f.pathOf("priors"));
    if (priors !== undefined) options["priors"] = priors;
  }
  const numbers = [
    ["floor", { integer: true, min: 0, max: 100 }],
    ["maxIncrease", { integer: true, min: 0, max: 100 }],
    ["seed", { integer: true, min: 0, max: 0xffffffff }],
    ["draws", { integer: true, min: 100, max: 10_000_000 }],
    ["samples", { integer: true, min: 100, max: 10_000_000 }],
  ] as const;
  for (const [key, range] of numbers) {
    const value = f.number(key, range);
    if (value !== undefined) options[key === "samples" ? "draws" : key] = value;
  }
  if (f.has("draws") && f.has("samples")) f.contradiction("draws", "samples", "samples is an older name of draws: write one of them");
  const failingWeight = f.oneOf("failingWeight", ["floor", "zero"]);
  if (failingWeight !== undefined) options["failingWeight"] = failingWeight;
  const weightsNode = f.map("currentWeights", "a map of version to weight (percent, summing to 100)");
  if (weightsNode !== undefined) {
    const weights: Record<string, number> = {};
    let total = 0;
    for (const { key, value } of weightsNode.entries) {
      const weight = checkNumber(ctx, value, `${f.pathOf("currentWeights")}.${key}`, { integer: true, min: 0, max: 100 });
      if (weight === undefined) continue;
      defineOwn(weights, key, weight);
      total += weight;
    }
    if (total !== 100) ctx.problems.report(ErrorCode.OutOfRange, weightsNode, f.pathOf("currentWeights"), `the weights must sum to 100 (got ${total})`);
    options["currentWeights"] = weights;
  }
  if (f.has("maxIncrease") && !f.has("currentWeights")) f.missing("currentWeights", "maxIncrease caps each step relative to currentWeights (the weights now in force): give them");
  return options;
}

/** `priors: {rate, count, mean, metrics: {<metric>: {rate, count, mean}}}` as plain values. */
function parsePriors(ctx: ParseContext, node: TreeNode, path: string): Record<string, unknown> | undefined {
  const f = Fields.of(ctx, node, path, ["rate", "count", "mean", "metrics"], "priors");
  if (f === undefined) return undefined;
  const out = priorSet(ctx, f);
  const metrics = f.map("metrics", "a map of metric name to its priors");
  if (metrics !== undefined) {
    const byMetric: Record<string, unknown> = {};
    for (const { key, value } of metrics.entries) {
      const set = Fields.of(ctx, value, childPath(f.pathOf("metrics"), key), ["rate", "count", "mean"], `the priors of ${key}`);
      if (set !== undefined) defineOwn(byMetric, canonicalMetricName(key), priorSet(ctx, set));
    }
    out["metrics"] = byMetric;
  }
  return out;
}

function priorSet(ctx: ParseContext, f: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = (g: Fields, key: string, range: NumberRange): number | undefined => g.number(key, range, { required: true });
  const rate = f.present("rate");
  if (rate !== undefined) {
    const g = Fields.of(ctx, rate, f.pathOf("rate"), ["alpha", "beta"], "a Beta prior");
    if (g !== undefined) out["rate"] = { alpha: required(g, "alpha", POSITIVE), beta: required(g, "beta", POSITIVE) };
  }
  const count = f.present("count");
  if (count !== undefined) {
    const g = Fields.of(ctx, count, f.pathOf("count"), ["shape", "rate"], "a Gamma prior");
    if (g !== undefined) out["count"] = { shape: required(g, "shape", POSITIVE), rate: required(g, "rate", NON_NEGATIVE) };
  }
  const mean = f.get("mean");
  if (mean !== undefined) out["mean"] = meanPrior(ctx, mean, f.pathOf("mean"));
  return out;
}

/** "jeffreys" (also "flat" or empty), {mean, sd}, or the Normal-Inverse-Gamma {mean, kappa, alpha, beta}. */
function meanPrior(ctx: ParseContext, node: TreeNode, path: string): unknown {
  if (node.kind === "scalar" && (node.value === null || node.value === "jeffreys" || node.value === "flat")) return "jeffreys";
  if (node.kind !== "map") {
    ctx.problems.report(ErrorCode.WrongType, node, path, `expected "jeffreys", {mean, kappa, alpha, beta} (Normal-Inverse-Gamma) or {mean, sd}, got ${describeNode(node)}`);
    return undefined;
  }
  const special = node.entries.some((e) => e.key === "sd");
  const g = Fields.of(ctx, node, path, special ? ["mean", "sd"] : ["mean", "kappa", "alpha", "beta"], "a mean's prior");
  if (g === undefined) return undefined;
  const mean = g.number("mean", {}, { required: true });
  if (special) return { mean, sd: g.number("sd", POSITIVE, { required: true }) };
  return { mean, kappa: g.number("kappa", NON_NEGATIVE, { required: true }), alpha: g.number("alpha", POSITIVE, { required: true }), beta: g.number("beta", POSITIVE, { required: true }) };
}

function checkMetric(ctx: ParseContext, node: TreeNode, field: string): string | undefined {
  const name = checkString(ctx, node, field);
  if (name === undefined) return undefined;
  return metricName(ctx, name, node, field);
}

/** The canonical name of a written metric, recorded in ctx.metricRefs; undefined (reported) if malformed. */
function metricName(ctx: ParseContext, written: string, at: Anchor, field: string): string | undefined {
  if (!METRIC_NAME.test(written)) {
    ctx.problems.report(ErrorCode.OutOfRange, at, field, `expected a metric name like "http/latency-p95" or "prom/cpu", got ${JSON.stringify(written)}`);
    return undefined;
  }
  const metric = canonicalMetricName(written);
  ctx.metricRefs.push({ metric, written, field, anchor: at });
  return metric;
}

/** `{upper: [...], lower: [...]}` (list or map form), or Iter8 v0.9's `[{metric, upperLimit, lowerLimit}]`. */
function parseSlos(ctx: ParseContext, node: TreeNode, path: string, into: Slos): void {
  if (node.kind === "seq") {
    node.items.forEach((item, i) => {
      const slo = Fields.of(ctx, item, childPath(path, i), ["metric", "upperLimit", "lowerLimit"], "an SLO");
      if (slo === undefined) return;
      const metricNode = slo.present("metric");
      const metric = metricNode === undefined ? undefined : checkMetric(ctx, metricNode, slo.pathOf("metric"));
      if (metricNode === undefined) slo.missing("metric");
      const upper = slo.number("upperLimit");
      const lower = slo.number("lowerLimit");
      if (!slo.has("upperLimit") && !slo.has("lowerLimit")) {
        ctx.problems.report(ErrorCode.MissingField, item, childPath(path, i), "an SLO needs upperLimit, lowerLimit or both");
      }
      if (metric === undefined) return;
      if (upper !== undefined) into.upper.push({ metric, limit: upper });
      if (lower !== undefined) into.lower.push({ metric, limit: lower });
    });
    return;
  }
  const slos = Fields.of(ctx, node, path, ["upper", "lower"], "SLOs");
  if (slos === undefined) return;
  for (const direction of ["upper", "lower"] as const) {
    const value = slos.present(direction);
    if (value === undefined) continue;
    const field = slos.pathOf(direction);
    if (value.kind === "seq") {
      value.items.forEach((item, i) => {
        const slo = Fields.of(ctx, item, childPath(field, i), ["metric", "limit"], "an SLO");
        if (slo === undefined) return;
        const metricNode = slo.present("metric");
        const metric = metricNode === undefined ? undefined : checkMetric(ctx, metricNode, slo.pathOf("metric"));
        if (metricNode === undefined) slo.missing("metric");
        const limit = slo.number("limit", {}, { required: true });
        if (metric !== undefined && limit !== undefined) into[direction].push({ metric, limit });
      });
    } else if (value.kind === "map") {
      for (const { key, keyLoc, value: limitNode } of value.entries) {
        const metricField = childPath(field, key);
        const metric = metricName(ctx, key, { loc: keyLoc, origin: limitNode.origin }, metricField);
        if (metric === undefined) continue;
        const limit = checkNumber(ctx, limitNode, metricField);
        if (limit !== undefined) into[direction].push({ metric, limit });
      }
    } else {
      ctx.problems.report(ErrorCode.WrongType, value, field, `expected a list of {metric, limit} or a map of metric to limit, got ${describeNode(value)}`);
    }
  }
}

function parseRewards(ctx: ParseContext, node: TreeNode, path: string, into: { max: string[]; min: string[] }): void {
  const rewards = Fields.of(ctx, node, path, ["max", "min"], "rewards");
  if (rewards === undefined) return;
  for (const direction of ["max", "min"] as const) {
    const list = rewards.list(direction, "a list of metric names");
    for (const [i, item] of (list?.items ?? []).entries()) {
      const metric = checkMetric(ctx, item, childPath(rewards.pathOf(direction), i));
      if (metric !== undefined) into[direction].push(metric);
    }
  }
}

