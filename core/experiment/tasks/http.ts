import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ErrorCode } from "../../errors.js";
import type { ParseContext } from "../fields.js";
import { Count, Fields, RATE, checkNumber, checkString, checkUrl, defineOwn, hasControlCharacter } from "../fields.js";
import { VALUE_LIMITS } from "../limits.js";
import { DEFAULT_PERCENTILES, LoadModelKind, TaskName } from "../model.js";
import type { AgentSelection, HttpEndpointSpec, HttpLoadSpec, HttpRequestSpec, HttpTaskSpec, HttpVersionSpec, StageSpec, StatusRangeSpec } from "../model.js";
import { childPath, describeNode, shorten } from "../problems.js";
import type { TreeNode } from "../tree.js";

/** Iter8's defaults for the http task, plus Assay's per-request timeout. */
export const HTTP_DEFAULTS = {
  numRequests: 100,
  qps: 8,
  connections: 4,
  timeoutMs: 30_000,
} as const;

const HTTP_FIELDS = [
  "url",
  "versions",
  "versionInfo",
  "headers",
  "numRequests",
  "numQueries",
  "duration",
  "time",
  "qps",
  "connections",
  "payloadStr",
  "payloadFile",
  "payloadURL",
  "contentType",
  "method",
  "errorRanges",
  "percentiles",
  "warmupNumRequests",
  "warmupDuration",
  "endpoints",
  "agents",
  "loadModel",
  "stages",
  "timeout",
  "insecureSkipVerify",
  "followRedirects",
  "allowInitialErrors",
  "loadOnly",
  "warmup",
  "concurrentEndpoints",
  "SLOs",
  "iter8lib",
] as const;

/**
 * Keys Iter8's own v0.9–v0.10 charts (load-test-http with iter8lib) dumped into the http task's
 * `with` (toYaml of all values), which Iter8's task ignored: accepted, not applied, and warned
 * about when the task runs (test/compat/SPEC.md §2.1, fixture v10.01). Any other unknown key
 * stays an error.
 */
const CHART_DUMPED_FIELDS = ["SLOs", "iter8lib"] as const;

const VERSION_FIELDS = ["name", "url", "headers"] as const;
const ENDPOINT_REQUEST_FIELDS = ["url", "method", "headers", "payloadStr", "payloadFile", "payloadURL", "contentType"] as const;
/** Load fields an endpoint may set over the task's (Iter8 merges an endpoint over the task). */
const ENDPOINT_LOAD_FIELDS = ["numRequests", "duration", "qps", "connections", "errorRanges", "percentiles"] as const;
const ENDPOINT_FIELDS = [...ENDPOINT_REQUEST_FIELDS, ...ENDPOINT_LOAD_FIELDS, "allowInitialErrors", "warmup"] as const;
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENDPOINT_NAME = /^[A-Za-z0-9_-]+$/;
const METHOD = /^[A-Za-z]+$/;

interface Payload {
  readonly body: Uint8Array | undefined;
  readonly payloadURL: string | undefined;
  readonly contentType: string | undefined;
  readonly method: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

interface RawVersion {
  readonly name: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The task's load fields as written (undefined = not written), before defaults. */
interface WrittenLoad {
  readonly numRequests: number | undefined;
  readonly durationMs: number | undefined;
  readonly qps: number | undefined;
  readonly stages: readonly StageSpec[];
  readonly stagesGiven: boolean;
  readonly writtenModel: LoadModelKind | undefined;
}

/** Validates the `with:` of an `http` task (and its aliases) and applies Iter8's defaults. */
export function parseHttpTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): HttpTaskSpec | undefined {
  const f = Fields.of(ctx, withNode, path, HTTP_FIELDS, what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;

  for (const key of ["numRequests", "duration"] as const) {
    const alias = key === "numRequests" ? "numQueries" : "time";
    if (f.has(key) && f.has(alias)) f.contradiction(key, alias, `write either {first} or ${alias} (its Iter8 v0.8 name), not both`);
  }
  const warmup = f.boolean("warmup") ?? false;
  const concurrentEndpoints = f.boolean("concurrentEndpoints") ?? false;
  f.boolean("allowInitialErrors");
  f.boolean("loadOnly");

  const numRequests = f.count(f.has("numQueries") ? "numQueries" : "numRequests", Count.requests);
  const durationKey = f.has("time") ? "time" : "duration";
  const durationMs = f.durationMs(durationKey);
  const qps = f.number("qps", RATE);
  const connections = f.count("connections", Count.connections) ?? HTTP_DEFAULTS.connections;
  const timeoutMs = f.durationMs("timeout") ?? HTTP_DEFAULTS.timeoutMs;
  const warmupNumRequests = f.count("warmupNumRequests", Count.warmupRequests);
  const warmupDurationMs = f.durationMs("warmupDuration");
  const insecureSkipVerify = f.boolean("insecureSkipVerify") ?? false;
  const followRedirects = f.boolean("followRedirects") ?? false;
  const errorRanges = parseErrorRanges(ctx, f);
  const percentiles = parsePercentiles(ctx, f);
  const agents = parseAgents(ctx, f);
  const stages = parseStages(ctx, f);
  const writtenModel = f.oneOf("loadModel", [LoadModelKind.Open, LoadModelKind.Closed]);

  const payload = parsePayload(ctx, f);
  const versions = parseVersions(ctx, f);

  if (stages.length > 0 && f.present(durationKey) !== undefined) {
    f.contradiction("stages", durationKey, `${durationKey} cannot be combined with stages (the stages define the duration)`);
  }
  const stagesGiven = f.present("stages") !== undefined;
  const loadModel = modelOf(writtenModel, stagesGiven, qps);
  if (loadModel === LoadModelKind.Closed && stagesGiven) {
    f.contradiction("loadModel", "stages", 'stages need the open load model, but loadModel is "closed"');
  }
  if (writtenModel === LoadModelKind.Open && !stagesGiven && qps === 0) {
    f.contradiction("loadModel", "qps", 'the open load model needs qps > 0 (or stages); qps: 0 means "as fast as possible", a closed model');
  }

  const stagesMs = stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  let finalNumRequests: number | undefined = numRequests;
  let finalDurationMs: number | undefined;
  if (numRequests !== undefined) finalDurationMs = stages.length > 0 ? stagesMs : undefined;
  else if (durationMs !== undefined) finalDurationMs = durationMs;
  else if (stages.length > 0) finalDurationMs = stagesMs;
  else finalNumRequests = HTTP_DEFAULTS.numRequests;

  const load: HttpLoadSpec = {
    numRequests: finalNumRequests,
    durationMs: finalDurationMs,
    qps: qps ?? (stages.length > 0 ? Math.max(...stages.map((stage) => stage.qps)) : HTTP_DEFAULTS.qps),
    connections,
    loadModel,
    stages,
    errorRanges,
    percentiles,
  };
  const written: WrittenLoad = { numRequests, durationMs, qps, stages, stagesGiven, writtenModel };
  const endpoints = parseEndpoints(ctx, f, load, written);

  const ignoredFields = CHART_DUMPED_FIELDS.filter((key) => f.has(key)).map((key) => f.pathOf(key));

  if (ctx.problems.count > before || versions === undefined || payload === undefined || endpoints === undefined) return undefined;
  const requests = buildVersions(ctx, f, versions, payload, endpoints);
  if (requests === undefined) return undefined;

  return {
    task: TaskName.Http,
    versions: requests,
    endpointOrder: endpoints.map((endpoint) => endpoint.name),
    ...load,
    warmupNumRequests,
    warmupDurationMs,
    warmup,
    timeoutMs,
    agents,
    insecureSkipVerify,
    followRedirects,
    ...(concurrentEndpoints ? { concurrentEndpoints } : {}),
    ...(ignoredFields.length > 0 ? { ignoredFields } : {}),
  };
}

export function modelOf(written: LoadModelKind | undefined, stagesGiven: boolean, qps: number | undefined): LoadModelKind {
  return written ?? (stagesGiven || (qps !== undefined && qps > 0) ? LoadModelKind.Open : LoadModelKind.Closed);
}

function parseErrorRanges(ctx: ParseContext, f: Fields): StatusRangeSpec[] {
  const list = f.list("errorRanges", "a list of {lower, upper}");
  if (list === undefined) return [];
  const ranges: StatusRangeSpec[] = [];
  list.items.forEach((item, i) => {
    const path = childPath(f.pathOf("errorRanges"), i);
    const range = Fields.of(ctx, item, path, ["lower", "upper"], "an error range");
    if (range === undefined) return;
    const lower = range.number("lower", { integer: true, min: 0, limit: 999 });
    const upper = range.number("upper", { integer: true, min: 0, limit: 999 });
    if (!range.has("lower") && !range.has("upper")) {
      ctx.problems.report(ErrorCode.MissingField, item, path, "an error range needs lower, upper or both");
      return;
    }
    if (lower !== undefined && upper !== undefined && lower > upper) {
      range.contradiction("lower", "upper", `upper (${upper}) is below lower (${lower})`);
      return;
    }
    ranges.push({ lower, upper });
  });
  return ranges;
}

export function parsePercentiles(ctx: ParseContext, f: Fields): number[] {
  const values = new Set(DEFAULT_PERCENTILES);
  const list = f.list("percentiles", "a list of numbers");
  for (const [i, item] of (list?.items ?? []).entries()) {
    const value = checkNumber(ctx, item, childPath(f.pathOf("percentiles"), i), { min: 0, minExclusive: true, max: 100 });
    if (value !== undefined) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

export function parseAgents(ctx: ParseContext, f: Fields): AgentSelection | undefined {
  const node = f.present("agents");
  if (node === undefined) return undefined;
  if (node.kind === "map") {
    const labels = f.stringMap("agents");
    if (labels === undefined) return undefined;
    if (Object.keys(labels).length === 0) {
      ctx.problems.report(ErrorCode.OutOfRange, node, f.pathOf("agents"), "a label selector needs at least one label");
      return undefined;
    }
    return { kind: "selector", labels };
  }
  if (node.kind === "scalar" && typeof node.value === "number") {
    const count = f.count("agents", Count.agents);
    return count === undefined ? undefined : { kind: "count", count };
  }
  ctx.problems.report(ErrorCode.WrongType, node, f.pathOf("agents"), `expected a number of agents or a map of labels, got ${describeNode(node)}`);
  return undefined;
}

export function parseStages(ctx: ParseContext, f: Fields): StageSpec[] {
  const list = f.list("stages", "a list of {duration, qps}");
  if (list === undefined) return [];
  if (list.items.length === 0) {
    ctx.problems.report(ErrorCode.OutOfRange, list, f.pathOf("stages"), "expected at least one stage");
    return [];
  }
  const before = ctx.problems.count;
  const stages: StageSpec[] = [];
  list.items.forEach((item, i) => {
    const stage = Fields.of(ctx, item, childPath(f.pathOf("stages"), i), ["duration", "qps"], "a stage");
    if (stage === undefined) return;
    // 0s is a step: the rate jumps to the stage's qps (docs/load-models.md).
    const durationMs = stage.durationMs("duration", { positive: false });
    const qps = stage.number("qps", RATE, { required: true });
    if (!stage.has("duration")) stage.missing("duration");
    if (durationMs !== undefined && qps !== undefined) stages.push({ durationMs, qps });
  });
  if (ctx.problems.count === before && stages.every((stage) => stage.qps === 0)) {
    ctx.problems.report(ErrorCode.OutOfRange, list, f.pathOf("stages"), "no stage rises above 0 qps, so the load would send nothing; give at least one stage a qps > 0");
  }
  const total = stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  if (ctx.problems.count === before && total === 0 && f.present("numRequests") === undefined) {
    ctx.problems.report(ErrorCode.OutOfRange, list, f.pathOf("stages"), "the stages last 0s in total, so the load would end before it starts; give a stage a duration, or set numRequests");
  }
  if (ctx.problems.count === before && total > VALUE_LIMITS.maxDurationMs) {
    ctx.problems.report(ErrorCode.OutOfRange, list, f.pathOf("stages"), "the stages last more than 7 days (the limit of any duration)");
  }
  return stages;
}

function readPayloadFile(ctx: ParseContext, f: Fields, payloadFile: string, fullPath: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(fullPath));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    ctx.problems.report(ErrorCode.FileNotFound, f.get("payloadFile") ?? f.anchor, f.pathOf("payloadFile"), `cannot read ${JSON.stringify(payloadFile)} (${fullPath}): ${reason}`);
    return undefined;
  }
}

/** Body, content type, method and headers written at one level (task or endpoint). */
function parsePayload(ctx: ParseContext, f: Fields): Payload | undefined {
  const before = ctx.problems.count;
  const payloadStr = f.string("payloadStr", { nonEmpty: false });
  const payloadFile = f.string("payloadFile");
  const payloadURL = f.url("payloadURL");
  const contentType = f.string("contentType");
  const headers = f.headers("headers") ?? {};
  let method = f.string("method");
  if (method !== undefined && !METHOD.test(method)) {
    ctx.problems.report(ErrorCode.OutOfRange, f.get("method") ?? f.anchor, f.pathOf("method"), `expected an HTTP method like GET or POST, got ${JSON.stringify(method)}`);
    method = undefined;
  }
  if (contentType !== undefined && hasControlCharacter(contentType)) {
    ctx.problems.report(ErrorCode.OutOfRange, f.get("contentType") ?? f.anchor, f.pathOf("contentType"), `a content type may not hold control characters (CR, LF, NUL, ...), got ${JSON.stringify(contentType)}`);
  }
  let body: Uint8Array | undefined = payloadStr === undefined ? undefined : new TextEncoder().encode(payloadStr);
  // Iter8: payloadFile wins over payloadStr, payloadURL over both.
  if (payloadFile !== undefined && payloadURL === undefined) {
    const fullPath = resolve(ctx.baseDir, payloadFile);
    const refused = ctx.fileAccess?.(fullPath, f.pathOf("payloadFile"));
    if (refused !== undefined) ctx.problems.report(ErrorCode.SecretNotDeclared, f.get("payloadFile") ?? f.anchor, f.pathOf("payloadFile"), refused);
    else body = readPayloadFile(ctx, f, payloadFile, fullPath) ?? body;
  }
  if (payloadURL !== undefined) body = undefined;
  if (ctx.problems.count > before) return undefined;
  return { body, payloadURL, contentType, method: method?.toUpperCase(), headers };
}

function parseVersions(ctx: ParseContext, f: Fields): RawVersion[] | undefined {
  const written = (["url", "versions", "versionInfo"] as const).filter((key) => f.has(key));
  const [first, second] = written;
  if (first !== undefined && second !== undefined) {
    f.contradiction(first, second, `write exactly one of url, versions and versionInfo (found {first} and ${second})`);
    return undefined;
  }
  if (first === undefined) {
    if (f.present("endpoints") !== undefined) return [];
    f.missing("url", "the http task needs url (one version) or versions (several)");
    return undefined;
  }
  if (first === "url") {
    const url = f.url("url", { required: true });
    return url === undefined ? undefined : [{ name: "default", url, headers: {} }];
  }
  const list = f.list(first, "a list of versions {name, url, headers}");
  if (list === undefined) {
    if (f.present(first) === undefined) f.missing(first, "expected a list of versions");
    return undefined;
  }
  const before = ctx.problems.count;
  const versions: RawVersion[] = [];
  const seen = new Map<string, number>();
  list.items.forEach((item, i) => {
    const path = childPath(f.pathOf(first), i);
    if (first === "versionInfo" && item.kind === "scalar" && item.value === null) return;
    const version = Fields.of(ctx, item, path, VERSION_FIELDS, "a version");
    if (version === undefined) return;
    const url = version.url("url", { required: true });
    const headers = version.headers("headers") ?? {};
    let name = version.string("name") ?? `v${i + 1}`;
    if (!VERSION_NAME.test(name)) {
      ctx.problems.report(ErrorCode.OutOfRange, version.get("name") ?? item, version.pathOf("name"), `version names use letters, digits, ".", "_" and "-", got ${JSON.stringify(shorten(name))}`);
      name = `v${i + 1}`;
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      ctx.problems.report(ErrorCode.Contradiction, version.get("name") ?? item, version.pathOf("name"), `version name ${JSON.stringify(shorten(name))} is already used by ${childPath(f.pathOf(first), previous)}`);
    }
    seen.set(name, i);
    if (url !== undefined) versions.push({ name, url, headers });
  });
  if (ctx.problems.count > before) return undefined;
  if (versions.length === 0) {
    ctx.problems.report(ErrorCode.MissingField, list, f.pathOf(first), "expected at least one version");
    return undefined;
  }
  return versions;
}

/** One entry of a load task's `endpoints:` map, its name checked and its fields opened. */
export interface EndpointEntry {
  readonly name: string;
  readonly path: string;
  readonly node: TreeNode;
  readonly fields: Fields;
}

/**
 * Opens the `endpoints:` map of an http or grpc task: [] without one, undefined when it is not a
 * map; a bad endpoint name or an entry that is not a map is reported and left out.
 */
export function openEndpoints(ctx: ParseContext, f: Fields, options: { kind: "http" | "grpc"; fields: readonly string[]; description: string }): EndpointEntry[] | undefined {
  const map = f.map("endpoints", options.description);
  if (map === undefined) return f.present("endpoints") === undefined ? [] : undefined;
  const out: EndpointEntry[] = [];
  for (const { key, keyLoc, value } of map.entries) {
    const path = childPath(f.pathOf("endpoints"), key);
    if (!ENDPOINT_NAME.test(key)) {
      ctx.problems.report(ErrorCode.OutOfRange, { loc: keyLoc, origin: value.origin }, path, `endpoint names use letters, digits, "_" and "-" (metrics are named ${options.kind}-<endpoint>/...), got ${JSON.stringify(shorten(key))}`);
      continue;
    }
    const fields = Fields.of(ctx, value, path, options.fields, `endpoint ${JSON.stringify(shorten(key))}`);
    if (fields !== undefined) out.push({ name: key, path, node: value, fields });
  }
  return out;
}

interface RawEndpoint {
  readonly name: string;
  readonly url: string | undefined;
  readonly path: string;
  readonly node: TreeNode;
  readonly payload: Payload;
  readonly load: HttpLoadSpec;
  readonly loadOverrides: readonly string[];
}

function parseEndpoints(ctx: ParseContext, f: Fields, task: HttpLoadSpec, written: WrittenLoad): RawEndpoint[] | undefined {
  const before = ctx.problems.count;
  const opened = openEndpoints(ctx, f, { kind: "http", fields: ENDPOINT_FIELDS, description: "a map of endpoint name to {url, method, headers, payloadStr, payloadFile, contentType, numRequests, qps, ...}" });
  if (opened === undefined) return undefined;
  const endpoints: RawEndpoint[] = [];
  for (const { name: key, path, node: value, fields: endpoint } of opened) {
    endpoint.boolean("allowInitialErrors");
    if (endpoint.has("warmup")) {
      const at = endpoint.entry("warmup");
      if (at) ctx.problems.report(ErrorCode.OutOfRange, { loc: at.keyLoc, origin: at.value.origin }, endpoint.pathOf("warmup"), "warmup applies to the whole task (Iter8 reads it only there); write warmup: true on the task");
    }
    const urlNode = endpoint.present("url");
    let url: string | undefined;
    if (urlNode !== undefined) {
      const text = checkString(ctx, urlNode, endpoint.pathOf("url"));
      if (text !== undefined && text.startsWith("/") && !text.startsWith("//")) url = text;
      else if (text !== undefined) url = checkUrl(ctx, urlNode, endpoint.pathOf("url"));
    }
    const payload = parsePayload(ctx, endpoint);
    const load = parseEndpointLoad(ctx, endpoint, task, written);
    if (payload !== undefined && load !== undefined) endpoints.push({ name: key, url, path, node: value, payload, ...load });
  }
  return ctx.problems.count > before ? undefined : endpoints;
}

/** An endpoint's own load fields over the task's. */
function parseEndpointLoad(ctx: ParseContext, e: Fields, task: HttpLoadSpec, written: WrittenLoad): { load: HttpLoadSpec; loadOverrides: string[] } | undefined {
  const before = ctx.problems.count;
  const numRequests = e.count("numRequests", Count.requests);
  const durationMs = e.durationMs("duration");
  const qps = e.number("qps", RATE);
  const connections = e.count("connections", Count.connections);
  const errorRanges = e.present("errorRanges") === undefined ? task.errorRanges : parseErrorRanges(ctx, e);
  const percentiles = e.present("percentiles") === undefined ? task.percentiles : parsePercentiles(ctx, e);
  if (written.stagesGiven && durationMs !== undefined) e.contradiction("stages", "duration", "the task's stages define the duration; an endpoint cannot set its own");
  if (written.stagesGiven && qps !== undefined) e.contradiction("stages", "qps", "the task's stages define the rate; an endpoint cannot set its own qps");
  const effectiveQps = qps ?? written.qps;
  const loadModel = modelOf(written.writtenModel, written.stagesGiven, effectiveQps);
  if (written.writtenModel === LoadModelKind.Open && !written.stagesGiven && effectiveQps === 0) {
    e.contradiction("loadModel", "qps", 'the task\'s loadModel is "open", which needs qps > 0');
  }
  if (ctx.problems.count > before) return undefined;

  let mode: Pick<HttpLoadSpec, "numRequests" | "durationMs"> = { numRequests: task.numRequests, durationMs: task.durationMs };
  if (numRequests !== undefined) mode = { numRequests, durationMs: written.stagesGiven ? task.durationMs : undefined };
  else if (durationMs !== undefined) mode = { numRequests: undefined, durationMs };
  const load: HttpLoadSpec = {
    ...mode,
    qps: qps ?? task.qps,
    connections: connections ?? task.connections,
    loadModel,
    stages: task.stages,
    errorRanges,
    percentiles,
  };
  const loadOverrides = e.node.entries.map((entry) => ENDPOINT_LOAD_FIELDS.find((name) => name.toLowerCase() === entry.key.toLowerCase())).filter((name) => name !== undefined);
  return { load, loadOverrides };
}

function buildVersions(ctx: ParseContext, f: Fields, versions: RawVersion[], task: Payload, endpoints: RawEndpoint[]): HttpVersionSpec[] | undefined {
  if (versions.length === 0) {
    // Iter8 allows endpoints without a task url when every endpoint has an absolute one.
    const relative = endpoints.find((endpoint) => endpoint.url === undefined || endpoint.url.startsWith("/"));
    if (relative !== undefined || endpoints[0] === undefined) {
      const node = relative?.node ?? f.anchor;
      ctx.problems.report(ErrorCode.MissingField, node, relative ? childPath(relative.path, "url") : f.pathOf("url"), "needs an absolute url when the task has no url or versions");
      return undefined;
    }
    versions = [{ name: "default", url: endpoints[0].url ?? "", headers: {} }];
  }
  return versions.map((version) => {
    const headers = mergeHeaders(task.headers, version.headers);
    const request = makeRequest(version.url, task, headers, undefined);
    const byEndpoint: Record<string, HttpEndpointSpec> = {};
    for (const endpoint of endpoints) {
      const url = endpoint.url === undefined ? version.url : endpoint.url.startsWith("/") ? new URL(endpoint.url, version.url).toString() : endpoint.url;
      const endpointRequest = makeRequest(url, task, mergeHeaders(headers, endpoint.payload.headers), endpoint.payload);
      defineOwn(byEndpoint, endpoint.name, { ...endpointRequest, load: endpoint.load, loadOverrides: endpoint.loadOverrides });
    }
    return { name: version.name, request, endpoints: byEndpoint };
  });
}

function makeRequest(url: string, task: Payload, headers: Record<string, string>, endpoint: Payload | undefined): HttpRequestSpec {
  const own = endpoint !== undefined && (endpoint.body !== undefined || endpoint.payloadURL !== undefined);
  const body = own ? endpoint.body : task.body;
  const payloadURL = own ? endpoint.payloadURL : task.payloadURL;
  const hasPayload = body !== undefined || payloadURL !== undefined;
  return {
    url,
    method: endpoint?.method ?? task.method ?? (hasPayload ? "POST" : "GET"),
    headers,
    body,
    ...(payloadURL === undefined ? {} : { payloadURL }),
    contentType: endpoint?.contentType ?? task.contentType,
  };
}

/** Later layers win; header names compare case-insensitively. */
function mergeHeaders(...layers: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const out: Record<string, string> = {};
  // Names compare case-insensitively; the map keeps this linear (thousands of headers were quadratic).
  const written = new Map<string, string>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      const lower = name.toLowerCase();
      const existing = written.get(lower);
      if (existing !== undefined) delete out[existing];
      written.set(lower, name);
      defineOwn(out, name, value);
    }
  }
  return out;
}
