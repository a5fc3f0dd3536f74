/**
 * The `assess` task, Iter8's semantics: an `upper` SLO holds when value ≤ limit, a `lower` SLO when
 * value ≥ limit, and a metric missing for a version fails that version's SLO. The Bayesian layer
 * (rewards, probabilities, winner, traffic split) runs on top when the assessment module is given.
 */
import type { AssessTaskSpec, ResultDocument, SloResult, SloSpec } from "../../core/index.js";
import { addSampleMaps, valuesFromSamples } from "./cumulative.js";
import type { LoopInfo, TaskContext, TaskOutcome, TaskRunner } from "./types.js";

/** Optional Bayesian layer: given the task and the result so far, returns `result.assessment`. */
export type BayesianAssessor = (spec: AssessTaskSpec, result: Readonly<ResultDocument>, slos: readonly SloResult[]) => Record<string, unknown>;

export function evaluateSlos(spec: AssessTaskSpec, result: Readonly<ResultDocument>): SloResult[] {
  const evaluate = (slo: SloSpec, direction: "upper" | "lower"): SloResult => {
    const satisfied: Record<string, boolean> = {};
    const value: Record<string, number | null> = {};
    for (const version of result.versions) {
      const observed = result.metrics[version]?.[slo.metric];
      const present = observed !== undefined && Number.isFinite(observed);
      value[version] = present ? observed : null;
      satisfied[version] = present && (direction === "upper" ? observed <= slo.limit : observed >= slo.limit);
    }
    return { metric: slo.metric, direction, limit: slo.limit, satisfied, value };
  };
  return [...spec.slos.upper.map((slo) => evaluate(slo, "upper")), ...spec.slos.lower.map((slo) => evaluate(slo, "lower"))];
}

export function createAssessRunner(bayesian?: BayesianAssessor): TaskRunner<AssessTaskSpec> {
  return (spec: AssessTaskSpec, context: TaskContext): Promise<TaskOutcome> => {
    const loop = context.loop;
    const cumulative = spec.scope === "cumulative" && loop !== undefined && loop.number > 1;
    const data = cumulative ? cumulativeView(context, loop.earlierSamples) : context.result;
    const slos = evaluateSlos(spec, data);
    context.setResultField("slos", slos);
    const wantsBayesian = spec.rewards.max.length + spec.rewards.min.length > 0;
    if (bayesian && (wantsBayesian || slos.length > 0)) {
      const assessment = bayesian(spec, data, slos);
      context.setResultField("assessment", cumulative ? { ...assessment, scope: "cumulative", loopsAssessed: loop.number } : assessment);
    }
    const failing = slos.flatMap((slo) =>
      Object.entries(slo.satisfied)
        .filter(([, ok]) => !ok)
        .map(([version]) => `${slo.metric} (${version})`),
    );
    return Promise.resolve({ detail: { slos: slos.length, failing, ...(cumulative ? { scope: "cumulative", loopsAssessed: loop.number } : {}) } });
  };
}

/**
 * The result as `scope: cumulative` sees it: the samples of every loop so far added up, and each
 * metric that has a sample valued from the sum (the others keep this loop's value).
 */
function cumulativeView(context: TaskContext, earlier: LoopInfo["earlierSamples"]): Readonly<ResultDocument> {
  const samples = addSampleMaps(earlier, context.result.samples ?? {});
  return { ...context.result, samples, metrics: valuesFromSamples(context.result.metrics, samples) };
}
