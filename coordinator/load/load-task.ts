/**
 * The load tasks as task runners: a LoadRun (load-run.ts) with the protocol's SeriesSpec. `http`
 * is the one there is; a `grpc` runner is `createLoadRunner(grpcSeriesSpec, options)`.
 */
import type { HttpTaskSpec, TaskSpec } from "../../core/index.js";
import type { TaskRunner } from "../tasks/types.js";
import { withoutChartWarmup } from "./chart-warmup.js";
import { runEndpointLoads, separateEndpointLoads } from "./endpoint-runs.js";
import { httpSeriesSpec } from "./http-series.js";
import { runLoad } from "./load-run.js";
import type { LoadRunnerOptions } from "./options.js";
import type { LoadShape, SeriesSpec } from "./series.js";

/** A runner for a load task of any protocol. */
export function createLoadRunner<S extends LoadShape & TaskSpec>(seriesSpec: SeriesSpec<S>, options: LoadRunnerOptions): TaskRunner<S> {
  return (spec, context) => runLoad(seriesSpec, spec, context, options);
}

/** The http task: one LoadRun, or one per endpoint when endpoints run separately (endpoint-runs.ts). */
export function createHttpLoadRunner(options: LoadRunnerOptions): TaskRunner<HttpTaskSpec> {
  const single = createLoadRunner(httpSeriesSpec, options);
  return (written, context) => {
    for (const field of written.ignoredFields ?? []) {
      context.logger.warn({ field }, `${field} is ignored, as Iter8 ignored it (a value Iter8's v0.9-v0.10 chart copied into the http task)`);
    }
    const spec = withoutChartWarmup(written, context);
    const names = separateEndpointLoads(spec);
    return names.length === 0 ? single(spec, context) : runEndpointLoads(spec, names, context, options);
  };
}
