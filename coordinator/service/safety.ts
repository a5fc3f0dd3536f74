/**
 * What the coordinator refuses at submit: load targets off its allow-list, and load beyond its
 * limits. The allow-list itself (patterns, protected addresses, resolution at connect time) is
 * core/egress; here a host is checked as written, and names that only an address pattern could
 * allow are resolved by `checkExperimentTargets`.
 */
import { ErrorCode, ValidationError, compileAllowList, formatDurationMs } from "../../core/index.js";
import type { AllowList, Experiment, HttpTaskSpec } from "../../core/index.js";
import type { Limits } from "./config.js";

export { compileAllowList };
export type { AllowList };

/**
 * Throws a ValidationError (TARGET_NOT_ALLOWED or LIMIT_EXCEEDED) naming the field, e.g.
 * `spec[0].with.qps`, and the limit, for the first load task that breaks the rules.
 */
export function checkExperimentSafety(experiment: Experiment, allowList: AllowList, limits: Limits): void {
  for (const entry of experiment.tasks) {
    if (entry.spec.task !== "http") continue;
    const spec = entry.spec;
    const base = `spec[${entry.index}].with`;
    const location = { location: entry.location };
    spec.versions.forEach((version, v) => {
      const versionField = spec.versions.length === 1 && version.name === "default" ? `${base}.url` : `${base}.versions[${v}].url`;
      checkUrl(version.request.url, versionField, allowList, location);
      for (const [endpoint, request] of Object.entries(version.endpoints)) {
        checkUrl(request.url, `${base}.endpoints.${endpoint}.url`, allowList, location);
      }
    });
    checkLimits(spec, base, limits, location);
  }
}

function checkUrl(url: string, field: string, allowList: AllowList, options: { location: Experiment["tasks"][number]["location"] }): void {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch (cause) {
    throw new ValidationError(ErrorCode.WrongType, `${field}: "${url}" is not a URL`, { field, cause, ...options });
  }
  if (!allowList.allows(host)) {
    throw new ValidationError(
      ErrorCode.TargetNotAllowed,
      `${field}: target host ${host} is not on the coordinator's allow-list (allowedTargets: ${allowList.patterns.join(", ")})`,
      { field, ...options, suggestion: "ask the coordinator's operator to add the host to allowedTargets" },
    );
  }
}

function seriesCount(spec: HttpTaskSpec): number {
  return spec.versions.reduce((sum, version) => sum + Math.max(1, Object.keys(version.endpoints).length), 0);
}

function checkLimits(spec: HttpTaskSpec, base: string, limits: Limits, options: { location: Experiment["tasks"][number]["location"] }): void {
  const series = seriesCount(spec);
  const total = (value: number, unit: string): string =>
    series === 1 ? `${value}${unit}` : `${value}${unit} per series × ${series} series = ${value * series}${unit}`;
  const exceed = (field: string, what: string, limitName: string, limitText: string): never => {
    throw new ValidationError(ErrorCode.LimitExceeded, `${base}.${field}: ${what} exceeds the coordinator's limit ${limitName} ${limitText}`, {
      field: `${base}.${field}`,
      ...options,
      suggestion: `lower ${field}, or ask the coordinator's operator to raise limits.${limitName}`,
    });
  };
  if (limits.maxQps !== undefined) {
    const peakQps = Math.max(spec.qps, ...spec.stages.map((stage) => stage.qps));
    const field = spec.stages.some((stage) => stage.qps > spec.qps) ? "stages" : "qps";
    if (peakQps === 0) exceed(field, "an unlimited rate (qps 0)", "maxQps", `${limits.maxQps} qps`);
    if (peakQps * series > limits.maxQps) exceed(field, total(peakQps, " qps"), "maxQps", `${limits.maxQps} qps`);
  }
  if (limits.maxConnections !== undefined && spec.connections * series > limits.maxConnections) {
    exceed("connections", total(spec.connections, " connections"), "maxConnections", String(limits.maxConnections));
  }
  if (limits.maxRequests !== undefined && spec.numRequests !== undefined && spec.numRequests * series > limits.maxRequests) {
    exceed("numRequests", total(spec.numRequests, " requests"), "maxRequests", String(limits.maxRequests));
  }
  if (limits.maxDurationMs !== undefined) {
    const stagesMs = spec.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
    const warmupMs = spec.warmupDurationMs ?? 0;
    let durationMs: number | undefined;
    let field = "duration";
    if (spec.numRequests !== undefined) {
      field = "numRequests";
      durationMs = spec.qps > 0 ? (spec.numRequests / spec.qps) * 1000 : undefined;
    } else {
      durationMs = spec.durationMs ?? stagesMs;
      if (spec.durationMs === undefined) field = "stages";
    }
    if (durationMs !== undefined && durationMs + warmupMs > limits.maxDurationMs) {
      exceed(field, `a run of ${formatDurationMs(durationMs + warmupMs)}`, "maxDuration", formatDurationMs(limits.maxDurationMs));
    }
  }
}
