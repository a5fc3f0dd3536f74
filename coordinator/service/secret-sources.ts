/**
 * The coordinator service's secrets: an experiment may read only the env variables and files the
 * operator declared as named sources (config `secrets:`), never the coordinator's environment or
 * files at large. A reference names a source by its name (`${env:slack-url}`, `${file:gh}`) or by
 * what it declares (`${env:SLACK_URL}`, `${file:/var/run/secrets/gh}`); the kind must match.
 * Kubernetes `${secret:…}` references are unaffected (RBAC decides). Enforced twice: at submit
 * (`checkSecretReferences`, `fileAccessOf` for the parser) and when a task resolves a reference
 * (`createServiceSecretResolver`).
 */
import { isAbsolute, resolve } from "node:path";
import { ConfigurationError, ErrorCode, ValidationError } from "../../core/index.js";
import type { Experiment } from "../../core/index.js";
import type { SecretResolver } from "../tasks/types.js";
import type { SecretSourceConfig } from "./config.js";

export type SecretSources = ReadonlyMap<string, SecretSourceConfig>;

/** The declared source a reference of `kind` to `target` names, if any. */
export function declaredSource(sources: SecretSources, kind: "env" | "file", target: string): SecretSourceConfig | undefined {
  const byName = sources.get(target);
  if (byName && kind in byName) return byName;
  for (const source of sources.values()) {
    if (kind === "env" && "env" in source && source.env === target) return source;
    if (kind === "file" && "file" in source && source.file === resolve(target)) return source;
  }
  return undefined;
}

function declaredNames(sources: SecretSources, kind: "env" | "file"): string {
  const names = [...sources].filter(([, source]) => kind in source).map(([name]) => name);
  return names.length === 0 ? `the coordinator declares no ${kind} secret sources` : `declared ${kind} sources: ${names.join(", ")}`;
}

function refusalText(kind: "env" | "file", target: string, sources: SecretSources): string {
  const what = kind === "env" ? `environment variable ${target}` : `file ${target}`;
  return `the coordinator service reads no ${what}: it is not one of its secret sources (${declaredNames(sources, kind)})`;
}

/** ParseOptions.fileAccess for the service: only declared secret files may be read. */
export function fileAccessOf(sources: SecretSources): (fullPath: string, field: string) => string | undefined {
  return (fullPath) => (declaredSource(sources, "file", fullPath) ? undefined : refusalText("file", fullPath, sources));
}

const REFERENCE = /\$\{(env|file):([^}]+)\}/g;
const WHOLE = /^(env|file):(\S+)$/;
const WHOLE_FIELDS = new Set(["url", "token"]);

/**
 * Refuses (ValidationError SECRET_NOT_DECLARED naming the field) an experiment that names an env
 * variable or file the coordinator did not declare: `${env:…}` / `${file:…}` in any string,
 * `env:…` as a whole url/token, custom metrics' `…FromEnv` / `…FromFile`, and provider templates
 * read from local files.
 */
export function checkSecretReferences(experiment: Experiment, sources: SecretSources): void {
  for (const entry of experiment.tasks) {
    const refuse = (field: string, kind: "env" | "file", target: string): never => {
      throw new ValidationError(ErrorCode.SecretNotDeclared, `${field}: ${refusalText(kind, target, sources)}`, {
        field,
        location: entry.location,
        suggestion: "ask the coordinator's operator to declare it under secrets:, and refer to it by that name",
      });
    };
    const check = (kind: "env" | "file", target: string, field: string): void => {
      if (!declaredSource(sources, kind, target)) refuse(field, kind, target);
    };
    walk(entry.spec, `spec[${entry.index}].with`, (value, key, field, parentKey) => {
      for (const match of value.matchAll(REFERENCE)) check(match[1] === "env" ? "env" : "file", match[2] ?? "", field);
      const whole = WHOLE.exec(value.trim());
      if (whole && WHOLE_FIELDS.has(key)) check(whole[1] === "env" ? "env" : "file", whole[2] ?? "", field);
      if (key.endsWith("FromEnv")) check("env", value, field);
      if (key.endsWith("FromFile")) check("file", value, field);
      if (parentKey === "templates" && !/^https?:\/\//i.test(value)) check("file", isAbsolute(value) ? value : resolve(value), field);
    });
  }
}

type Visit = (value: string, key: string, field: string, parentKey: string) => void;

function walk(node: unknown, field: string, visit: Visit, key = "", parentKey = "", depth = 0): void {
  if (depth > 64) return;
  if (typeof node === "string") visit(node, key, field, parentKey);
  else if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${field}[${i}]`, visit, key, key, depth + 1));
  else if (node !== null && typeof node === "object" && !(node instanceof Uint8Array)) {
    for (const [childKey, child] of Object.entries(node)) {
      if (depth === 0 && childKey === "task") continue;
      walk(child, depth === 0 && childKey === "raw" ? field : `${field}.${childKey}`, visit, childKey, key, depth + 1);
    }
  }
}

/**
 * A SecretResolver that reads env variables and files only through declared sources; everything
 * else (Kubernetes secrets) goes to `base`.
 */
export function createServiceSecretResolver(sources: SecretSources, base: SecretResolver): SecretResolver {
  return {
    async resolve(reference: string): Promise<string> {
      const trimmed = reference.trim().replace(/^\$\{(.*)\}$/, "$1");
      const match = WHOLE.exec(trimmed);
      if (!match) return base.resolve(trimmed);
      const kind = match[1] === "env" ? "env" : "file";
      const source = declaredSource(sources, kind, match[2] ?? "");
      if (!source) throw new ConfigurationError(ErrorCode.SecretNotDeclared, `secret reference ${trimmed}: ${refusalText(kind, match[2] ?? "", sources)}`);
      return base.resolve("env" in source ? `env:${source.env}` : `file:${source.file}`);
    },
    knownValues: () => base.knownValues(),
  };
}
