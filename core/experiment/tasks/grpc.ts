/**
 * The `grpc` task (Iter8's, built on ghz): ghz's config keys as Iter8 passes them through, Iter8
 * v0.8's `versionInfo` and `JSONDataURL`-style URLs, Iter8's chart keys (`protoURL`, `dataURL`,
 * `metadataURL`, `binaryDataURL`, `endpoints`, `warmup`), and Assay's load spellings (`qps`,
 * `stages`, `numRequests`, `loadModel`, `versions`, `agents`). Defaults are ghz's, which Iter8
 * keeps: 200 calls, concurrency 50, no rate limit, 20s deadline, 10s connect timeout, 1 connection.
 */
import { resolve } from "node:path";
import { ErrorCode } from "../../errors.js";
import type { ParseContext } from "../fields.js";
import { Count, Fields, RATE, checkString, defineOwn } from "../fields.js";
import { LoadModelKind, TaskName } from "../model.js";
import type { GrpcCallSpec, GrpcEndpointSpec, GrpcLoadSpec, GrpcTaskSpec, GrpcTlsSpec, GrpcVersionSpec, StageSpec } from "../model.js";
import { childPath, shorten } from "../problems.js";
import type { Anchor } from "../problems.js";
import { toPlain } from "../tree.js";
import type { TreeNode } from "../tree.js";
import { modelOf, openEndpoints, parseAgents, parsePercentiles, parseStages } from "./http.js";

/** ghz's defaults, which Iter8's grpc task keeps (its connect timeout default is 10s too). */
export const GRPC_DEFAULTS = {
  total: 200,
  concurrency: 50,
  connections: 1,
  timeoutMs: 20_000,
  connectTimeoutMs: 10_000,
} as const;

const CALL_FIELDS = [
  "host",
  "call",
  "proto",
  "protoFile",
  "protoURL",
  "protoset",
  "protosetURL",
  "import-paths",
  "data",
  "data-file",
  "dataURL",
  "JSONDataURL",
  "binaryData",
  "binary-file",
  "binaryDataURL",
  "metadata",
  "metadata-file",
  "metadataURL",
  "reflect-metadata",
] as const;
const TLS_FIELDS = ["insecure", "skipTLS", "cacert", "cert", "key", "cname", "authority"] as const;
const TIMING_FIELDS = ["timeout", "connect-timeout", "dial-timeout", "keepalive", "stream-interval", "stream-call-duration", "stream-call-count"] as const;
const LOAD_FIELDS = [
  "total",
  "numRequests",
  "duration",
  "rps",
  "qps",
  "concurrency",
  "connections",
  "loadModel",
  "stages",
  "warmupNumRequests",
  "warmupDuration",
  "skipFirst",
  "warmup",
  "percentiles",
  "agents",
] as const;
/**
 * ghz keys that change nothing in how the load is generated or counted here, accepted as Iter8
 * accepts them: `count-errors` (Iter8 forces it on), report output options, and the misspelt
 * `connect-timeeout` every Iter8 gRPC testdata file carries (Go's decoder ignored it; so do we).
 */
const INERT_FIELDS = ["count-errors", "connect-timeeout", "format", "output", "name", "tags", "cpus", "debug", "load-schedule", "concurrency-schedule"] as const;
const STRUCTURE_FIELDS = ["versions", "versionInfo", "endpoints"] as const;
const TASK_FIELDS = [...CALL_FIELDS, ...TLS_FIELDS, ...TIMING_FIELDS, ...LOAD_FIELDS, ...INERT_FIELDS, ...STRUCTURE_FIELDS] as const;
const ENDPOINT_LOAD_FIELDS = ["total", "numRequests", "concurrency", "rps", "qps"] as const;
const ENDPOINT_FIELDS = [...CALL_FIELDS, ...ENDPOINT_LOAD_FIELDS] as const;
const VERSION_FIELDS = ["name", "host", "call"] as const;
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** A call's fields as written at one level; undefined = not written there. */
type CallLayer = { -readonly [K in keyof GrpcCallSpec]?: GrpcCallSpec[K] };

/** Validates the `with:` of a `grpc` task (and `gen-load-and-collect-metrics-grpc`). */
export function parseGrpcTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): GrpcTaskSpec | undefined {
  const f = Fields.of(ctx, withNode, path, TASK_FIELDS, what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  for (const key of ["load-schedule", "concurrency-schedule"] as const) {
    const value = f.string(key);
    if (value !== undefined && value !== "const") {
      ctx.problems.report(ErrorCode.Unsupported, f.get(key) ?? f.anchor, f.pathOf(key), `only "const" is supported; write a ramp as stages: [{duration, qps}, ...]`);
    }
  }
  f.boolean("count-errors");
  const load = parseTaskLoad(ctx, f);
  const timing = {
    timeoutMs: f.durationMs("timeout", { positive: true }) ?? GRPC_DEFAULTS.timeoutMs,
    connectTimeoutMs: f.durationMs(f.has("dial-timeout") ? "dial-timeout" : "connect-timeout", { positive: true }) ?? GRPC_DEFAULTS.connectTimeoutMs,
    keepaliveMs: f.durationMs("keepalive") ?? 0,
    stream: {
      intervalMs: f.durationMs("stream-interval") ?? 0,
      callDurationMs: f.durationMs("stream-call-duration") ?? 0,
      callCount: f.count("stream-call-count", Count.streamMessages) ?? 0,
    },
  };
  if (f.has("dial-timeout") && f.has("connect-timeout")) f.contradiction("connect-timeout", "dial-timeout", "write either {first} or dial-timeout, not both");
  const http2Connections = f.count("connections", Count.connections) ?? GRPC_DEFAULTS.connections;
  if (load !== undefined && http2Connections > load.load.connections) {
    f.contradiction("concurrency", "connections", `connections (${http2Connections}) cannot exceed concurrency (${load.load.connections}): each connection carries at least one call in flight (ghz's rule)`);
  }
  const tls = parseTls(ctx, f);
  const call = parseCallLayer(ctx, f);
  const versions = parseVersions(ctx, f, call);
  const endpoints = load === undefined ? undefined : parseEndpoints(ctx, f, load.load, load.written);
  if (ctx.problems.count > before || load === undefined || tls === undefined || versions === undefined || endpoints === undefined) return undefined;
  const built = buildVersions(ctx, f, versions, endpoints);
  if (built === undefined) return undefined;
  return {
    task: TaskName.Grpc,
    versions: built,
    endpointOrder: endpoints.map((e) => e.name),
    ...load.load,
    warmupNumRequests: load.warmupNumRequests,
    warmupDurationMs: load.warmupDurationMs,
    warmup: f.boolean("warmup") ?? false,
    agents: parseAgents(ctx, f),
    ...timing,
    http2Connections,
    tls,
    ...(f.has("connect-timeeout") ? { ignoredFields: [f.pathOf("connect-timeeout")] } : {}),
  };
}

interface WrittenLoad {
  readonly qps: number | undefined;
  readonly stagesGiven: boolean;
  readonly writtenModel: LoadModelKind | undefined;
}

function parseTaskLoad(ctx: ParseContext, f: Fields): { load: GrpcLoadSpec; written: WrittenLoad; warmupNumRequests: number | undefined; warmupDurationMs: number | undefined } | undefined {
  const before = ctx.problems.count;
  const pairs = [
    ["total", "numRequests"],
    ["rps", "qps"],
    ["skipFirst", "warmupNumRequests"],
  ] as const;
  for (const [ghz, assay] of pairs) if (f.has(ghz) && f.has(assay)) f.contradiction(ghz, assay, `write either {first} (ghz) or ${assay} (Assay), not both`);
  const totalKey = f.has("numRequests") ? "numRequests" : "total";
  const total = f.count(totalKey, Count.requests);
  const durationMs = f.durationMs("duration", { positive: true });
  const qps = f.number(f.has("qps") ? "qps" : "rps", RATE);
  const concurrency = f.count("concurrency", Count.connections) ?? GRPC_DEFAULTS.concurrency;
  const skipKey = f.has("warmupNumRequests") ? "warmupNumRequests" : "skipFirst";
  const skip = f.count(skipKey, Count.warmupRequests);
  const warmupDurationMs = f.durationMs("warmupDuration");
  const stages: StageSpec[] = parseStages(ctx, f);
  const stagesGiven = f.present("stages") !== undefined;
  const writtenModel = f.oneOf("loadModel", [LoadModelKind.Open, LoadModelKind.Closed]);
  const percentiles = parsePercentiles(ctx, f);
  if (stagesGiven && durationMs !== undefined) f.contradiction("stages", "duration", "duration cannot be combined with stages (the stages define the duration)");
  const loadModel = modelOf(writtenModel, stagesGiven, qps);
  if (loadModel === LoadModelKind.Closed && stagesGiven) f.contradiction("loadModel", "stages", 'stages need the open load model, but loadModel is "closed"');
  if (writtenModel === LoadModelKind.Open && !stagesGiven && (qps ?? 0) === 0) {
    f.contradiction("loadModel", f.has("qps") ? "qps" : "rps", "the open load model needs a rate > 0 (rps, qps or stages); without one ghz sends as fast as it can, a closed model");
  }
  // ghz counts skipFirst inside total: `total: 200, skipFirst: 10` makes 200 calls and reports 190.
  const skipInsideTotal = skipKey === "skipFirst" && skip !== undefined && skip > 0;
  let numRequests: number | undefined = total;
  if (total === undefined && durationMs === undefined && !stagesGiven) numRequests = GRPC_DEFAULTS.total;
  if (skipInsideTotal && numRequests !== undefined) {
    if (skip >= numRequests) f.contradiction(totalKey, "skipFirst", `skipFirst (${skip}) must be below total (${numRequests}): ghz counts the skipped calls inside total`);
    numRequests -= skip;
  }
  const stagesMs = stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  if (ctx.problems.count > before) return undefined;
  const load: GrpcLoadSpec = {
    numRequests,
    durationMs: numRequests === undefined ? (durationMs ?? stagesMs) : stagesGiven ? stagesMs : undefined,
    qps: qps ?? (stagesGiven ? Math.max(...stages.map((stage) => stage.qps)) : 0),
    connections: concurrency,
    loadModel,
    stages,
    percentiles,
  };
  return { load, written: { qps, stagesGiven, writtenModel }, warmupNumRequests: skip !== undefined && skip > 0 ? skip : undefined, warmupDurationMs };
}

function parseTls(ctx: ParseContext, f: Fields): GrpcTlsSpec | undefined {
  const before = ctx.problems.count;
  const insecure = f.boolean("insecure");
  const skipVerify = f.boolean("skipTLS") ?? false;
  const file = (key: string): string | undefined => {
    const value = f.string(key);
    return value === undefined ? undefined : resolve(ctx.baseDir, value);
  };
  const caCertFile = file("cacert");
  const certFile = file("cert");
  const keyFile = file("key");
  const serverName = f.string("cname");
  const authority = f.string("authority");
  if ((certFile === undefined) !== (keyFile === undefined)) f.missing(certFile === undefined ? "cert" : "key", "mutual TLS needs both cert and key");
  const tlsWanted = skipVerify || caCertFile !== undefined || certFile !== undefined || serverName !== undefined;
  if (insecure === true && tlsWanted) {
    const tlsKey = ["skipTLS", "cacert", "cert", "cname"].find((key) => f.has(key)) ?? "skipTLS";
    f.contradiction("insecure", tlsKey, `insecure: true means plaintext, but ${tlsKey} configures TLS; drop one`);
  }
  if (ctx.problems.count > before) return undefined;
  return { plaintext: insecure ?? !tlsWanted, skipVerify, caCertFile, certFile, keyFile, serverName, authority };
}

/** The call fields written at one level (task or endpoint). URL > file > inline, binary over JSON. */
function parseCallLayer(ctx: ParseContext, f: Fields): CallLayer {
  const layer: CallLayer = {};
  const path = (key: string): string | undefined => {
    const value = f.string(key);
    return value === undefined ? undefined : resolve(ctx.baseDir, value);
  };
  const host = f.string("host");
  if (host !== undefined) layer.host = host;
  const call = f.string("call");
  if (call !== undefined) layer.call = normaliseCall(ctx, f, call);
  if (f.has("proto") && f.has("protoFile")) f.contradiction("proto", "protoFile", "write either {first} or protoFile, not both");
  const proto = path(f.has("protoFile") ? "protoFile" : "proto");
  if (proto !== undefined) layer.proto = proto;
  const protoURL = f.url("protoURL");
  if (protoURL !== undefined) layer.protoURL = protoURL;
  const protoset = path("protoset");
  if (protoset !== undefined) layer.protoset = protoset;
  const protosetURL = f.url("protosetURL");
  if (protosetURL !== undefined) layer.protosetURL = protosetURL;
  const imports = f.list("import-paths", "a list of directories");
  if (imports !== undefined) {
    layer.importPaths = imports.items.flatMap((item, i) => {
      const text = checkString(ctx, item, childPath(f.pathOf("import-paths"), i));
      return text === undefined ? [] : [resolve(ctx.baseDir, text)];
    });
  }
  const dataNode = f.present("data");
  if (dataNode !== undefined) layer.data = parseData(ctx, f, dataNode);
  const dataFile = path("data-file");
  if (dataFile !== undefined) layer.dataFile = dataFile;
  if (f.has("dataURL") && f.has("JSONDataURL")) f.contradiction("dataURL", "JSONDataURL", "write either {first} or JSONDataURL (its Iter8 v0.8 name), not both");
  const dataURL = f.url(f.has("JSONDataURL") ? "JSONDataURL" : "dataURL");
  if (dataURL !== undefined) layer.dataURL = dataURL;
  const binary = f.string("binaryData");
  if (binary !== undefined) {
    if (BASE64.test(binary)) layer.binaryData = new Uint8Array(Buffer.from(binary, "base64"));
    else ctx.problems.report(ErrorCode.OutOfRange, f.get("binaryData") ?? f.anchor, f.pathOf("binaryData"), "expected the serialized message in base64");
  }
  const binaryFile = path("binary-file");
  if (binaryFile !== undefined) layer.binaryFile = binaryFile;
  const binaryDataURL = f.url("binaryDataURL");
  if (binaryDataURL !== undefined) layer.binaryDataURL = binaryDataURL;
  const metadata = f.headers("metadata");
  if (metadata !== undefined) layer.metadata = metadata;
  const metadataFile = path("metadata-file");
  if (metadataFile !== undefined) layer.metadataFile = metadataFile;
  const metadataURL = f.url("metadataURL");
  if (metadataURL !== undefined) layer.metadataURL = metadataURL;
  const reflectMetadata = f.headers("reflect-metadata");
  if (reflectMetadata !== undefined) layer.reflectMetadata = reflectMetadata;
  return layer;
}

/** `package.Service.Method` and `package.Service/Method` both name a method; kept as written, checked for shape. */
function normaliseCall(ctx: ParseContext, f: Fields, call: string): string {
  if (!/^[A-Za-z_][\w.]*[./][A-Za-z_]\w*$/.test(call) || !/[./]/.test(call)) {
    ctx.problems.report(ErrorCode.OutOfRange, f.get("call") ?? f.anchor, f.pathOf("call"), `expected a fully-qualified method, package.Service.Method or package.Service/Method, got ${JSON.stringify(shorten(call))}`);
  }
  return call;
}

function parseData(ctx: ParseContext, f: Fields, node: TreeNode): unknown {
  const value = toPlain(node);
  const isObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every(isObject)) return value;
  ctx.problems.report(ErrorCode.WrongType, node, f.pathOf("data"), "expected the call data as a map (one message) or a non-empty list of maps (a stream, or calls in turn)");
  return undefined;
}

interface RawVersion {
  readonly name: string;
  readonly layer: CallLayer;
}

function parseVersions(ctx: ParseContext, f: Fields, task: CallLayer): RawVersion[] | undefined {
  if (f.has("versions") && f.has("versionInfo")) {
    f.contradiction("versions", "versionInfo", "write either {first} or versionInfo (its Iter8 v0.8 name), not both");
    return undefined;
  }
  const key = f.has("versionInfo") ? "versionInfo" : f.has("versions") ? "versions" : undefined;
  if (key === undefined) return [{ name: "default", layer: task }];
  const list = f.list(key, "a list of versions {name, host, call}");
  if (list === undefined) return undefined;
  const before = ctx.problems.count;
  const seen = new Set<string>();
  const versions: RawVersion[] = [];
  list.items.forEach((item, i) => {
    if (item.kind === "scalar" && item.value === null) return;
    const v = Fields.of(ctx, item, childPath(f.pathOf(key), i), VERSION_FIELDS, "a version");
    if (v === undefined) return;
    const name = v.string("name") ?? `v${i + 1}`;
    if (!VERSION_NAME.test(name)) ctx.problems.report(ErrorCode.OutOfRange, v.get("name") ?? item, v.pathOf("name"), `version names use letters, digits, ".", "_" and "-", got ${JSON.stringify(shorten(name))}`);
    if (seen.has(name)) ctx.problems.report(ErrorCode.Contradiction, v.get("name") ?? item, v.pathOf("name"), `version name ${JSON.stringify(shorten(name))} is used twice`);
    seen.add(name);
    const own = parseCallLayer(ctx, v);
    versions.push({ name, layer: { ...task, ...own } });
  });
  if (ctx.problems.count > before) return undefined;
  if (versions.length === 0) {
    ctx.problems.report(ErrorCode.MissingField, list, f.pathOf(key), "expected at least one version");
    return undefined;
  }
  return versions;
}

interface RawEndpoint {
  readonly name: string;
  readonly path: string;
  readonly node: TreeNode;
  readonly layer: CallLayer;
  readonly load: GrpcLoadSpec;
  readonly loadOverrides: readonly string[];
}

function parseEndpoints(ctx: ParseContext, f: Fields, task: GrpcLoadSpec, written: WrittenLoad): RawEndpoint[] | undefined {
  const before = ctx.problems.count;
  const opened = openEndpoints(ctx, f, { kind: "grpc", fields: ENDPOINT_FIELDS, description: "a map of endpoint name to {host, call, data, total, ...}" });
  if (opened === undefined) return undefined;
  const endpoints: RawEndpoint[] = [];
  for (const { name: key, path, node: value, fields: e } of opened) {
    const layer = parseCallLayer(ctx, e);
    for (const [ghz, assay] of [["total", "numRequests"], ["rps", "qps"]] as const) {
      if (e.has(ghz) && e.has(assay)) e.contradiction(ghz, assay, `write either {first} or ${assay}, not both`);
    }
    const total = e.count(e.has("numRequests") ? "numRequests" : "total", Count.requests);
    const concurrency = e.count("concurrency", Count.connections);
    const qps = e.number(e.has("qps") ? "qps" : "rps", RATE);
    if (written.stagesGiven && qps !== undefined) e.contradiction("stages", e.has("qps") ? "qps" : "rps", "the task's stages define the rate; an endpoint cannot set its own");
    if (total !== undefined && task.numRequests === undefined) {
      e.contradiction("duration", e.has("numRequests") ? "numRequests" : "total", "the task runs for a duration; an endpoint cannot set a call count of its own");
    }
    const effectiveQps = qps ?? written.qps;
    const load: GrpcLoadSpec = {
      ...task,
      numRequests: total ?? task.numRequests,
      qps: qps ?? task.qps,
      connections: concurrency ?? task.connections,
      loadModel: modelOf(written.writtenModel, written.stagesGiven, effectiveQps),
    };
    const loadOverrides = e.node.entries.map((entry) => ENDPOINT_LOAD_FIELDS.find((name) => name.toLowerCase() === entry.key.toLowerCase())).filter((name) => name !== undefined);
    endpoints.push({ name: key, path, node: value, layer, load, loadOverrides });
  }
  return ctx.problems.count > before ? undefined : endpoints;
}

function buildVersions(ctx: ParseContext, f: Fields, versions: readonly RawVersion[], endpoints: readonly RawEndpoint[]): GrpcVersionSpec[] | undefined {
  const before = ctx.problems.count;
  const out = versions.map((version): GrpcVersionSpec => {
    const byEndpoint: Record<string, GrpcEndpointSpec> = {};
    for (const endpoint of endpoints) {
      const call = completeCall(ctx, { ...version.layer, ...endpoint.layer }, endpoint.node, endpoint.path);
      if (call !== undefined) defineOwn(byEndpoint, endpoint.name, { call, load: endpoint.load, loadOverrides: endpoint.loadOverrides });
    }
    // With endpoints, the version's own call may be incomplete (Iter8: every endpoint names its own).
    const call = endpoints.length > 0 ? completeCall(ctx, version.layer, f.anchor, f.path, true) : completeCall(ctx, version.layer, f.anchor, f.path);
    return { name: version.name, call: call ?? placeholderCall(version.layer), endpoints: byEndpoint };
  });
  return ctx.problems.count > before ? undefined : out;
}

function completeCall(ctx: ParseContext, layer: CallLayer, anchor: Anchor, path: string, quiet = false): GrpcCallSpec | undefined {
  if (layer.host === undefined || layer.call === undefined) {
    if (!quiet) {
      const missing = layer.host === undefined ? "host" : "call";
      ctx.problems.report(ErrorCode.MissingField, anchor, childPath(path, missing), `the grpc task needs ${missing} (on the task, on each version, or on each endpoint)`);
    }
    return undefined;
  }
  return placeholderCall(layer);
}

function placeholderCall(layer: CallLayer): GrpcCallSpec {
  return {
    ...layer,
    host: layer.host ?? "",
    call: layer.call ?? "",
    proto: layer.proto,
    protoset: layer.protoset,
    importPaths: layer.importPaths ?? [],
    data: layer.data,
    metadata: layer.metadata ?? {},
    reflectMetadata: layer.reflectMetadata ?? {},
  };
}
