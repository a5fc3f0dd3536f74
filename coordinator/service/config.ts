/**
 * The coordinator's configuration file (YAML or JSON), normalised once: raw file → defaults →
 * compiled options with units in the names. Human strings ("10m") are parsed here only.
 *
 * ```yaml
 * allowedTargets: ["*.svc.cluster.local", "127.0.0.1", "10.0.0.0/8"]
 * limits: { maxQps: 500, maxConnections: 64, maxDuration: 10m, maxRequests: 1000000 }
 * concurrency: 1
 * tokensFile: tokens.yaml
 * tls: { cert: server.pem, key: server-key.pem, clientCa: ca.pem }
 * parseTimeout: 5s   # reading one submitted experiment, in its worker thread
 * maxRestarts: 3     # coordinator restarts during one experiment before it is failed, not resumed
 * secrets: { slack-url: { env: SLACK_URL }, gh: { file: /var/run/secrets/gh } }
 * templateLimits: { maxSteps: 1000000, maxOutputBytes: 1048576, maxTime: 2s, maxDepth: 100 }
 * ```
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigurationError, ErrorCode, compileAllowList, parseDurationMs, resolveTemplateLimits } from "../../core/index.js";
import type { AllowList, TemplateLimits } from "../../core/index.js";

/** Per-experiment caps. Undefined = no cap. */
export interface Limits {
  /** Total requests per second of one load task, all versions and endpoints together. */
  readonly maxQps: number | undefined;
  /** Total connections of one load task. */
  readonly maxConnections: number | undefined;
  /** Longest load task (duration, stages, or numRequests / qps). */
  readonly maxDurationMs: number | undefined;
  /** Most requests of one load task (warm-up requests included), all versions and endpoints together. */
  readonly maxRequests: number | undefined;
  /** Most `retries` of an action task. */
  readonly maxRetries: number | undefined;
  /** Longest `timeout` of any task (an action's per-attempt timeout, a load task's request timeout, `ready`'s wait). */
  readonly maxTaskTimeoutMs: number | undefined;
}

/**
 * A secret the operator lets experiments read, by name: `${env:NAME}` / `${file:PATH}` (and
 * custom metrics' `…FromEnv` / `…FromFile`) are accepted by the service only when they name a
 * declared source (by its name, or by the variable or file it declares).
 */
export type SecretSourceConfig = { readonly env: string } | { readonly file: string };

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  readonly clientCaFile: string | undefined;
}

export interface CoordinatorConfig {
  /** Load targets the coordinator accepts. Default: loopback only (127.0.0.0/8, ::1, localhost). */
  readonly allowList: AllowList;
  readonly limits: Limits;
  /** Experiments run at the same time (default 1). */
  readonly concurrency: number;
  /** A tokens file (token → role); undefined = no auth (loopback-only unless told otherwise). */
  readonly tokensFile: string | undefined;
  readonly tls: TlsFiles | undefined;
  /** Wall-time budget of parsing one submitted experiment (coordinator/isolation); default 5000. */
  readonly parseTimeoutMs?: number;
  /** Coordinator restarts during one experiment before it is failed, not resumed (service/poison.ts); default 3. */
  readonly maxRestarts?: number;
  /** Named secret sources (`secrets:`); empty = experiments may read no env variable and no file. */
  readonly secretSources: ReadonlyMap<string, SecretSourceConfig>;
  /** Budgets of every template execution of the service's experiments (`templateLimits:`). */
  readonly templateLimits: TemplateLimits;
}

export const DEFAULT_ALLOWED_TARGETS: readonly string[] = ["127.0.0.0/8", "::1", "localhost"];

const TOP_KEYS = ["allowedTargets", "limits", "concurrency", "tokensFile", "tls", "parseTimeout", "maxRestarts", "secrets", "templateLimits"] as const;
const LIMIT_KEYS = ["maxQps", "maxConnections", "maxDuration", "maxRequests", "maxRetries", "maxTaskTimeout"] as const;
const TEMPLATE_LIMIT_KEYS = ["maxSteps", "maxOutputBytes", "maxTime", "maxDepth"] as const;
const TLS_KEYS = ["cert", "key", "clientCa"] as const;

/** The configuration without a file. */
export function defaultConfig(): CoordinatorConfig {
  return compileConfig({}, "<defaults>", process.cwd());
}

export async function loadConfigFile(path: string): Promise<CoordinatorConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new ConfigurationError(ErrorCode.FileNotFound, `cannot read the coordinator config ${path}`, { cause });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new ConfigurationError(ErrorCode.BadConfig, `${path}: ${(cause as Error).message}`, { cause });
  }
  return compileConfig(raw ?? {}, path, dirname(resolve(path)));
}

/** Validates a parsed config document; relative file names are resolved against `baseDir`. */
export function compileConfig(raw: unknown, source: string, baseDir: string): CoordinatorConfig {
  const top = record(raw, source, "the config");
  checkKeys(top, TOP_KEYS, source, "");
  const allowed = top["allowedTargets"];
  if (allowed !== undefined && (!Array.isArray(allowed) || !allowed.every((p) => typeof p === "string"))) {
    throw bad(source, "allowedTargets", "must be a list of host patterns and CIDRs");
  }
  const limitsRaw = top["limits"] === undefined ? {} : record(top["limits"], source, "limits");
  checkKeys(limitsRaw, LIMIT_KEYS, source, "limits.");
  const maxDurationMs = optionalDuration(limitsRaw["maxDuration"], source, "limits.maxDuration");
  const concurrency = top["concurrency"] === undefined ? 1 : positive(top["concurrency"], source, "concurrency");
  const tokensFile = top["tokensFile"];
  if (tokensFile !== undefined && typeof tokensFile !== "string") throw bad(source, "tokensFile", "must be a file name");
  let tls: TlsFiles | undefined;
  if (top["tls"] !== undefined) {
    const t = record(top["tls"], source, "tls");
    checkKeys(t, TLS_KEYS, source, "tls.");
    const file = (key: string): string | undefined => {
      const value = t[key];
      if (value === undefined) return undefined;
      if (typeof value !== "string") throw bad(source, `tls.${key}`, "must be a file name");
      return resolve(baseDir, value);
    };
    const certFile = file("cert");
    const keyFile = file("key");
    if (!certFile || !keyFile) throw bad(source, "tls", "needs both cert and key");
    tls = { certFile, keyFile, clientCaFile: file("clientCa") };
  }
  const parseTimeout = top["parseTimeout"];
  if (parseTimeout !== undefined && typeof parseTimeout !== "string" && typeof parseTimeout !== "number") throw bad(source, "parseTimeout", "must be a duration like 5s");
  const parseTimeoutMs = parseTimeout === undefined ? undefined : parseDurationMs(parseTimeout, "parseTimeout");
  const maxRestarts = optionalPositive(top["maxRestarts"], source, "maxRestarts");
  if (maxRestarts !== undefined && !Number.isInteger(maxRestarts)) throw bad(source, "maxRestarts", "must be a whole number");
  return {
    ...(parseTimeoutMs === undefined ? {} : { parseTimeoutMs }),
    ...(maxRestarts === undefined ? {} : { maxRestarts }),
    allowList: compileAllowList((allowed) ?? DEFAULT_ALLOWED_TARGETS, source),
    limits: {
      maxQps: optionalPositive(limitsRaw["maxQps"], source, "limits.maxQps"),
      maxConnections: optionalPositive(limitsRaw["maxConnections"], source, "limits.maxConnections"),
      maxDurationMs,
      maxRequests: optionalPositive(limitsRaw["maxRequests"], source, "limits.maxRequests"),
      maxRetries: optionalCount(limitsRaw["maxRetries"], source, "limits.maxRetries"),
      maxTaskTimeoutMs: optionalDuration(limitsRaw["maxTaskTimeout"], source, "limits.maxTaskTimeout"),
    },
    concurrency,
    tokensFile: tokensFile === undefined ? undefined : resolve(baseDir, tokensFile),
    tls,
    secretSources: compileSecretSources(top["secrets"], source, baseDir),
    templateLimits: compileTemplateLimits(top["templateLimits"], source),
  };
}

function compileSecretSources(raw: unknown, source: string, baseDir: string): ReadonlyMap<string, SecretSourceConfig> {
  const sources = new Map<string, SecretSourceConfig>();
  if (raw === undefined) return sources;
  for (const [name, value] of Object.entries(record(raw, source, "secrets"))) {
    const field = `secrets.${name}`;
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw bad(source, field, "names a source with letters, digits, _ . - only");
    const entry = record(value, source, field);
    checkKeys(entry, ["env", "file"], source, `${field}.`);
    const env = entry["env"];
    const file = entry["file"];
    if ((env === undefined) === (file === undefined)) throw bad(source, field, "needs exactly one of env: VARIABLE or file: PATH");
    if (env !== undefined) {
      if (typeof env !== "string" || env === "") throw bad(source, `${field}.env`, "must be an environment variable name");
      sources.set(name, { env });
    } else {
      if (typeof file !== "string" || file === "") throw bad(source, `${field}.file`, "must be a file name");
      sources.set(name, { file: resolve(baseDir, file) });
    }
  }
  return sources;
}

function compileTemplateLimits(raw: unknown, source: string): TemplateLimits {
  if (raw === undefined) return resolveTemplateLimits();
  const entry = record(raw, source, "templateLimits");
  checkKeys(entry, TEMPLATE_LIMIT_KEYS, source, "templateLimits.");
  const limits: { -readonly [K in keyof TemplateLimits]?: number } = {};
  const timeoutMs = optionalDuration(entry["maxTime"], source, "templateLimits.maxTime");
  if (timeoutMs !== undefined) limits.timeoutMs = timeoutMs;
  for (const key of ["maxSteps", "maxOutputBytes", "maxDepth"] as const) {
    const value = optionalCount(entry[key], source, `templateLimits.${key}`);
    if (value === 0) throw bad(source, `templateLimits.${key}`, "must be a positive whole number");
    if (value !== undefined) limits[key] = value;
  }
  return resolveTemplateLimits(limits);
}

function optionalDuration(value: unknown, source: string, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" && typeof value !== "number") throw bad(source, field, "must be a duration like 10m");
  return parseDurationMs(value, field);
}

function optionalCount(value: unknown, source: string, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw bad(source, field, "must be a whole number (0 or more)");
  return value;
}

function record(value: unknown, source: string, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw bad(source, what, "must be a map");
  return value as Record<string, unknown>;
}

function checkKeys(value: Record<string, unknown>, known: readonly string[], source: string, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw bad(source, `${prefix}${key}`, `is not a known setting (known: ${known.join(", ")})`);
  }
}

function positive(value: unknown, source: string, field: string): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) throw bad(source, field, "must be a positive number");
  return value;
}

function optionalPositive(value: unknown, source: string, field: string): number | undefined {
  return value === undefined ? undefined : positive(value, source, field);
}

function bad(source: string, field: string, message: string): ConfigurationError {
  return new ConfigurationError(ErrorCode.BadConfig, `${source}: ${field} ${message}`, { field });
}
