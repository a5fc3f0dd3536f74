/**
 * The `custommetrics` task (Iter8's semantics): query metrics backends once per version and record
 * `<provider>/<metric>` values (and sample statistics for rate, mean and count metrics). A backend
 * that is down, a response without the value, NaN or zero trials become per-metric errors.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ErrorCode, TEMPLATE_SOURCE, ValidationError, compileTemplate, findTargetNotAllowed, isTemplate, parseDurationMs } from "../../core/index.js";
import type { CustomMetricsTaskSpec, MetricInfo, MetricSample } from "../../core/index.js";
import { templateExecutor } from "../actions/index.js";
import type { Outcome } from "../assessment/index.js";
import type { TaskContext, TaskOutcome, TaskRunner } from "../tasks/types.js";
import { fetchRunTimeText } from "../fetch/index.js";
import { describeUrl, queryJson } from "./http.js";
import { mergeValuesDeep } from "./merge.js";
import type { BackendRequest } from "./http.js";
import { parseProvider } from "./spec.js";
import type { AuthSpec, MetricSpec, PartSpec, ProviderSpec, SecretSource } from "./spec.js";

/** Per-request timeout when `with.timeout` is not given. */
export const DEFAULT_BACKEND_TIMEOUT_MS = 10_000;

const WITH_KEYS = ["templates", "providers", "values", "versionValues", "timeout"];

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bad(field: string, message: string, code: ErrorCode = ErrorCode.WrongType): ValidationError {
  return new ValidationError(code, `${field}: ${message}`, { field });
}

function durationField(text: string, field: string): number {
  try {
    return parseDurationMs(text);
  } catch (err) {
    throw new ValidationError(ErrorCode.BadDuration, `${field}: ${err instanceof Error ? err.message : String(err)}`, { field, cause: err });
  }
}

/** An allow-list refusal inside `error`, re-scoped to the task's field (`spec[3].with.providers[0].url`). */
function refusalIn(error: unknown, context: TaskContext, field: string): Error | undefined {
  const refusal = findTargetNotAllowed(error);
  const egress = context.policy.egress;
  if (!refusal || !egress) return undefined;
  return refusal.withField(`spec[${context.entry.index}].${field}`, context.entry.writtenName, egress.guard.allowList.patterns);
}

/** Templates rendered with the version's data on the task's template executor; plain strings pass through. */
async function render(text: string, data: Raw, field: string, context: TaskContext): Promise<string> {
  if (!isTemplate(text)) return text;
  try {
    return await templateExecutor(context).render({ text, name: TEMPLATE_SOURCE, limits: context.policy.templateLimits, data: { kind: "json", value: data } });
  } catch (err) {
    throw bad(field, `template: ${err instanceof Error ? err.message : String(err)}`, ErrorCode.BadTemplate);
  }
}

/** Checks every template of an inline provider once, before anything is queried. */
function checkProviderTemplates(p: ProviderSpec, field: string): void {
  const check = (text: string | undefined, where: string): void => {
    if (text === undefined || !isTemplate(text)) return;
    try {
      compileTemplate(text);
    } catch (err) {
      throw bad(where, `template: ${err instanceof Error ? err.message : String(err)}`, ErrorCode.BadTemplate);
    }
  };
  check(p.url, `${field}.url`);
  check(p.body, `${field}.body`);
  p.headers.forEach(([k, v]) => check(v, `${field}.headers.${k}`));
  p.params.forEach(([k, v]) => check(v, `${field}.params.${k}`));
  p.metrics.forEach((m, i) =>
    Object.entries(m.parts).forEach(([part, spec]) => {
      const where = `${field}.metrics[${i}]${part === "value" ? "" : `.${part}`}`;
      check(spec.query, `${where}.query`);
      check(spec.body, `${where}.body`);
      spec.params.forEach(([k, v]) => check(v, `${where}.params.${k}`));
    }),
  );
}

interface ProviderSource {
  readonly name: string;
  /** Inline: the spec, templated field by field. Template: the text, rendered whole per version. */
  readonly inline: ProviderSpec | undefined;
  readonly templateText: string | undefined;
  readonly templateOrigin: string;
}

interface Settings {
  readonly sources: readonly ProviderSource[];
  readonly values: Raw;
  readonly versionValues: readonly Raw[];
  readonly timeoutMs: number;
}

async function loadTemplate(location: string, context: TaskContext, timeoutMs: number, field: string): Promise<string> {
  const egress = context.policy.egress;
  if (/^https?:\/\//i.test(location)) {
    const settings = { ...context.fetch, ...(egress ? { dispatcher: egress.dispatcher } : {}) };
    return fetchRunTimeText(location, { ...settings, signal: context.signal, timeoutMs, field: `spec[${context.entry.index}].${field}` }).catch((error: unknown) => {
      throw refusalIn(error, context, field) ?? error;
    });
  }
  const base = context.experiment.source.startsWith("<") ? process.cwd() : dirname(context.experiment.source);
  const path = isAbsolute(location) ? location : resolve(base, location);
  const refused = egress?.fileAccess(path, `spec[${context.entry.index}].${field}`);
  if (refused !== undefined) throw new ValidationError(ErrorCode.SecretNotDeclared, `spec[${context.entry.index}].${field}: ${refused}`, { field });
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new ValidationError(ErrorCode.FileNotFound, `${field}: cannot read provider template ${JSON.stringify(location)} (${path}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { field, cause: err });
  }
}

async function settings(spec: CustomMetricsTaskSpec, context: TaskContext): Promise<Settings> {
  const raw = spec.raw;
  for (const key of Object.keys(raw)) if (!WITH_KEYS.includes(key)) throw bad(`with.${key}`, `unknown key (expected one of ${WITH_KEYS.join(", ")})`, ErrorCode.UnknownKey);
  const timeoutMs = typeof raw["timeout"] === "string" ? durationField(raw["timeout"], "with.timeout") : typeof raw["timeout"] === "number" ? raw["timeout"] * 1000 : DEFAULT_BACKEND_TIMEOUT_MS;
  const sources: ProviderSource[] = [];
  const providers = raw["providers"];
  if (providers !== undefined) {
    if (!Array.isArray(providers)) throw bad("with.providers", "expected a list of providers");
    providers.forEach((p, i) => {
      const parsed = parseProvider(p, `with.providers[${i}]`, { timeoutMs: durationField });
      checkProviderTemplates(parsed, `with.providers[${i}]`);
      sources.push({ name: parsed.name, inline: parsed, templateText: undefined, templateOrigin: `with.providers[${i}]` });
    });
  }
  const templates = raw["templates"];
  if (templates !== undefined) {
    if (!isRecord(templates)) throw bad("with.templates", "expected a map of provider name to a template URL or file");
    for (const [name, location] of Object.entries(templates)) {
      if (typeof location !== "string" || location === "") throw bad(`with.templates.${name}`, "expected a URL or a file path");
      const text = await loadTemplate(location, context, timeoutMs, `with.templates.${name}`);
      sources.push({ name, inline: undefined, templateText: text, templateOrigin: `with.templates.${name}` });
    }
  }
  const names = new Set<string>();
  for (const s of sources) {
    if (names.has(s.name)) throw bad("with", `provider ${s.name} is defined twice`, ErrorCode.Contradiction);
    names.add(s.name);
  }
  if (sources.length === 0) throw bad("with", "no providers: give providers (inline) or templates (Iter8 provider specs)", ErrorCode.MissingField);
  const values = spec.values;
  if (!isRecord(values)) throw bad("with.values", "expected a map");
  return { sources, values, versionValues: spec.versionValues, timeoutMs };
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The version names queried: the result's versions, else one per versionValues entry. */
function versionNames(context: TaskContext, versionValues: readonly Raw[]): string[] {
  const known = context.result.versions;
  const count = Math.max(known.length, versionValues.length, 1);
  return Array.from({ length: count }, (_, i) => {
    const fromResult = known[i];
    if (fromResult !== undefined) return fromResult;
    const declared = versionValues[i]?.["version"];
    if (typeof declared === "string" && declared !== "") return declared;
    return count === 1 ? "default" : `v${i + 1}`;
  });
}

/** The template data of one version: values with its versionValues merged deeply (mergo), then the reserved variables. */
function versionData(settings: Settings, version: string, index: number, experimentStartMs: number): Raw {
  const merged: Raw = { version, ...mergeValuesDeep(settings.values, settings.versionValues[index] ?? {}) };
  const declared = merged["startingTime"];
  let startMs = experimentStartMs;
  if (declared !== undefined) {
    const parsed = typeof declared === "string" ? Date.parse(declared) : NaN;
    if (Number.isNaN(parsed)) throw bad("with.values.startingTime", `expected an RFC 3339 time, got ${JSON.stringify(declared)}`);
    startMs = parsed;
  }
  return { ...merged, startingTime: rfc3339(startMs), elapsedTimeSeconds: Math.max(0, Math.floor((Date.now() - startMs) / 1000)) };
}

async function secretValue(source: SecretSource, context: TaskContext, field: string): Promise<string> {
  if ("value" in source) return source.value;
  if ("env" in source) return context.secrets.resolve(`env:${source.env}`);
  if ("reference" in source) return context.secrets.resolve(source.reference);
  const base = context.experiment.source.startsWith("<") ? process.cwd() : dirname(context.experiment.source);
  // The service reads files only through its declared secret sources.
  if (context.policy.egress) return context.secrets.resolve(`file:${isAbsolute(source.file) ? source.file : resolve(base, source.file)}`);
  try {
    return (await readFile(isAbsolute(source.file) ? source.file : resolve(base, source.file), "utf8")).replace(/\r?\n$/, "");
  } catch (err) {
    throw new ValidationError(ErrorCode.FileNotFound, `${field}: cannot read ${JSON.stringify(source.file)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { field, cause: err });
  }
}

interface ResolvedAuth {
  readonly headers: Record<string, string>;
  readonly params: [string, string][];
  readonly secrets: string[];
}

async function resolveAuth(auth: AuthSpec | undefined, context: TaskContext, field: string): Promise<ResolvedAuth> {
  if (auth === undefined) return { headers: {}, params: [], secrets: [] };
  switch (auth.type) {
    case "bearer": {
      const token = await secretValue(auth.token, context, `${field}.token`);
      return { headers: { authorization: `Bearer ${token}` }, params: [], secrets: [token] };
    }
    case "basic": {
      const username = await secretValue(auth.username, context, `${field}.username`);
      const password = await secretValue(auth.password, context, `${field}.password`);
      const encoded = Buffer.from(`${username}:${password}`).toString("base64");
      return { headers: { authorization: `Basic ${encoded}` }, params: [], secrets: [password, encoded] };
    }
    case "apikey": {
      const key = await secretValue(auth.key, context, `${field}.key`);
      return auth.param !== undefined
        ? { headers: {}, params: [[auth.param, key]], secrets: [key] }
        : { headers: { [auth.header ?? "X-API-Key"]: key }, params: [], secrets: [key] };
    }
  }
}

async function buildRequest(provider: ProviderSpec, part: PartSpec, data: Raw, auth: ResolvedAuth, rendered: boolean, field: string, context: TaskContext): Promise<BackendRequest> {
  const r = (text: string, where: string): Promise<string> => (rendered ? Promise.resolve(text) : render(text, data, where, context));
  const query = part.query === undefined ? undefined : await r(part.query, `${field}.query`);
  const partData = query === undefined ? data : { ...data, query };
  const rr = (text: string, where: string): Promise<string> => (rendered ? Promise.resolve(text) : render(text, partData, where, context));
  let url = await rr(provider.url, `${field}.url`);
  if (provider.kind === "prometheus" && !/\/api\/v1\/query(_range)?\/?$/.test(new URL(url).pathname)) url = `${url.replace(/\/+$/, "")}/api/v1/query`;
  const u = new URL(url);
  for (const [k, v] of [...provider.params, ...part.params]) u.searchParams.set(k, await rr(v, `${field}.params.${k}`));
  if (provider.kind === "prometheus" && query !== undefined) u.searchParams.set("query", query);
  for (const [k, v] of auth.params) u.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: "application/json" };
  for (const [k, v] of provider.headers) headers[k.toLowerCase()] = await rr(v, `${field}.headers.${k}`);
  for (const [k, v] of Object.entries(auth.headers)) headers[k.toLowerCase()] = v;
  const bodyText = part.body ?? provider.body;
  const body = bodyText === undefined ? undefined : await rr(bodyText, `${field}.body`);
  if (body !== undefined && headers["content-type"] === undefined) headers["content-type"] = "application/json";
  return { method: provider.method, url: u.toString(), headers, body, secrets: auth.secrets };
}

/** JSON numbers often travel as text; Prometheus writes infinities as "+Inf" / "-Inf". */
function numberFromText(text: string): number {
  const t = text.trim();
  if (/^[+]?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  return t === "" ? NaN : Number(t);
}

/** The number at the expression, or why there is none. */
function pickNumber(json: unknown, part: PartSpec): Outcome<number> {
  const value = part.jq.pick(json);
  if (value === undefined || value === null) {
    const series = part.jq.text.startsWith(".data.result") && isRecord(json) && isRecord(json["data"]) && Array.isArray(json["data"]["result"]) && json["data"]["result"].length === 0;
    return { ok: false, error: `the response has no value at ${part.jq.text}${series ? " (the query returned no series)" : ""}` };
  }
  const n = typeof value === "number" ? value : typeof value === "string" ? numberFromText(value) : NaN;
  if (typeof value !== "number" && typeof value !== "string") return { ok: false, error: `the value at ${part.jq.text} is not a number (${JSON.stringify(value).slice(0, 60)})` };
  if (Number.isNaN(n)) return { ok: false, error: `the value at ${part.jq.text} is NaN (${JSON.stringify(value)})` };
  if (!Number.isFinite(n)) return { ok: false, error: `the value at ${part.jq.text} is not finite (${JSON.stringify(value)})` };
  return { ok: true, value: n };
}

/** Value and sample of a metric from its parts, or why not. */
function combine(metric: MetricSpec, parts: Readonly<Record<string, number>>): Outcome<{ value: number; sample: MetricSample | undefined }> {
  const p = (name: string): number => parts[name] ?? NaN;
  switch (metric.type) {
    case "gauge":
    case "counter":
      return { ok: true, value: { value: p("value"), sample: undefined } };
    case "rate": {
      const successes = p("successes");
      const trials = p("trials");
      if (trials <= 0) return { ok: false, error: `trials is ${trials}: a rate needs trials > 0` };
      if (successes < 0 || successes > trials) return { ok: false, error: `successes (${successes}) must be between 0 and trials (${trials})` };
      return { ok: true, value: { value: successes / trials, sample: { type: "rate", successes, trials } } };
    }
    case "mean": {
      const count = p("count");
      const sum = p("sum");
      const sumOfSquares = p("sumOfSquares");
      if (count <= 0) return { ok: false, error: `count is ${count}: a mean needs count > 0` };
      if (sumOfSquares < 0) return { ok: false, error: `sumOfSquares is negative (${sumOfSquares})` };
      return { ok: true, value: { value: sum / count, sample: { type: "mean", count, sum, sumOfSquares } } };
    }
    case "count": {
      const events = p("events");
      const exposure = p("exposure");
      if (exposure <= 0) return { ok: false, error: `exposure is ${exposure}: a count needs exposure > 0` };
      if (events < 0) return { ok: false, error: `events is negative (${events})` };
      return { ok: true, value: { value: events / exposure, sample: { type: "count", events, exposure } } };
    }
  }
}

function metricInfo(metric: MetricSpec): MetricInfo {
  const type = metric.type === "counter" ? "counter" : "gauge";
  const described = metric.description !== "" ? metric.description : metric.type === "gauge" || metric.type === "counter" ? "custom metric" : `custom ${metric.type} metric`;
  return { type, description: described, ...(metric.units === undefined ? {} : { units: metric.units }) };
}

/** The provider spec of one version: inline as is; a template rendered with the data and read as YAML. */
async function providerFor(source: ProviderSource, data: Raw, settings: Settings, context: TaskContext): Promise<{ provider: ProviderSpec; rendered: boolean }> {
  if (source.inline !== undefined) return { provider: source.inline, rendered: false };
  const text = await render(source.templateText ?? "", data, source.templateOrigin, context);
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw bad(source.templateOrigin, `the rendered provider template is not valid YAML: ${err instanceof Error ? err.message : String(err)}`, ErrorCode.YamlSyntax);
  }
  if (isRecord(parsed)) delete parsed["provider"];
  const provider = parseProvider(parsed, source.templateOrigin, { name: source.name, kindDefault: "rest", timeoutMs: durationField });
  return { provider: { ...provider, timeoutMs: provider.timeoutMs ?? settings.timeoutMs }, rendered: true };
}

interface Counts {
  set: number;
  errors: number;
}

async function collectVersion(settings: Settings, version: string, index: number, context: TaskContext, counts: Counts): Promise<void> {
  const data = versionData(settings, version, index, context.experimentStartMs);
  const cache = new Map<string, Promise<Outcome<unknown>>>();
  const record = (name: string, outcome: Outcome<{ value: number; sample: MetricSample | undefined }>, metric: MetricSpec): void => {
    if (!outcome.ok) {
      context.setMetricError(version, name, outcome.error);
      counts.errors += 1;
      return;
    }
    context.setMetric(version, name, outcome.value.value, metricInfo(metric));
    if (outcome.value.sample !== undefined) context.setMetricSample(version, name, outcome.value.sample);
    counts.set += 1;
  };
  for (const source of settings.sources) {
    if (context.signal.aborted) return;
    const { provider, rendered } = await providerFor(source, data, settings, context);
    const auth = await resolveAuth(provider.auth, context, `${source.templateOrigin}.auth`);
    const timeoutMs = provider.timeoutMs ?? settings.timeoutMs;
    await Promise.all(
      provider.metrics.map(async (metric, m) => {
        const name = `${provider.name}/${metric.name}`;
        const values: Record<string, number> = {};
        for (const [partName, part] of Object.entries(metric.parts)) {
          let req: BackendRequest;
          try {
            req = await buildRequest(provider, part, data, auth, rendered, `${source.templateOrigin}.metrics[${m}]${partName === "value" ? "" : `.${partName}`}`, context);
            if (context.policy.egress) req = { ...req, dispatcher: context.policy.egress.dispatcher };
          } catch (err) {
            record(name, { ok: false, error: err instanceof Error ? err.message : String(err) }, metric);
            return;
          }
          const key = JSON.stringify([req.method, req.url, req.headers, req.body]);
          let pending = cache.get(key);
          if (pending === undefined) {
            pending = queryJson(req, context.signal, timeoutMs);
            cache.set(key, pending);
          }
          const answer = await pending.catch((error: unknown) => {
            throw refusalIn(error, context, `${source.templateOrigin}.url`) ?? error;
          });
          if (!answer.ok) {
            record(name, answer, metric);
            return;
          }
          const picked = pickNumber(answer.value, part);
          if (!picked.ok) {
            const from = `${req.method} ${describeUrl(req.url, req.secrets)}`;
            record(name, { ok: false, error: `${partName === "value" ? "" : `${partName}: `}${picked.error} (${from})` }, metric);
            return;
          }
          values[partName] = picked.value;
        }
        record(name, combine(metric, values), metric);
      }),
    );
  }
}

/** The `custommetrics` task runner. */
export const customMetricsRunner: TaskRunner<CustomMetricsTaskSpec> = async (spec: CustomMetricsTaskSpec, context: TaskContext): Promise<TaskOutcome> => {
  const s = await settings(spec, context);
  const versions = versionNames(context, s.versionValues);
  const counts: Counts = { set: 0, errors: 0 };
  context.logger.debug({ providers: s.sources.map((p) => p.name), versions }, "custommetrics: querying backends");
  for (const [i, version] of versions.entries()) {
    if (context.signal.aborted) break;
    if (!context.result.versions.includes(version)) context.addVersion(version);
    await collectVersion(s, version, i, context, counts);
  }
  context.emit({ type: "custom-metrics", message: `custom metrics: ${counts.set} recorded, ${counts.errors} could not be obtained`, data: { ...counts } });
  return { detail: { providers: s.sources.map((p) => p.name), versions, metrics: counts.set, errors: counts.errors } };
};
