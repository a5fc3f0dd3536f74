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
 * ```
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigurationError, ErrorCode, parseDurationMs } from "../../core/index.js";
import { compileAllowList } from "./safety.js";
import type { AllowList } from "./safety.js";

/** Per-experiment caps. Undefined = no cap. */
export interface Limits {
  /** Total requests per second of one load task, all versions and endpoints together. */
  readonly maxQps: number | undefined;
  /** Total connections of one load task. */
  readonly maxConnections: number | undefined;
  /** Longest load task (duration, stages, or numRequests / qps). */
  readonly maxDurationMs: number | undefined;
  /** Most requests of one load task, all versions and endpoints together. */
  readonly maxRequests: number | undefined;
}

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
}

export const DEFAULT_ALLOWED_TARGETS: readonly string[] = ["127.0.0.0/8", "::1", "localhost"];

const TOP_KEYS = ["allowedTargets", "limits", "concurrency", "tokensFile", "tls", "parseTimeout", "maxRestarts"] as const;
const LIMIT_KEYS = ["maxQps", "maxConnections", "maxDuration", "maxRequests"] as const;
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
  const maxDuration = limitsRaw["maxDuration"];
  let maxDurationMs: number | undefined;
  if (maxDuration !== undefined) {
    if (typeof maxDuration !== "string" && typeof maxDuration !== "number") throw bad(source, "limits.maxDuration", "must be a duration like 10m");
    maxDurationMs = parseDurationMs(maxDuration, "limits.maxDuration");
  }
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
    },
    concurrency,
    tokensFile: tokensFile === undefined ? undefined : resolve(baseDir, tokensFile),
    tls,
  };
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
