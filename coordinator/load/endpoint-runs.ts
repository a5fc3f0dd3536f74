/**
 * An http task with endpoints, as Iter8's http task runs it: one load per endpoint, one after
 * another in file order, each with its own load fields (`numRequests`, `duration`, `qps`,
 * `connections`, `errorRanges`, `percentiles` written on the endpoint win over the task's). Every
 * endpoint is a LoadRun of its own (exact counts, its own start barrier), loading every version.
 * `concurrentEndpoints: true` (Assay) runs them at the same time instead: one LoadRun when no
 * endpoint has load fields of its own, else one LoadRun per endpoint, all started together.
 * `result.load` and the task's detail add the runs up.
 */
import type { HttpTaskSpec, LoadSummary, ResultDocument } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { httpSeriesSpec } from "./http-series.js";
import { runLoad } from "./load-run.js";
import type { LoadRunnerOptions } from "./options.js";

/** The http task's spec reduced to one endpoint, with that endpoint's load. */
export function endpointSpec(spec: HttpTaskSpec, name: string): HttpTaskSpec {
  const first = spec.versions[0]?.endpoints[name];
  const load = first?.load;
  return {
    ...spec,
    ...(load ?? {}),
    versions: spec.versions.map((version) => {
      const endpoint = version.endpoints[name];
      return { ...version, endpoints: endpoint === undefined ? {} : { [name]: endpoint } };
    }),
    endpointOrder: [name],
  };
}

/** The endpoint names an http task runs as separate loads, in order; [] = one load for the task. */
export function separateEndpointLoads(spec: HttpTaskSpec): readonly string[] {
  const names = spec.endpointOrder ?? Object.keys(spec.versions[0]?.endpoints ?? {});
  if (names.length <= 1) return [];
  if (spec.concurrentEndpoints === true) {
    const overridden = names.some((name) => spec.versions.some((v) => (v.endpoints[name]?.loadOverrides.length ?? 0) > 0));
    return overridden ? names : [];
  }
  return names;
}

/** Adds `next` (a later or parallel run of the same task) to `sum`. */
function addSummary(sum: LoadSummary | undefined, next: LoadSummary, sequential: boolean): LoadSummary {
  if (sum === undefined) return next;
  const errors: LoadSummary["errors"] = structuredClone(sum.errors);
  for (const [version, messages] of Object.entries(next.errors)) {
    const into = (errors[version] ??= {});
    for (const [message, count] of Object.entries(messages)) into[message] = (into[message] ?? 0) + count;
  }
  return {
    agents: [...new Set([...sum.agents, ...next.agents])],
    startSkewMs: Math.max(sum.startSkewMs, next.startSkewMs),
    durationMs: sequential ? sum.durationMs + next.durationMs : Math.max(sum.durationMs, next.durationMs),
    conservation: { ok: sum.conservation.ok && next.conservation.ok, mismatches: [...sum.conservation.mismatches, ...next.conservation.mismatches] },
    errors,
    events: [...sum.events, ...next.events],
    reportsMerged: sum.reportsMerged + next.reportsMerged,
  };
}

/** Each run sees the task's context; its `result.load` is added to the task's so far. */
function summingContext(context: TaskContext, sequential: boolean): TaskContext {
  let sum: LoadSummary | undefined;
  return {
    ...context,
    setResultField<K extends keyof ResultDocument>(key: K, value: ResultDocument[K]): void {
      if (key === "load" && value !== undefined) {
        sum = addSummary(sum, value as LoadSummary, sequential);
        context.setResultField("load", sum);
        return;
      }
      context.setResultField(key, value);
    },
  };
}

/** Runs the task's endpoints as separate loads (see separateEndpointLoads). */
export async function runEndpointLoads(spec: HttpTaskSpec, names: readonly string[], context: TaskContext, options: LoadRunnerOptions): Promise<TaskOutcome> {
  const sequential = spec.concurrentEndpoints !== true;
  const shared = summingContext(context, sequential);
  const runOne = (name: string, k: number): Promise<TaskOutcome> => {
    // Each endpoint's run keeps its own stored plan (a restarted coordinator resumes that one).
    const own: LoadRunnerOptions = options.state ? { ...options, state: { ...options.state, key: `${options.state.key}.e${k}` } } : options;
    return runLoad(httpSeriesSpec, endpointSpec(spec, name), shared, own);
  };
  const outcomes: { name: string; outcome: TaskOutcome }[] = [];
  if (sequential) {
    for (const [k, name] of names.entries()) {
      context.logger.debug({ endpoint: name }, "endpoint load starts");
      outcomes.push({ name, outcome: await runOne(name, k) });
    }
  } else {
    const all = await Promise.all(names.map((name, k) => runOne(name, k)));
    all.forEach((outcome, k) => outcomes.push({ name: names[k] ?? "", outcome }));
  }
  return { detail: combineDetails(outcomes, sequential) };
}

function numberOf(detail: Record<string, unknown> | undefined, key: string): number {
  const value = detail?.[key];
  return typeof value === "number" ? value : 0;
}

function combineDetails(outcomes: readonly { name: string; outcome: TaskOutcome }[], sequential: boolean): Record<string, unknown> {
  const sum = (key: string): number => outcomes.reduce((total, { outcome }) => total + numberOf(outcome.detail, key), 0);
  const durations = outcomes.map(({ outcome }) => numberOf(outcome.detail, "durationMs"));
  return {
    endpointsRun: sequential ? "sequential" : "concurrent",
    agents: Math.max(0, ...outcomes.map(({ outcome }) => numberOf(outcome.detail, "agents"))),
    series: sum("series"),
    requests: sum("requests"),
    errors: sum("errors"),
    durationMs: sequential ? durations.reduce((a, b) => a + b, 0) : Math.max(0, ...durations),
    endpoints: outcomes.map(({ name, outcome }) => ({ endpoint: name, ...outcome.detail })),
  };
}
