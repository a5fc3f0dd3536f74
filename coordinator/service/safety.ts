/**
 * What the coordinator refuses at submit: load targets off its allow-list, and load beyond its
 * limits. The allow-list itself (patterns, protected addresses, resolution at connect time) is
 * core/egress; here a host is checked as written, and names that only an address pattern could
 * allow are resolved by `checkExperimentTargets`.
 */
import { isIP } from "node:net";
import { ErrorCode, ValidationError, compileAllowList, findTargetNotAllowed, formatDurationMs } from "../../core/index.js";
import type { ActionCommon, AllowList, EgressGuard, Experiment, GrpcTaskSpec, HttpTaskSpec } from "../../core/index.js";
import type { Limits } from "./config.js";

export { compileAllowList };
export type { AllowList };

type Location = Experiment["tasks"][number]["location"];

/** A URL the experiment's load reaches, with the field that names it. */
interface LoadTarget {
  readonly url: string;
  readonly field: string;
  readonly location: Location;
}

function loadTargets(experiment: Experiment): LoadTarget[] {
  const targets: LoadTarget[] = [];
  for (const entry of experiment.tasks) {
    if (entry.spec.task !== "http") continue;
    const spec = entry.spec;
    const base = `spec[${entry.index}].with`;
    spec.versions.forEach((version, v) => {
      const versionField = spec.versions.length === 1 && version.name === "default" ? `${base}.url` : `${base}.versions[${v}].url`;
      targets.push({ url: version.request.url, field: versionField, location: entry.location });
      for (const [endpoint, request] of Object.entries(version.endpoints)) {
        targets.push({ url: request.url, field: `${base}.endpoints.${endpoint}.url`, location: entry.location });
      }
    });
  }
  return targets;
}

/** Action URLs written literally (no template, no secret reference): checked at submit as written. */
function actionTargets(experiment: Experiment): LoadTarget[] {
  const targets: LoadTarget[] = [];
  for (const entry of experiment.tasks) {
    const spec = entry.spec;
    const base = `spec[${entry.index}].with`;
    let written: [string, string] | undefined;
    if (spec.task === "notify" || spec.task === "slack" || spec.task === "cloudevent") written = [spec.url, "url"];
    else if (spec.task === "github" && spec.apiUrl) written = [spec.apiUrl, "apiUrl"];
    if (written && /^https?:\/\//i.test(written[0]) && !/\$\{|\{\{/.test(written[0])) {
      targets.push({ url: written[0], field: `${base}.${written[1]}`, location: entry.location });
    }
  }
  return targets;
}

/**
 * Throws a ValidationError (TARGET_NOT_ALLOWED or LIMIT_EXCEEDED) naming the field, e.g.
 * `spec[0].with.qps`, and the limit, for the first task that breaks the rules. Load targets and
 * literal action URLs are checked as written; a name only an address pattern could allow is left
 * to `checkExperimentTargets` (load targets) or to the connection itself (actions).
 */
export function checkExperimentSafety(experiment: Experiment, allowList: AllowList, limits: Limits): void {
  for (const target of [...loadTargets(experiment), ...actionTargets(experiment)]) {
    const host = hostOf(target);
    if (!allowList.allows(host) && (isIP(bareHost(host)) !== 0 || !allowList.hasAddressPatterns)) throw notAllowed(target, host, allowList);
  }
  for (const entry of experiment.tasks) {
    const base = `spec[${entry.index}].with`;
    const location = { location: entry.location };
    const spec = entry.spec;
    if (spec.task === "http") checkLimits(spec, base, limits, location);
    else if (spec.task === "grpc") checkGrpcLimits(spec, base, limits, location);
    else if ("retries" in spec) checkActionLimits(spec, base, limits, location);
  }
}

/**
 * Resolves the load targets' names that no name pattern allows and checks every address they
 * resolve to (agents check again at connect time). A name that does not resolve is refused.
 */
export async function checkExperimentTargets(experiment: Experiment, guard: EgressGuard): Promise<void> {
  for (const target of loadTargets(experiment)) {
    const host = bareHost(hostOf(target));
    if (isIP(host) !== 0 || guard.allowList.allows(host)) continue;
    try {
      await guard.check(host);
    } catch (error) {
      const refusal = findTargetNotAllowed(error);
      if (refusal) throw refusal.withField(target.field, "load target", guard.allowList.patterns);
      throw notAllowed(target, host, guard.allowList, ` (it does not resolve: ${error instanceof Error ? error.message : String(error)})`);
    }
  }
}

function bareHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, "");
}

function hostOf(target: LoadTarget): string {
  try {
    return new URL(target.url).hostname;
  } catch (cause) {
    throw new ValidationError(ErrorCode.WrongType, `${target.field}: "${target.url}" is not a URL`, { field: target.field, cause, location: target.location });
  }
}

function notAllowed(target: LoadTarget, host: string, allowList: AllowList, why = ""): ValidationError {
  return new ValidationError(
    ErrorCode.TargetNotAllowed,
    `${target.field}: target host ${host} is not on the coordinator's allow-list${why} (allowedTargets: ${allowList.patterns.join(", ")})`,
    { field: target.field, location: target.location, suggestion: "ask the coordinator's operator to add the host to allowedTargets" },
  );
}

function seriesCount(spec: HttpTaskSpec): number {
  return spec.versions.reduce((sum, version) => sum + Math.max(1, Object.keys(version.endpoints).length), 0);
}

type Exceed = (field: string, what: string, limitName: string, limitText: string) => never;

function exceeder(base: string, options: { location: Location }): Exceed {
  return (field, what, limitName, limitText) => {
    throw new ValidationError(ErrorCode.LimitExceeded, `${base}.${field}: ${what} exceeds the coordinator's limit ${limitName} ${limitText}`, {
      field: `${base}.${field}`,
      ...options,
      suggestion: `lower ${field}, or ask the coordinator's operator to raise limits.${limitName}`,
    });
  };
}

function checkTimeout(timeoutMs: number | undefined, limits: Limits, exceed: Exceed): void {
  if (limits.maxTaskTimeoutMs !== undefined && timeoutMs !== undefined && timeoutMs > limits.maxTaskTimeoutMs) {
    exceed("timeout", `a timeout of ${formatDurationMs(timeoutMs)}`, "maxTaskTimeout", formatDurationMs(limits.maxTaskTimeoutMs));
  }
}

function checkActionLimits(spec: ActionCommon, base: string, limits: Limits, options: { location: Location }): void {
  const exceed = exceeder(base, options);
  if (limits.maxRetries !== undefined && spec.retries !== undefined && spec.retries > limits.maxRetries) {
    exceed("retries", `${spec.retries} retries`, "maxRetries", String(limits.maxRetries));
  }
  checkTimeout(spec.timeoutMs, limits, exceed);
}

function checkGrpcLimits(spec: GrpcTaskSpec, base: string, limits: Limits, options: { location: Location }): void {
  const exceed = exceeder(base, options);
  // One series per version and endpoint, each with the task's load (ghz's names in messages).
  const series = spec.versions.reduce((sum, version) => sum + Math.max(1, Object.keys(version.endpoints).length), 0);
  const total = (value: number, unit: string): string =>
    series === 1 ? `${value}${unit}` : `${value}${unit} per series × ${series} series = ${value * series}${unit}`;
  const peakQps = Math.max(spec.qps, ...spec.stages.map((stage) => stage.qps));
  if (limits.maxQps !== undefined && (peakQps === 0 || peakQps * series > limits.maxQps)) {
    exceed("rps", peakQps === 0 ? "an unlimited rate" : total(peakQps, " rps"), "maxQps", `${limits.maxQps} qps`);
  }
  if (limits.maxConnections !== undefined && spec.connections * series > limits.maxConnections) {
    exceed("concurrency", total(spec.connections, " concurrent calls"), "maxConnections", String(limits.maxConnections));
  }
  const warmup = spec.warmupNumRequests ?? 0;
  if (limits.maxRequests !== undefined && spec.numRequests !== undefined && (spec.numRequests + warmup) * series > limits.maxRequests) {
    exceed("total", total(spec.numRequests + warmup, " calls"), "maxRequests", String(limits.maxRequests));
  }
  const stagesMs = spec.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  const durationMs = spec.durationMs ?? (stagesMs > 0 ? stagesMs : undefined);
  if (limits.maxDurationMs !== undefined && durationMs !== undefined && durationMs > limits.maxDurationMs) {
    exceed("duration", `a run of ${formatDurationMs(durationMs)}`, "maxDuration", formatDurationMs(limits.maxDurationMs));
  }
  checkTimeout(spec.timeoutMs, limits, exceed);
}

function checkLimits(spec: HttpTaskSpec, base: string, limits: Limits, options: { location: Location }): void {
  const series = seriesCount(spec);
  const total = (value: number, unit: string): string =>
    series === 1 ? `${value}${unit}` : `${value}${unit} per series × ${series} series = ${value * series}${unit}`;
  const exceed = exceeder(base, options);
  if (limits.maxQps !== undefined) {
    const peakQps = Math.max(spec.qps, ...spec.stages.map((stage) => stage.qps));
    const field = spec.stages.some((stage) => stage.qps > spec.qps) ? "stages" : "qps";
    if (peakQps === 0) exceed(field, "an unlimited rate (qps 0)", "maxQps", `${limits.maxQps} qps`);
    if (peakQps * series > limits.maxQps) exceed(field, total(peakQps, " qps"), "maxQps", `${limits.maxQps} qps`);
  }
  if (limits.maxConnections !== undefined && spec.connections * series > limits.maxConnections) {
    exceed("connections", total(spec.connections, " connections"), "maxConnections", String(limits.maxConnections));
  }
  const warmupRequests = spec.warmupNumRequests ?? 0;
  if (limits.maxRequests !== undefined) {
    if (warmupRequests * series > limits.maxRequests) {
      exceed("warmupNumRequests", total(warmupRequests, " warm-up requests"), "maxRequests", String(limits.maxRequests));
    }
    if (spec.numRequests !== undefined && (spec.numRequests + warmupRequests) * series > limits.maxRequests) {
      const what = warmupRequests > 0 ? total(spec.numRequests + warmupRequests, " requests (warm-up included)") : total(spec.numRequests, " requests");
      exceed("numRequests", what, "maxRequests", String(limits.maxRequests));
    }
  }
  if (limits.maxDurationMs !== undefined) {
    const stagesMs = spec.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
    const warmupMs = (spec.warmupDurationMs ?? 0) + (warmupRequests > 0 && spec.qps > 0 ? (warmupRequests / spec.qps) * 1000 : 0);
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
  checkTimeout(spec.timeoutMs, limits, exceed);
}
