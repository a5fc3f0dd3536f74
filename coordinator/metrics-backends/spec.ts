/**
 * Provider specs, normalised: Assay's inline `with.providers` and Iter8's provider templates
 * (`with.templates`, rendered per version, then read as YAML) become one model.
 */
import { ErrorCode, ValidationError } from "../../core/index.js";
import { compileJq } from "./jq.js";
import type { JqExpression } from "./jq.js";

export type ProviderKind = "prometheus" | "rest";
export type CustomMetricType = "gauge" | "counter" | "rate" | "mean" | "count";

/** Parts of each metric type: the numbers queried to form the value (and the sample). */
export const METRIC_PARTS: Readonly<Record<CustomMetricType, readonly string[]>> = {
  gauge: ["value"],
  counter: ["value"],
  rate: ["successes", "trials"],
  mean: ["count", "sum", "sumOfSquares"],
  count: ["events", "exposure"],
};

/** Where a secret comes from. */
export type SecretSource = { readonly value: string } | { readonly env: string } | { readonly file: string } | { readonly reference: string };

export type AuthSpec =
  | { readonly type: "bearer"; readonly token: SecretSource }
  | { readonly type: "basic"; readonly username: SecretSource; readonly password: SecretSource }
  | { readonly type: "apikey"; readonly key: SecretSource; readonly header: string | undefined; readonly param: string | undefined };

/** One query that yields one number (templates not yet rendered for inline providers). */
export interface PartSpec {
  readonly query: string | undefined;
  readonly params: readonly (readonly [string, string])[];
  readonly body: string | undefined;
  readonly jq: JqExpression;
}

export interface MetricSpec {
  readonly name: string;
  readonly type: CustomMetricType;
  readonly description: string;
  readonly units: string | undefined;
  readonly parts: Readonly<Record<string, PartSpec>>;
}

export interface ProviderSpec {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly url: string;
  readonly method: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly params: readonly (readonly [string, string])[];
  readonly body: string | undefined;
  readonly auth: AuthSpec | undefined;
  readonly timeoutMs: number | undefined;
  readonly metrics: readonly MetricSpec[];
}

/** Prometheus instant query: the first series' value. */
export const PROMETHEUS_JQ = ".data.result[0].value[1]";

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bad(field: string, message: string, code: ErrorCode = ErrorCode.WrongType): ValidationError {
  return new ValidationError(code, `${field}: ${message}`, { field });
}

function checkKeys(raw: Raw, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw bad(`${field}.${key}`, `unknown key (expected one of ${allowed.join(", ")})`, ErrorCode.UnknownKey);
  }
}

function optionalString(raw: Raw, key: string, field: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value !== "string") throw bad(`${field}.${key}`, `expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function requiredString(raw: Raw, key: string, field: string): string {
  const value = optionalString(raw, key, field);
  if (value === undefined || value.trim() === "") throw bad(`${field}.${key}`, "required", ErrorCode.MissingField);
  return value;
}

/** A map `name: value` or Iter8's list `[{name, value}]`, as ordered pairs. */
function pairs(raw: unknown, field: string): [string, string][] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) {
    return raw.map((item, i) => {
      if (!isRecord(item)) throw bad(`${field}[${i}]`, "expected {name, value}");
      return [requiredString(item, "name", `${field}[${i}]`), optionalString(item, "value", `${field}[${i}]`) ?? ""];
    });
  }
  if (!isRecord(raw)) throw bad(field, "expected a map of name: value (or a list of {name, value})");
  return Object.entries(raw).map(([k, v]) => {
    if (v === null || v === undefined) return [k, ""];
    if (typeof v === "string") return [k, v];
    if (typeof v === "number" || typeof v === "boolean") return [k, String(v)];
    throw bad(`${field}.${k}`, "expected a string");
  });
}

function secretSource(raw: Raw, name: string, field: string, required: boolean): SecretSource | undefined {
  const found: SecretSource[] = [];
  const literal = optionalString(raw, name, field);
  if (literal !== undefined) found.push({ value: literal });
  const env = optionalString(raw, `${name}FromEnv`, field);
  if (env !== undefined) found.push({ env });
  const file = optionalString(raw, `${name}FromFile`, field);
  if (file !== undefined) found.push({ file });
  const reference = optionalString(raw, `${name}Secret`, field);
  if (reference !== undefined) found.push({ reference });
  if (found.length > 1) throw bad(`${field}.${name}`, `give one of ${name}, ${name}FromEnv, ${name}FromFile, ${name}Secret`, ErrorCode.Contradiction);
  if (found.length === 0 && required) throw bad(`${field}.${name}`, `required (as ${name}, ${name}FromEnv, ${name}FromFile or ${name}Secret)`, ErrorCode.MissingField);
  return found[0];
}

function sourceKeys(name: string): string[] {
  return [name, `${name}FromEnv`, `${name}FromFile`, `${name}Secret`];
}

function parseAuth(raw: unknown, field: string): AuthSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) throw bad(field, "expected {type: bearer|basic|apikey, ...}");
  const type = raw["type"];
  switch (type) {
    case "bearer":
      checkKeys(raw, ["type", ...sourceKeys("token")], field);
      return { type, token: secretSource(raw, "token", field, true) as SecretSource };
    case "basic":
      checkKeys(raw, ["type", ...sourceKeys("username"), ...sourceKeys("password")], field);
      return { type, username: secretSource(raw, "username", field, true) as SecretSource, password: secretSource(raw, "password", field, true) as SecretSource };
    case "apikey": {
      checkKeys(raw, ["type", "header", "param", ...sourceKeys("key")], field);
      const header = optionalString(raw, "header", field);
      const param = optionalString(raw, "param", field);
      if (header !== undefined && param !== undefined) throw bad(`${field}.header`, "give header or param, not both", ErrorCode.Contradiction);
      return { type, key: secretSource(raw, "key", field, true) as SecretSource, header: header ?? (param === undefined ? "X-API-Key" : undefined), param };
    }
    default:
      throw bad(`${field}.type`, `expected bearer, basic or apikey, got ${JSON.stringify(type)}`);
  }
}

const PART_KEYS = ["query", "params", "body", "jqExpression"];
const METRIC_KEYS = ["name", "type", "description", "units", "query", "params", "body", "jqExpression", ...new Set(Object.values(METRIC_PARTS).flat())];

function parsePart(raw: unknown, defaults: { params: [string, string][]; body: string | undefined; jq: string | undefined }, kind: ProviderKind, field: string): PartSpec {
  const part: Raw = typeof raw === "string" ? { query: raw } : isRecord(raw) ? raw : {};
  if (!(typeof raw === "string" || isRecord(raw))) throw bad(field, "expected a query string or {query, params, body, jqExpression}");
  checkKeys(part, PART_KEYS, field);
  const query = optionalString(part, "query", field);
  const params = part["params"] === undefined ? defaults.params : pairs(part["params"], `${field}.params`);
  const body = optionalString(part, "body", field) ?? defaults.body;
  const jqText = optionalString(part, "jqExpression", field) ?? defaults.jq ?? (kind === "prometheus" ? PROMETHEUS_JQ : undefined);
  if (kind === "prometheus" && query === undefined && !params.some(([k]) => k === "query")) throw bad(`${field}.query`, "required for a prometheus provider (the PromQL)", ErrorCode.MissingField);
  if (jqText === undefined) throw bad(`${field}.jqExpression`, "required for a rest provider (which value of the JSON response to take)", ErrorCode.MissingField);
  return { query, params, body, jq: compileJq(jqText, `${field}.jqExpression`) };
}

function parseMetric(raw: unknown, kind: ProviderKind, field: string): MetricSpec {
  if (!isRecord(raw)) throw bad(field, "expected a metric map");
  checkKeys(raw, METRIC_KEYS, field);
  const name = requiredString(raw, "name", field);
  if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw bad(`${field}.name`, `letters, digits, _ . : - only (got ${JSON.stringify(name)})`, ErrorCode.OutOfRange);
  const type = (optionalString(raw, "type", field) ?? "gauge") as CustomMetricType;
  if (!(type in METRIC_PARTS)) throw bad(`${field}.type`, `expected gauge, counter, rate, mean or count, got ${JSON.stringify(type)}`, ErrorCode.OutOfRange);
  const defaults = {
    params: pairs(raw["params"], `${field}.params`),
    body: optionalString(raw, "body", field),
    jq: optionalString(raw, "jqExpression", field),
  };
  const partNames = METRIC_PARTS[type];
  const parts: Record<string, PartSpec> = {};
  if (type === "gauge" || type === "counter") {
    parts["value"] = parsePart({ ...(raw["query"] === undefined ? {} : { query: raw["query"] }) }, defaults, kind, field);
  } else {
    if (raw["query"] !== undefined) throw bad(`${field}.query`, `a ${type} metric has ${partNames.join(", ")} instead of one query`, ErrorCode.Contradiction);
    for (const part of partNames) {
      if (raw[part] === undefined) throw bad(`${field}.${part}`, `required for a ${type} metric`, ErrorCode.MissingField);
      parts[part] = parsePart(raw[part], defaults, kind, `${field}.${part}`);
    }
  }
  for (const other of Object.values(METRIC_PARTS).flat()) {
    if (other !== "value" && !partNames.includes(other) && raw[other] !== undefined) throw bad(`${field}.${other}`, `not a part of a ${type} metric`, ErrorCode.Contradiction);
  }
  return { name, type, description: optionalString(raw, "description", field) ?? "", units: optionalString(raw, "units", field), parts };
}

const PROVIDER_KEYS = ["name", "type", "url", "method", "headers", "params", "body", "auth", "timeout", "metrics", "provider"];

/**
 * Normalises one provider. `name` overrides the spec's own (`with.templates` keys name the
 * provider); `kindDefault` applies when the spec has no `type`.
 */
export function parseProvider(raw: unknown, field: string, options: { name?: string; kindDefault?: ProviderKind; timeoutMs?: (text: string, field: string) => number } = {}): ProviderSpec {
  if (!isRecord(raw)) throw bad(field, "expected a provider map");
  checkKeys(raw, PROVIDER_KEYS, field);
  const name = options.name ?? requiredString(raw, "name", field);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw bad(`${field}.name`, `letters, digits, _ . - only (got ${JSON.stringify(name)})`, ErrorCode.OutOfRange);
  const kindText = optionalString(raw, "type", field) ?? options.kindDefault;
  if (kindText !== "prometheus" && kindText !== "rest") throw bad(`${field}.type`, `expected prometheus or rest, got ${JSON.stringify(kindText)}`, kindText === undefined ? ErrorCode.MissingField : ErrorCode.OutOfRange);
  const url = requiredString(raw, "url", field);
  const method = (optionalString(raw, "method", field) ?? "GET").toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw bad(`${field}.method`, `expected an HTTP method, got ${JSON.stringify(method)}`, ErrorCode.OutOfRange);
  const metricsRaw = raw["metrics"];
  if (!Array.isArray(metricsRaw) || metricsRaw.length === 0) throw bad(`${field}.metrics`, "expected a non-empty list of metrics", ErrorCode.MissingField);
  const metrics = metricsRaw.map((m, i) => parseMetric(m, kindText, `${field}.metrics[${i}]`));
  const seen = new Set<string>();
  metrics.forEach((m, i) => {
    if (seen.has(m.name)) throw bad(`${field}.metrics[${i}].name`, `${m.name} is defined twice`, ErrorCode.Contradiction);
    seen.add(m.name);
  });
  const timeoutText = optionalString(raw, "timeout", field);
  return {
    name,
    kind: kindText,
    url,
    method,
    headers: pairs(raw["headers"], `${field}.headers`),
    params: pairs(raw["params"], `${field}.params`),
    body: optionalString(raw, "body", field),
    auth: parseAuth(raw["auth"], `${field}.auth`),
    timeoutMs: timeoutText === undefined || options.timeoutMs === undefined ? undefined : options.timeoutMs(timeoutText, `${field}.timeout`),
    metrics,
  };
}
