/**
 * A load run's results: the merged aggregates become the protocol's built-in metrics (with their
 * samples and histograms), `result.load` records the run itself (agents, start skew, conservation,
 * events), and the task's outcome says what was measured — or fails, keeping it, when every agent
 * was lost, the link to them went down, or the run was interrupted.
 */
import { CancelledError, ErrorCode, TransportError } from "../../core/index.js";
import type { Logger, LoadSummary, SeriesHistograms } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import type { RunBooks } from "./books.js";
import type { SeriesAggregate } from "./merger.js";
import type { LoadShape, SeriesSpec } from "./series.js";

/** Writes the run's metrics, histograms and `result.load` into the result; returns the measured duration (ms). */
export function recordResults<S extends LoadShape>(
  books: RunBooks,
  run: { readonly spec: S; readonly seriesSpec: SeriesSpec<S>; readonly context: TaskContext; readonly startedMs: number; readonly log: Logger },
): number {
  const { merger } = books;
  const { spec, context } = run;
  const span = merger.timeSpan();
  const durationMs = span ? span.endMs - span.startMs : Date.now() - run.startedMs;
  const histograms: Record<string, Record<string, SeriesHistograms>> = { ...(context.result.histograms ?? {}) };
  const errorsByVersion: Record<string, Record<string, number>> = {};
  // Iter8's `warmup: true`: the load ran, its results are discarded.
  for (const aggregate of spec.warmup === true ? [] : merger.series.values()) {
    const metrics = run.seriesSpec.metrics(aggregate, {
      percentiles: spec.percentiles,
      // Throughput over this series' own measured span (warm-up excluded, agents' clocks aligned).
      durationMs: merger.measuredSpanMs(aggregate.version, aggregate.endpoint) ?? durationMs,
      openModel: spec.loadModel === "open",
    });
    for (const [name, value] of Object.entries(metrics.values)) {
      const info = metrics.info[name];
      if (info) context.setMetric(aggregate.version, name, value, info);
    }
    for (const [name, info] of Object.entries(metrics.info)) {
      if (!(name in metrics.values) && info.type !== "histogram") context.setMetricError(aggregate.version, name, "no requests completed");
    }
    for (const [name, sample] of Object.entries(metrics.samples)) context.setMetricSample(aggregate.version, name, sample);
    histograms[aggregate.version] = { ...(histograms[aggregate.version] ?? {}), [metrics.prefix]: metrics.histograms };
    const errorsOfVersion = (errorsByVersion[aggregate.version] ??= {});
    for (const [message, count] of aggregate.errorMessages) errorsOfVersion[message] = (errorsOfVersion[message] ?? 0) + count;
  }
  if (spec.warmup !== true) context.setResultField("histograms", histograms);

  for (const ignored of merger.ignoredAfterAbandon()) {
    const message = `shard ${ignored.shardId}: ${ignored.requests} requests reported after the agent was declared lost were not counted (that share was re-run by other agents)`;
    books.event("late-report", message, ignored.agentId);
  }
  const conservation = merger.checkConservation();
  if (!conservation.ok) run.log.error({ mismatches: conservation.mismatches }, "conservation check failed");
  const summary: LoadSummary = {
    agents: [...books.participants()],
    startSkewMs: books.startSkewMs(),
    durationMs,
    conservation,
    errors: errorsByVersion,
    events: books.events,
    reportsMerged: merger.progress().reportsMerged,
  };
  const unreachable = unreachableVersions(merger.series.values(), context.result.load?.unreachable ?? []);
  if (unreachable.length > 0) summary.unreachable = unreachable;
  context.setResultField("load", summary);
  return durationMs;
}

/**
 * Versions whose every request failed without a response (refused, unresolvable, reset or closed
 * before answering; timeouts excluded): the target was not reachable. The task still completes,
 * so SLOs decide, as in Iter8; `assay run` exits 5 (target). `earlier`: from previous load tasks.
 */
function unreachableVersions(series: Iterable<SeriesAggregate>, earlier: readonly string[]): string[] {
  const byVersion = new Map<string, { requests: number; connectionErrors: number }>();
  for (const aggregate of series) {
    const totals = byVersion.get(aggregate.version) ?? { requests: 0, connectionErrors: 0 };
    totals.requests += aggregate.counts.requests;
    totals.connectionErrors += aggregate.counts.connectionErrors;
    byVersion.set(aggregate.version, totals);
  }
  const now = [...byVersion].filter(([, t]) => t.requests > 0 && t.connectionErrors === t.requests).map(([version]) => version);
  return [...new Set([...earlier, ...now])];
}

/**
 * The task's outcome once the results are recorded: its detail, or the error that ends it (every
 * agent lost, interrupted, or the link down), the measurements being kept either way.
 */
export function loadOutcome(
  books: RunBooks,
  run: { readonly seriesCount: number; readonly durationMs: number; readonly interrupted: boolean; readonly linkDown: string | undefined; readonly warmup: boolean },
): TaskOutcome {
  const participating = books.participants();
  const { lostAgents } = books;
  if (lostAgents.size > 0 && [...participating].every((id) => lostAgents.has(id))) {
    throw new TransportError(ErrorCode.AgentLost, `all ${participating.size} agents were lost during the run; the requests measured before are kept in the result`);
  }
  if (run.interrupted) {
    throw new CancelledError(ErrorCode.Interrupted, "load interrupted; the requests measured so far are kept");
  }
  const progress = books.merger.progress();
  if (run.linkDown !== undefined) {
    throw new TransportError(ErrorCode.LinkClosed, `lost the link to the agents mid-run (${run.linkDown}); the ${progress.requests} requests measured before are kept in the result`);
  }
  return {
    detail: {
      runId: books.runId,
      agents: participating.size,
      series: run.seriesCount,
      requests: progress.requests,
      errors: progress.errors,
      durationMs: run.durationMs,
      ...(run.warmup ? { warmup: true } : {}),
      ...(lostAgents.size > 0 ? { lostAgents: [...lostAgents], redistributions: books.redistributions } : {}),
    },
  };
}
