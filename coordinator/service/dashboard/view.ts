/**
 * An experiment as the dashboard page draws it (core/dashboard.ts DashboardExperiment): the
 * result document without its encoded histograms and samples, plus each version's merged latency
 * histogram in log-spaced buckets (the page cannot decode HdrHistogram's compressed format).
 */
import { histogramFromBase64, logBuckets } from "../../../core/index.js";
import type { DashboardExperiment, LatencyBucketCount, ResultDocument, api } from "../../../core/index.js";

export function experimentView(summary: api.ExperimentSummary, result: ResultDocument | undefined): DashboardExperiment {
  if (!result) return { summary, result: null, distributions: {} };
  const { histograms, samples: _samples, ...rest } = result;
  return { summary, result: { ...rest, histograms: {} }, distributions: distributionsOf(histograms) };
}

/** version -> buckets of the sum of its series' latency histograms. */
export function distributionsOf(histograms: ResultDocument["histograms"]): Record<string, LatencyBucketCount[]> {
  const out: Record<string, LatencyBucketCount[]> = {};
  for (const [version, bySeries] of Object.entries(histograms ?? {})) {
    const encoded = Object.values(bySeries).map((series) => series.latency).filter((text) => text !== "");
    if (encoded.length === 0) continue;
    const merged = histogramFromBase64(encoded[0] ?? "");
    for (const text of encoded.slice(1)) {
      const other = histogramFromBase64(text);
      merged.add(other);
      other.destroy();
    }
    out[version] = logBuckets(merged);
    merged.destroy();
  }
  return out;
}

/** A status built from a result document alone (a result file has no coordinator status). */
export function summaryFromResult(result: ResultDocument, id = ""): api.ExperimentSummary {
  const state = result.incomplete ? "EXPERIMENT_STATE_CANCELLED" : result.completed && result.failure === null ? "EXPERIMENT_STATE_COMPLETED" : "EXPERIMENT_STATE_FAILED";
  const startedAtMs = Date.parse(result.startTime);
  const finishedAtMs = result.endTime ? Date.parse(result.endTime) : 0;
  return {
    id,
    name: result.name,
    state,
    source: result.source,
    submittedAtMs: Number.isFinite(startedAtMs) ? startedAtMs : 0,
    startedAtMs: Number.isFinite(startedAtMs) ? startedAtMs : 0,
    finishedAtMs: Number.isFinite(finishedAtMs) ? finishedAtMs : 0,
    failure: result.failure ?? "",
    queuePosition: 0,
    numTasks: result.tasks.length,
    numCompletedTasks: result.numCompletedTasks,
    submittedBy: "",
  };
}
