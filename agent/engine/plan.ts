/**
 * A ShardSpec (protobuf, as the coordinator sent it) compiled into the plain, validated, defaulted
 * form the engine runs. Compiling is the only place that reads the proto message and applies
 * defaults; everything downstream trusts the plan.
 */
import { ErrorCode, ValidationError, compileAllowList, createEgressGuard, toAssayError } from "../../core/index.js";
import type { EgressGuard, GrpcCallInit, SeriesLoadInit, ShardSpecInit } from "../../core/index.js";

/** Report every second unless the spec says otherwise. */
export const DEFAULT_REPORT_INTERVAL_MS = 1000;
/** Per-request timeout unless the spec says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/**
 * Open model: requests whose intended time came while every connection was busy wait in a queue of
 * at most this many entries (per series) before further late requests are counted as dropped.
 */
export const DEFAULT_MAX_QUEUE = 10_000;
/** gRPC connect timeout unless the call says otherwise (ghz's default). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Redirects followed when followRedirects is on and maxRedirects is 0. */
export const DEFAULT_MAX_REDIRECTS = 10;

export interface RequestPlan {
  readonly url: URL;
  /** `scheme://host:port`. */
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  readonly method: string;
  /** Flat `[name, value, name, value, …]`, content-type included when set. */
  readonly headers: readonly string[];
  readonly body: Buffer | null;
  readonly bodyBytes: number;
}

/** One stage of an open-model ramp: the rate moves linearly to `qps` over `durationMs`. */
export interface StagePlan {
  readonly durationMs: number;
  readonly qps: number;
}

export type ModelPlan =
  | { readonly kind: "closed"; readonly maxQps: number }
  | { readonly kind: "open"; readonly qps: number; readonly stages: readonly StagePlan[] };

export type GrpcCallKind = "unary" | "client-streaming" | "server-streaming" | "bidi-streaming";

/** A gRPC series' call (SeriesLoad.grpc): the method, its encoded messages, how to connect. */
export interface GrpcCallPlan {
  readonly host: string;
  /** `/package.Service/Method`. */
  readonly methodPath: string;
  readonly kind: GrpcCallKind;
  readonly messages: readonly Buffer[];
  readonly metadata: readonly (readonly [string, string])[];
  /** HTTP/2 connections (channels), at most the series' connections. */
  readonly connections: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveMs: number;
  /** ghz's streaming options (0 = not set; proto GrpcCall). */
  readonly stream: { readonly intervalMs: number; readonly callDurationMs: number; readonly callCount: number };
  readonly authority: string;
  /** null = plaintext. */
  readonly tls: { readonly caCert: Buffer | null; readonly certChain: Buffer | null; readonly privateKey: Buffer | null; readonly skipVerify: boolean; readonly serverName: string } | null;
}

export interface SeriesPlan {
  readonly version: string;
  readonly endpoint: string;
  /** For a gRPC series, the HTTP/2 request its calls are (POST https?://host/package.Service/Method), for byte counts. */
  readonly request: RequestPlan;
  /** Set for a gRPC series: its client is the gRPC one (grpc-client.ts). */
  readonly grpc?: GrpcCallPlan | undefined;
  readonly model: ModelPlan;
  /** Counted requests (closed) or intended sends (open); 0 = run for the shard's duration. */
  readonly numRequests: number;
  readonly warmupNumRequests: number;
  readonly connections: number;
}

export interface StatusRangePlan {
  /** Inclusive; 0 = open. */
  readonly lower: number;
  /** Inclusive; 0 = open. */
  readonly upper: number;
}

export interface ShardPlan {
  readonly series: readonly SeriesPlan[];
  readonly durationMs: number;
  readonly warmupDurationMs: number;
  readonly reportIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly insecureSkipVerify: boolean;
  /** 0 = redirects are not followed (3xx responses are counted as they are). */
  readonly maxRedirects: number;
  /** Empty = status >= 400 is an error. */
  readonly errorRanges: readonly StatusRangePlan[];
  readonly maxQueue: number;
  /** The coordinator service's allow-list, checked at every connection (undefined: unrestricted). */
  readonly egress: EgressGuard | undefined;
}

function invalid(message: string, field: string): ValidationError {
  return new ValidationError(ErrorCode.BadShard, `shard: ${message}`, { field });
}

function nonNegative(value: number | null | undefined, field: string): number {
  const n = value ?? 0;
  if (!Number.isFinite(n) || n < 0) throw invalid(`${field} must be a non-negative number, got ${n}`, field);
  return n;
}

function compileRequest(series: SeriesLoadInit, field: string): RequestPlan {
  const spec = series.request;
  if (!spec?.url) throw invalid("request.url is missing", `${field}.request.url`);
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch (cause) {
    throw new ValidationError(ErrorCode.BadShard, `shard: "${spec.url}" is not a URL`, { field: `${field}.request.url`, cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(`"${spec.url}" is not an http(s) URL`, `${field}.request.url`);
  }
  const headers: string[] = [];
  let hasContentType = false;
  for (const [i, header] of (spec.headers ?? []).entries()) {
    const name = header.name ?? "";
    if (name === "") throw invalid("header without a name", `${field}.request.headers[${i}]`);
    if (name.toLowerCase() === "content-type") hasContentType = true;
    headers.push(name, header.value ?? "");
  }
  if (spec.contentType && !hasContentType) headers.push("content-type", spec.contentType);
  const body = spec.body && spec.body.length > 0 ? Buffer.from(spec.body) : null;
  return {
    url,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: spec.method ? spec.method.toUpperCase() : body ? "POST" : "GET",
    headers,
    body,
    bodyBytes: body?.length ?? 0,
  };
}

const GRPC_KINDS: readonly GrpcCallKind[] = ["unary", "client-streaming", "server-streaming", "bidi-streaming"];

function compileGrpc(call: GrpcCallInit, connections: number, field: string): GrpcCallPlan {
  if (!call.host) throw invalid("grpc.host is missing", `${field}.host`);
  if (!call.methodPath || !/^\/[^/]+\/[^/]+$/.test(call.methodPath)) throw invalid(`grpc.methodPath must be /package.Service/Method, got "${call.methodPath ?? ""}"`, `${field}.methodPath`);
  const kind = GRPC_KINDS.find((k) => k === call.kind);
  if (kind === undefined) throw invalid(`grpc.kind must be one of ${GRPC_KINDS.join(", ")}, got "${call.kind ?? ""}"`, `${field}.kind`);
  const bytes = (value: Uint8Array | null | undefined): Buffer | null => (value && value.length > 0 ? Buffer.from(value) : null);
  return {
    host: call.host,
    methodPath: call.methodPath,
    kind,
    messages: (call.messages ?? []).map((m) => Buffer.from(m)),
    metadata: (call.metadata ?? []).map((h) => [h.name ?? "", h.value ?? ""] as const),
    connections: Math.max(1, Math.min(call.connections ?? 1, connections)),
    connectTimeoutMs: call.connectTimeoutMs || DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveMs: call.keepaliveMs ?? 0,
    stream: { intervalMs: call.streamIntervalMs ?? 0, callDurationMs: call.streamCallDurationMs ?? 0, callCount: call.streamCallCount ?? 0 },
    authority: call.authority ?? "",
    tls: call.tls
      ? { caCert: bytes(call.caCert), certChain: bytes(call.certChain), privateKey: bytes(call.privateKey), skipVerify: call.skipVerify ?? false, serverName: call.serverName ?? "" }
      : null,
  };
}

function grpcRequest(call: GrpcCallPlan): RequestPlan {
  let url: URL;
  try {
    url = new URL(`${call.tls ? "https" : "http"}://${call.host}${call.methodPath}`);
  } catch {
    // A gRPC target that is no URL authority (`dns:///name:port`, `unix:path`).
    url = new URL(`http://grpc.target${call.methodPath}`);
  }
  const first = call.messages[0] ?? null;
  return { url, origin: url.origin, path: call.methodPath, method: "POST", headers: [], body: first, bodyBytes: first?.length ?? 0 };
}

function compileModel(series: SeriesLoadInit, field: string): ModelPlan {
  const model = series.model;
  if (model?.open) {
    const qps = nonNegative(model.open.qps, `${field}.model.open.qps`);
    const stages = (model.open.stages ?? []).map((stage, i) => ({
      durationMs: nonNegative(stage.durationMs, `${field}.model.open.stages[${i}].durationMs`),
      qps: nonNegative(stage.qps, `${field}.model.open.stages[${i}].qps`),
    }));
    if (stages.length === 0 && qps === 0) throw invalid("open model needs qps > 0 or stages", `${field}.model.open`);
    if (stages.length > 0 && stages.every((s) => s.qps === 0)) {
      throw invalid("open model stages never reach a rate above 0", `${field}.model.open.stages`);
    }
    return { kind: "open", qps, stages };
  }
  if (model?.closed) return { kind: "closed", maxQps: nonNegative(model.closed.maxQps, `${field}.model.closed.maxQps`) };
  throw invalid("load model is missing (open or closed)", `${field}.model`);
}

function compileSeries(series: SeriesLoadInit, i: number, durationMs: number): SeriesPlan {
  const field = `series[${i}]`;
  const model = compileModel(series, field);
  const numRequests = nonNegative(series.numRequests, `${field}.numRequests`);
  const connections = series.connections ?? 0;
  if (!Number.isInteger(connections) || connections < 1) throw invalid(`connections must be at least 1, got ${connections}`, `${field}.connections`);
  if (numRequests === 0 && durationMs === 0 && !(model.kind === "open" && model.stages.length > 0)) {
    throw invalid("no end: set numRequests, a duration or (open model) stages", field);
  }
  if (model.kind === "open" && numRequests > 0 && model.stages.length > 0 && model.stages.at(-1)?.qps === 0) {
    throw invalid("numRequests with stages that end at qps 0 may never complete", `${field}.model.open.stages`);
  }
  const grpc = series.grpc ? compileGrpc(series.grpc, connections, `${field}.grpc`) : undefined;
  return {
    version: series.version ?? "",
    endpoint: series.endpoint ?? "",
    request: grpc ? grpcRequest(grpc) : compileRequest(series, field),
    ...(grpc ? { grpc } : {}),
    model,
    numRequests,
    warmupNumRequests: nonNegative(series.warmupNumRequests, `${field}.warmupNumRequests`),
    connections,
  };
}

/** Validates a ShardSpec and applies defaults. Throws ValidationError (code SHARD_INVALID). */
export function compileShard(spec: ShardSpecInit): ShardPlan {
  const durationMs = nonNegative(spec.durationMs, "durationMs");
  const series = spec.series ?? [];
  if (series.length === 0) throw invalid("no series to load", "series");
  const errorRanges = (spec.errorRanges ?? []).map((range) => ({ lower: range.lower ?? 0, upper: range.upper ?? 0 }));
  return {
    series: series.map((s, i) => compileSeries(s, i, durationMs)),
    durationMs,
    warmupDurationMs: nonNegative(spec.warmupDurationMs, "warmupDurationMs"),
    reportIntervalMs: spec.reportIntervalMs || DEFAULT_REPORT_INTERVAL_MS,
    requestTimeoutMs: spec.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS,
    insecureSkipVerify: spec.insecureSkipVerify ?? false,
    maxRedirects: spec.followRedirects ? spec.maxRedirects || DEFAULT_MAX_REDIRECTS : 0,
    errorRanges,
    maxQueue: spec.maxQueue || DEFAULT_MAX_QUEUE,
    egress: egressOf(spec.allowedTargets ?? []),
  };
}

function egressOf(patterns: readonly string[]): EgressGuard | undefined {
  if (patterns.length === 0) return undefined;
  try {
    return createEgressGuard(compileAllowList(patterns, "shard", "allowedTargets"));
  } catch (error) {
    throw invalid(toAssayError(error).message, "allowedTargets");
  }
}

/** Whether a status code counts as an error under `ranges` (empty = status >= 400). */
export function isErrorStatus(ranges: readonly StatusRangePlan[], statusCode: number): boolean {
  if (ranges.length === 0) return statusCode >= 400;
  for (const range of ranges) {
    if ((range.lower === 0 || statusCode >= range.lower) && (range.upper === 0 || statusCode <= range.upper)) return true;
  }
  return false;
}
