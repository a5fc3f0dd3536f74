/**
 * The Bayesian A/B/n assessment of one experiment's versions: SLO probabilities, per-reward
 * P(best), expected loss, credible intervals and lift, a winner, and a recommended traffic split.
 * Pure and deterministic: the same input (and seed) always gives the same output.
 */
import { ErrorCode, ValidationError, countAtOrBelow, histogramFromBase64 } from "../../core/index.js";
import type { AssessTaskSpec, Histogram, MetricSample, ResultDocument, SloResult, SloSpec } from "../../core/index.js";
import { compareArms } from "./compare.js";
import type { Direction, Method } from "./compare.js";
import { resolveOptions } from "./options.js";
import type { AssessmentOptions, ResolvedOptions } from "./options.js";
import { liftInterval } from "./lift.js";
import {
  cdf,
  countPosterior,
  credibleInterval,
  fail,
  meanPosterior,
  ok,
  posteriorMean,
  ratePosterior,
  sf,
  undefinedMeanReason,
} from "./posterior.js";
import type { Outcome, Posterior, Priors } from "./posterior.js";
import { createRng } from "./rng.js";
import { recommendSplit } from "./split.js";

export interface AssessmentInput {
  /** The versions in order (the first is the baseline unless `baseline` says otherwise). */
  readonly versions: readonly string[];
  readonly baseline?: string | undefined;
  readonly rewards: { readonly max: readonly string[]; readonly min: readonly string[] };
  readonly slos: { readonly upper: readonly SloSpec[]; readonly lower: readonly SloSpec[] };
  /** version -> metric -> sample statistics (result.samples). */
  readonly samples: Readonly<Record<string, Readonly<Record<string, MetricSample>>>>;
  /** version -> metric -> value (result.metrics; latency in ms). */
  readonly values: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Deterministic SLO verdicts already computed (result.slos); else computed from `values`. */
  readonly sloResults?: readonly SloResult[] | undefined;
  /** Why a metric is missing (result.metricErrors), quoted in `errors`. */
  readonly metricErrors?: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined;
  /** Default 0.95. */
  readonly confidence?: number | undefined;
  readonly options?: AssessmentOptions | Readonly<Record<string, unknown>> | undefined;
}

/** A quantity of a reward that may be undefined for a version (then null, with the reason). */
export type NullableQuantity = "mean" | "expectedLoss" | "lift" | "liftInterval";

export interface RewardVersionAssessment {
  /** Posterior probability this version is the best on the reward (among versions with data). */
  readonly pBest: number;
  /**
   * Expected loss (risk) of choosing it: E[max(best other − this, 0)] (mirrored for `min`); null
   * when some version's posterior has no mean (Student-t with ≤ 1 degree of freedom).
   */
  readonly expectedLoss: number | null;
  /** Equal-tailed credible interval of the metric at `confidence`. */
  readonly credibleInterval: [number, number];
  /** Posterior mean; null when it does not exist. */
  readonly mean: number | null;
  /** (mean − baseline mean) / |baseline mean|, whatever the direction; null without a usable baseline. */
  readonly lift: number | null;
  /** Equal-tailed interval of (X − B)/|B| at `confidence` (exact); null without a baseline posterior. */
  readonly liftInterval: [number, number] | null;
  /** Why each null quantity above is null (present only when one is). */
  readonly reasons?: Partial<Record<NullableQuantity, string>>;
}

export interface RewardAssessment {
  readonly direction: Direction;
  /** How P(best) and expected loss were computed. */
  readonly method: Method;
  /** Versions with a posterior (the others are in `errors`). */
  readonly versions: Record<string, RewardVersionAssessment>;
}

/** The traffic-split settings the weights were computed with (so a re-analysis reproduces them). */
export interface SplitSettings {
  readonly floor: number;
  readonly failingWeight: "floor" | "zero";
  readonly maxIncrease: number | null;
  readonly currentWeights: Record<string, number> | null;
}

/** The assessment: plain JSON, stored in `result.assessment`. */
export type Assessment = {
  readonly confidence: number;
  readonly baseline: string | null;
  readonly versions: string[];
  readonly rewards: Record<string, RewardAssessment>;
  /**
   * The rewards in the order they were given (`max` list, then `min` list): the first decides the
   * winner and the split. A list, so that it survives any re-ordering of the `rewards` map's keys.
   */
  readonly rewardOrder: string[];
  /** Each SLO: deterministic verdict and value per version, plus the posterior probability it holds. */
  readonly slos: SloResult[];
  /** Winner: satisfies every SLO and has P(best among such versions) ≥ confidence on the first reward. */
  readonly winner: string | null;
  /** The winner rule's input: P(best) on the first reward among versions satisfying every SLO. */
  readonly winnerProbabilities: Record<string, number>;
  /** The reward that decides the winner and the split (`rewardOrder[0]`). */
  readonly decidingReward: string | null;
  /** Recommended traffic split: integer weights summing to 100. */
  readonly weights: Record<string, number>;
  readonly split: SplitSettings;
  /** version -> metric -> why no probability could be computed. */
  readonly errors: Record<string, Record<string, string>>;
  /** The priors used (defaults by sample type; per-metric overrides). */
  readonly priors: { readonly default: Priors; readonly metrics: Record<string, Partial<Priors>> };
  /** Seed and draws of the Monte Carlo fallback of P(best) (used only when `method` says so). */
  readonly seed: number;
  readonly draws: number;
};

/** What a metric of a version offers for a posterior. */
type Source =
  | { readonly kind: "posterior"; readonly posterior: Posterior }
  | { readonly kind: "quantile"; readonly percentile: number; readonly histogram: Histogram };

const PERCENTILE = /^(.*?)[-/]p(\d+(?:\.\d+)?)$/;
const MEAN = /^(.*?)[-/]mean$/;
const ERROR_RATE = /^(.*?)[-/]error-rate$/;

function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function sloKeyOf(direction: "upper" | "lower", slo: SloSpec): string {
  return `${direction}\u0000${slo.metric}\u0000${slo.limit}`;
}

class Assessor {
  private readonly histograms = new Map<string, Histogram>();
  readonly errors: Record<string, Record<string, string>> = {};

  constructor(
    private readonly input: AssessmentInput,
    readonly options: ResolvedOptions,
  ) {}

  priorsFor(metric: string): Priors {
    const override = this.options.metricPriors[metric];
    return override === undefined ? this.options.priors : { ...this.options.priors, ...override };
  }

  recordError(version: string, metric: string, message: string): void {
    (this.errors[version] ??= {})[metric] = message;
  }

  private histogram(text: string): Histogram {
    let h = this.histograms.get(text);
    if (h === undefined) {
      h = histogramFromBase64(text);
      this.histograms.set(text, h);
    }
    return h;
  }

  release(): void {
    for (const h of this.histograms.values()) h.destroy();
    this.histograms.clear();
  }

  /** The posterior source of `metric` for `version`, or why there is none. */
  source(version: string, metric: string): Outcome<Source> {
    const priors = this.priorsFor(metric);
    const own = this.input.samples[version]?.[metric];
    if (own !== undefined && own.type !== "histogram") return this.fromSample(own, priors);
    const percentile = PERCENTILE.exec(metric);
    const mean = MEAN.exec(metric);
    const base = percentile?.[1] ?? mean?.[1];
    const histogramSample = own ?? (base === undefined ? undefined : this.input.samples[version]?.[base]);
    if (histogramSample?.type === "histogram") {
      if (histogramSample.histogram === "") return fail("the latency histogram is empty (no requests)");
      let h: Histogram;
      try {
        h = this.histogram(histogramSample.histogram);
      } catch (err) {
        return fail(`the latency histogram could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (h.totalCount === 0) return fail("the latency histogram is empty (no requests)");
      if (percentile !== null) {
        const q = Number(percentile[2]);
        if (!(q > 0 && q < 100)) return fail(`percentile ${percentile[2]} is outside (0, 100)`);
        return ok({ kind: "quantile", percentile: q, histogram: h });
      }
      if (mean !== null) {
        const n = h.totalCount;
        const meanMs = h.mean / 1000;
        const sdMs = h.stdDeviation / 1000;
        return this.fromSample({ type: "mean", count: n, sum: n * meanMs, sumOfSquares: n * (sdMs * sdMs + meanMs * meanMs) }, priors);
      }
      return fail(`${metric} is a histogram: only its percentiles (-pXX) and mean (-mean) can be assessed`);
    }
    const errorRate = ERROR_RATE.exec(metric);
    if (errorRate !== null) {
      const prefix = errorRate[1] ?? "";
      const values = this.input.values[version];
      const errors = values?.[`${prefix}/error-count`];
      const requests = values?.[`${prefix}/request-count`];
      if (errors !== undefined && requests !== undefined) return this.fromSample({ type: "rate", successes: errors, trials: requests }, priors);
    }
    const known = this.input.metricErrors?.[version]?.[metric];
    if (known !== undefined) return fail(known);
    if (this.input.values[version]?.[metric] === undefined) return fail(`metric ${metric} is missing for version ${version}`);
    return fail(`${metric} has a value but no sample statistics (rate, mean, count or histogram): no posterior`);
  }

  private fromSample(s: MetricSample, priors: Priors): Outcome<Source> {
    let posterior: Outcome<Posterior>;
    switch (s.type) {
      case "rate":
        posterior = ratePosterior(s.successes, s.trials, priors.rate);
        break;
      case "mean":
        posterior = meanPosterior(s.count, s.sum, s.sumOfSquares, priors.mean);
        break;
      case "count":
        posterior = countPosterior(s.events, s.exposure, priors.count);
        break;
      case "histogram":
        return fail("histogram samples only answer percentile and mean questions");
    }
    return posterior.ok ? ok({ kind: "posterior", posterior: posterior.value }) : posterior;
  }

  /** P(SLO holds) for one version, or why not. */
  sloProbability(version: string, direction: "upper" | "lower", slo: SloSpec): Outcome<number> {
    const src = this.source(version, slo.metric);
    if (!src.ok) return src;
    const s = src.value;
    if (s.kind === "posterior") {
      const p = direction === "upper" ? cdf(s.posterior, slo.limit) : sf(s.posterior, slo.limit);
      return Number.isFinite(p) ? ok(Math.min(Math.max(p, 0), 1)) : fail("the probability is not a finite number");
    }
    // Percentile SLO as a binomial question on the histogram: q-quantile ≤ L ⇔ P(X ≤ L) ≥ q.
    const trials = s.histogram.totalCount;
    const q = s.percentile / 100;
    const prior = this.priorsFor(slo.metric).rate;
    if (direction === "upper") {
      const under = countAtOrBelow(s.histogram, Math.floor(slo.limit * 1000));
      const post = ratePosterior(under, trials, prior);
      return post.ok ? ok(sf(post.value, q)) : post;
    }
    const below = Math.ceil(slo.limit * 1000) - 1 < 0 ? 0 : countAtOrBelow(s.histogram, Math.ceil(slo.limit * 1000) - 1);
    const post = ratePosterior(below, trials, prior);
    return post.ok ? ok(cdf(post.value, q)) : post;
  }

  /** A posterior for a reward metric, or why not. */
  rewardPosterior(version: string, metric: string): Outcome<Posterior> {
    const src = this.source(version, metric);
    if (!src.ok) return src;
    if (src.value.kind !== "posterior") return fail(`${metric} is a percentile: it can be an SLO but not a reward (use a mean or rate)`);
    return ok(src.value.posterior);
  }
}

function validateInput(input: AssessmentInput): { versions: string[]; baseline: string | null; confidence: number } {
  const versions: string[] = Array.from(input.versions);
  if (new Set(versions).size !== versions.length) throw new ValidationError(ErrorCode.Contradiction, "versions: names must be unique", { field: "versions" });
  const baseline = input.baseline ?? versions[0] ?? null;
  if (baseline !== null && !versions.includes(baseline)) {
    throw new ValidationError(ErrorCode.OutOfRange, `baseline: "${baseline}" is not one of the versions (${versions.join(", ")})`, { field: "baseline" });
  }
  const confidence = input.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new ValidationError(ErrorCode.OutOfRange, `confidence: must be between 0 and 1 exclusive (got ${confidence})`, { field: "confidence" });
  const rewardNames = [...input.rewards.max, ...input.rewards.min];
  const dup = rewardNames.find((m, i) => rewardNames.indexOf(m) !== i);
  if (dup !== undefined) throw new ValidationError(ErrorCode.Contradiction, `rewards: ${dup} is listed more than once`, { field: "rewards" });
  for (const [direction, list] of [["upper", input.slos.upper], ["lower", input.slos.lower]] as const) {
    list.forEach((slo, i) => {
      if (typeof slo.limit !== "number" || !Number.isFinite(slo.limit)) {
        throw new ValidationError(ErrorCode.WrongType, `slos.${direction}[${i}].limit: must be a finite number`, { field: `slos.${direction}[${i}].limit` });
      }
    });
  }
  return { versions, baseline, confidence };
}

function deterministicSlo(input: AssessmentInput, versions: readonly string[], direction: "upper" | "lower", slo: SloSpec): SloResult {
  const given = input.sloResults?.find((r) => r.metric === slo.metric && r.direction === direction && r.limit === slo.limit);
  const satisfied: Record<string, boolean> = {};
  const value: Record<string, number | null> = {};
  for (const v of versions) {
    const x = input.values[v]?.[slo.metric];
    const known = x !== undefined && Number.isFinite(x) ? x : null;
    value[v] = given?.value[v] ?? known;
    satisfied[v] = given?.satisfied[v] ?? (known !== null && (direction === "upper" ? known <= slo.limit : known >= slo.limit));
  }
  return { metric: slo.metric, direction, limit: slo.limit, satisfied, value };
}

/** Runs the assessment. Throws ValidationError on malformed input; data problems go to `errors`. */
export function assess(input: AssessmentInput): Assessment {
  const { versions, baseline, confidence } = validateInput(input);
  const options = resolveOptions(input.options);
  const assessor = new Assessor(input, options);
  try {
    const slos: SloResult[] = [];
    const sloSatisfiedBy = new Map<string, boolean>(versions.map((v) => [v, true]));
    const seen = new Set<string>();
    for (const [direction, list] of [["upper", input.slos.upper], ["lower", input.slos.lower]] as const) {
      for (const slo of list) {
        const key = sloKeyOf(direction, slo);
        if (seen.has(key)) continue;
        seen.add(key);
        const result = deterministicSlo(input, versions, direction, slo);
        const probability: Record<string, number | null> = {};
        for (const v of versions) {
          const p = assessor.sloProbability(v, direction, slo);
          probability[v] = p.ok ? p.value : null;
          if (!p.ok) assessor.recordError(v, slo.metric, p.error);
          if (!result.satisfied[v]) sloSatisfiedBy.set(v, false);
        }
        slos.push({ ...result, probability });
      }
    }

    const rewards: Record<string, RewardAssessment> = {};
    const posteriorsByReward = new Map<string, Map<string, Posterior>>();
    const rewardList: [string, Direction][] = [
      ...input.rewards.max.map((m): [string, Direction] => [m, "max"]),
      ...input.rewards.min.map((m): [string, Direction] => [m, "min"]),
    ];
    for (const [metric, direction] of rewardList) {
      const posteriors = new Map<string, Posterior>();
      for (const v of versions) {
        const p = assessor.rewardPosterior(v, metric);
        if (p.ok) posteriors.set(v, p.value);
        else assessor.recordError(v, metric, p.error);
      }
      posteriorsByReward.set(metric, posteriors);
      rewards[metric] = assessReward(metric, direction, posteriors, baseline, confidence, options);
    }

    const deciding = rewardList[0];
    const winnerProbabilities: Record<string, number> = {};
    let winner: string | null = null;
    if (deciding !== undefined) {
      const [metric, direction] = deciding;
      const posteriors = posteriorsByReward.get(metric) ?? new Map<string, Posterior>();
      const eligible = versions.filter((v) => sloSatisfiedBy.get(v) === true && posteriors.has(v));
      const all = rewards[metric];
      if (all !== undefined && eligible.length === posteriors.size) {
        for (const v of eligible) winnerProbabilities[v] = all.versions[v]?.pBest ?? 0;
      } else {
        const comparison = compareArms(
          eligible.map((v) => posteriors.get(v) as Posterior),
          direction,
          options.draws,
          () => createRng(fnv1a(`winner\u0000${metric}`, options.seed)),
        );
        eligible.forEach((v, i) => {
          winnerProbabilities[v] = comparison.pBest[i] ?? 0;
        });
      }
      const best = eligible.reduce<string | undefined>((a, v) => (a === undefined || (winnerProbabilities[v] ?? 0) > (winnerProbabilities[a] ?? 0) ? v : a), undefined);
      if (best !== undefined && (winnerProbabilities[best] ?? 0) >= confidence) winner = best;
    } else {
      const eligible = versions.filter((v) => sloSatisfiedBy.get(v) === true);
      for (const v of eligible) winnerProbabilities[v] = 1 / eligible.length;
    }
    const weights = recommendSplit(versions, winnerProbabilities, {
      floor: options.floor,
      failingWeight: options.failingWeight,
      maxIncrease: options.maxIncrease,
      currentWeights: options.currentWeights,
    });

    return {
      confidence,
      baseline,
      versions,
      rewards,
      rewardOrder: rewardList.map(([metric]) => metric),
      slos,
      winner: deciding === undefined ? null : winner,
      winnerProbabilities: deciding === undefined ? {} : winnerProbabilities,
      decidingReward: deciding?.[0] ?? null,
      weights,
      split: {
        floor: options.floor,
        failingWeight: options.failingWeight,
        maxIncrease: options.maxIncrease ?? null,
        currentWeights: options.currentWeights === undefined ? null : { ...options.currentWeights },
      },
      errors: assessor.errors,
      priors: { default: options.priors, metrics: { ...options.metricPriors } },
      seed: options.seed,
      draws: options.draws,
    };
  } finally {
    assessor.release();
  }
}

function assessReward(
  metric: string,
  direction: Direction,
  posteriors: ReadonlyMap<string, Posterior>,
  baseline: string | null,
  confidence: number,
  options: ResolvedOptions,
): RewardAssessment {
  const names = [...posteriors.keys()];
  const arms = names.map((v) => posteriors.get(v) as Posterior);
  const comparison = compareArms(arms, direction, options.draws, () => createRng(fnv1a(`pbest\u0000${metric}`, options.seed)));
  const base = baseline === null ? undefined : posteriors.get(baseline);
  const baseMean = base === undefined ? NaN : posteriorMean(base);
  const lossUndefined = names.find((_, i) => undefinedMeanReason(arms[i] as Posterior) !== undefined);
  const out: Record<string, RewardVersionAssessment> = {};
  names.forEach((v, i) => {
    const p = arms[i] as Posterior;
    const reasons: Partial<Record<NullableQuantity, string>> = {};
    const meanValue = posteriorMean(p);
    const noMean = undefinedMeanReason(p);
    if (noMean !== undefined) reasons.mean = `the posterior of the mean is ${noMean}`;
    const loss = comparison.expectedLoss[i] ?? NaN;
    if (!Number.isFinite(loss)) {
      reasons.expectedLoss = lossUndefined === undefined
        ? "the expected loss could not be computed"
        : `undefined: it needs every version's posterior mean, and ${lossUndefined === v ? "this version's" : `${lossUndefined}'s`} posterior is ${undefinedMeanReason(posteriors.get(lossUndefined) as Posterior) ?? ""}`;
    }
    let lift: number | null = null;
    let interval: [number, number] | null = null;
    if (base === undefined) {
      const why = baseline === null ? "there is no baseline" : `the baseline ${baseline} has no posterior for ${metric}`;
      reasons.lift = why;
      reasons.liftInterval = why;
    } else if (v === baseline) {
      lift = 0;
      interval = [0, 0];
    } else {
      interval = liftInterval(p, base, confidence);
      if (interval === null) reasons.liftInterval = "the lift's distribution could not be inverted (no finite bounds)";
      if (noMean !== undefined) reasons.lift = "this version has no posterior mean";
      else if (!Number.isFinite(baseMean)) reasons.lift = `the baseline ${baseline ?? ""} has no posterior mean`;
      else if (baseMean === 0) reasons.lift = `the baseline's posterior mean is 0`;
      else lift = (meanValue - baseMean) / Math.abs(baseMean);
    }
    out[v] = {
      pBest: comparison.pBest[i] ?? 0,
      expectedLoss: Number.isFinite(loss) ? loss : null,
      credibleInterval: credibleInterval(p, confidence),
      mean: Number.isFinite(meanValue) ? meanValue : null,
      lift,
      liftInterval: interval,
      ...(Object.keys(reasons).length > 0 ? { reasons } : {}),
    };
  });
  return { direction, method: comparison.method, versions: out };
}

/**
 * The assess task's Bayesian layer (the `BayesianAssessor` of coordinator/tasks/assess.ts): the
 * assessment of a result document under an assess task's SLOs, rewards, baseline and options.
 */
export function assessResult(spec: AssessTaskSpec, result: Readonly<ResultDocument>, slos: readonly SloResult[]): Assessment {
  return assess({
    versions: result.versions,
    baseline: spec.baseline,
    rewards: spec.rewards,
    slos: spec.slos,
    samples: result.samples ?? {},
    values: result.metrics,
    sloResults: slos,
    metricErrors: result.metricErrors,
    confidence: spec.confidence,
    options: spec.options,
  });
}
