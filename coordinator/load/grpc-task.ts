/**
 * The grpc task as a task runner: resolve every series' call once (grpc-resolve.ts), then the same
 * LoadRun as http with the grpc SeriesSpec (grpc-series.ts).
 */
import { ConfigurationError, ErrorCode } from "../../core/index.js";
import type { GrpcTaskSpec } from "../../core/index.js";
import type { TaskRunner } from "../tasks/types.js";
import { resolveGrpcCall } from "./grpc-resolve.js";
import type { UrlReader } from "./grpc-resolve.js";
import { grpcSeriesSpec } from "./grpc-series.js";
import type { ResolvedGrpcSeries } from "./grpc-series.js";
import { runLoad } from "./load-run.js";
import type { LoadRunnerOptions } from "./options.js";

/** Until URLs are fetched at run time, a URL is refused (the runner refuses such tasks before they start). */
const refuseUrls: UrlReader = (url, field) =>
  Promise.reject(new ConfigurationError(ErrorCode.Unsupported, `${field}: ${url} would be fetched when the task runs, which this build does not do`, { field }));

export function createGrpcLoadRunner(options: LoadRunnerOptions, readUrl: UrlReader = refuseUrls): TaskRunner<GrpcTaskSpec> {
  return async (spec, context) => {
    for (const field of spec.ignoredFields ?? []) {
      context.logger.warn({ field }, `${field} is ignored, as Iter8 ignored it (a misspelling of connect-timeout; the connect timeout is ${spec.connectTimeoutMs} ms)`);
    }
    const resolved = await resolveGrpcSeries(spec, `spec[${context.entry.index}].with`, readUrl);
    return runLoad(grpcSeriesSpec(resolved), spec, context, options);
  };
}

/** Every series of the task (versions in order, their endpoints in file order) with its call resolved. */
export async function resolveGrpcSeries(spec: GrpcTaskSpec, field: string, readUrl: UrlReader): Promise<ResolvedGrpcSeries[]> {
  const out: ResolvedGrpcSeries[] = [];
  for (const version of spec.versions) {
    if (spec.endpointOrder.length === 0) {
      out.push({ version: version.name, endpoint: "", call: await resolveGrpcCall(spec, version.call, field, readUrl), load: undefined });
      continue;
    }
    for (const name of spec.endpointOrder) {
      const endpoint = version.endpoints[name];
      if (endpoint === undefined) continue;
      const call = await resolveGrpcCall(spec, endpoint.call, `${field}.endpoints.${name}`, readUrl);
      const { numRequests, qps, connections, loadModel } = endpoint.load;
      out.push({ version: version.name, endpoint: name, call, load: endpoint.loadOverrides.length > 0 ? { numRequests, qps, connections, loadModel } : undefined });
    }
  }
  return out;
}
