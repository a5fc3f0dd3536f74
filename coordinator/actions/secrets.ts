/**
 * Secret references and their resolver. One syntax, usable inside any string field of an action
 * (url, headers, params, token):
 *
 *   ${env:NAME}                      the environment variable NAME
 *   ${file:/path/to/file}            the file's content, one trailing newline removed
 *   ${secret:name/key}               key `key` of the Kubernetes Secret `name` (default namespace)
 *   ${secret:namespace/name/key}     the same in another namespace
 *
 * Fields that hold nothing but a secret (slack `url`, github `token`) also accept the reference
 * without `${…}` (`env:SLACK_WEBHOOK`). Iter8-style `valueFrom: {secretKeyRef: {name, key},
 * namespace?}` is the same as `${secret:namespace/name/key}` (see secretKeyRefReference).
 * Resolved values are remembered so every output can be scrubbed of them.
 */
import { readFile } from "node:fs/promises";
import { ConfigurationError, ErrorCode } from "../../core/index.js";
import type { SecretResolver } from "../tasks/types.js";
import { secretParts } from "./common.js";
import { kubeClient } from "./kube.js";
import type { KubeClient } from "./kube.js";

export interface SecretResolverOptions {
  /** Where `env:` looks. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Kubeconfig for `secret:` references; undefined = in-cluster config or KUBECONFIG. */
  readonly kubeconfig?: string | undefined;
  /** Namespace of `secret:name/key`; default the kubeconfig context's namespace, else "default". */
  readonly namespace?: string;
  /** Per-request timeout for reading a Kubernetes Secret (ms). Default 10 000. */
  readonly timeoutMs?: number;
}

const REFERENCE_KINDS = ["env", "file", "secret"] as const;
const EMBEDDED = /\$\{((?:env|file|secret):[^}]+)\}/g;
const WHOLE = /^(?:env|file|secret):\S+$/;

/** `${secret:namespace/name/key}` for an Iter8-style `valueFrom.secretKeyRef`. */
export function secretKeyRefReference(ref: { name: string; key: string; namespace?: string | undefined }): string {
  return `\${secret:${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}/${ref.key}}`;
}

/** True when the text contains a `${kind:…}` reference. */
export function hasSecretReference(text: string): boolean {
  EMBEDDED.lastIndex = 0;
  return EMBEDDED.test(text);
}

/**
 * Replaces every `${kind:…}` reference in `text` by its value; with `whole`, a field that is
 * nothing but `kind:…` is resolved too.
 */
export async function resolveReferences(text: string, secrets: SecretResolver, options: { whole?: boolean } = {}): Promise<string> {
  if (options.whole && WHOLE.test(text.trim())) return secrets.resolve(text.trim());
  const references = [...text.matchAll(EMBEDDED)].map((match) => match[1] ?? "");
  if (references.length === 0) return text;
  const values = new Map<string, string>();
  for (const reference of references) {
    if (!values.has(reference)) values.set(reference, await secrets.resolve(reference));
  }
  return text.replace(EMBEDDED, (_match, reference: string) => values.get(reference) ?? "");
}

/** Resolves the values of a string map (headers, params). */
export async function resolveMap(map: Readonly<Record<string, string>>, secrets: SecretResolver): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map)) out[key] = await resolveReferences(value, secrets);
  return out;
}

/** A SecretResolver for env:, file: and secret: references (see the module comment). */
export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  const known = new Set<string>();
  const cache = new Map<string, string>();
  let kube: Promise<KubeClient> | undefined;

  const remember = (reference: string, value: string): string => {
    cache.set(reference, value);
    if (value !== "") for (const part of secretParts(value)) known.add(part);
    return value;
  };

  const fromKubernetes = async (reference: string, path: string): Promise<string> => {
    const parts = path.split("/");
    if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === "")) {
      throw new ConfigurationError(ErrorCode.BadSecretReference, `secret reference ${reference}: expected secret:name/key or secret:namespace/name/key`);
    }
    kube ??= kubeClient(options.kubeconfig);
    const client = await kube;
    const [namespace, name, key] = parts.length === 3 ? parts : [options.namespace ?? client.defaultNamespace, parts[0], parts[1]];
    const answer = await client
      .request(
        { method: "GET", path: `/api/v1/namespaces/${encodeURIComponent(namespace ?? "")}/secrets/${encodeURIComponent(name ?? "")}` },
        AbortSignal.timeout(options.timeoutMs ?? 10_000),
      )
      .catch((cause: unknown) => {
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new ConfigurationError(ErrorCode.KubernetesApi, `secret reference ${reference}: reading Secret ${namespace}/${name} failed: ${why}`, { cause });
      });
    if (answer.status === 404) throw new ConfigurationError(ErrorCode.SecretUnavailable, `secret reference ${reference}: Secret ${namespace}/${name} not found`);
    if (answer.status !== 200) throw new ConfigurationError(ErrorCode.KubernetesApi, `secret reference ${reference}: reading Secret ${namespace}/${name} failed with HTTP ${answer.status}`);
    let data: unknown;
    try {
      data = (JSON.parse(answer.body) as { data?: unknown }).data;
    } catch (error) {
      throw new ConfigurationError(ErrorCode.KubernetesApi, `secret reference ${reference}: the API answered something that is not a Secret`, { cause: error });
    }
    const encoded = data !== null && typeof data === "object" ? (data as Record<string, unknown>)[key ?? ""] : undefined;
    if (typeof encoded !== "string") throw new ConfigurationError(ErrorCode.SecretUnavailable, `secret reference ${reference}: Secret ${namespace}/${name} has no key ${key}`);
    return Buffer.from(encoded, "base64").toString("utf8");
  };

  const resolveOne = async (reference: string): Promise<string> => {
    const colon = reference.indexOf(":");
    const kind = reference.slice(0, colon);
    const rest = reference.slice(colon + 1);
    if (colon < 0 || !(REFERENCE_KINDS as readonly string[]).includes(kind) || rest === "") {
      throw new ConfigurationError(ErrorCode.BadSecretReference, `secret reference ${reference}: expected env:NAME, file:/path or secret:[namespace/]name/key`);
    }
    if (kind === "env") {
      const value = (options.env ?? process.env)[rest];
      if (value === undefined) throw new ConfigurationError(ErrorCode.SecretUnavailable, `secret reference ${reference}: environment variable ${rest} is not set`);
      return value;
    }
    if (kind === "file") {
      try {
        return (await readFile(rest, "utf8")).replace(/\r?\n$/, "");
      } catch (error) {
        const code = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
        throw new ConfigurationError(ErrorCode.SecretUnavailable, `secret reference ${reference}: cannot read the file (${code})`, { cause: error });
      }
    }
    return fromKubernetes(reference, rest);
  };

  return {
    async resolve(reference: string): Promise<string> {
      const trimmed = reference.trim().replace(/^\$\{(.*)\}$/, "$1");
      const cached = cache.get(trimmed);
      if (cached !== undefined) return cached;
      return remember(trimmed, await resolveOne(trimmed));
    },
    knownValues: () => [...known],
  };
}

/**
 * A credential an action is about to send, refused when empty: an unset-but-exported variable
 * (`GITHUB_TOKEN=`) must not become `Authorization: Bearer ` sent to a public API. `written` is
 * the field as the experiment wrote it (`${env:GITHUB_TOKEN}`), never the value.
 */
export function nonEmptyCredential(value: string, what: { task: string; field: string; written: string }): string {
  if (value.trim() !== "") return value;
  const variable = /^\$\{env:([^}]+)\}$/.exec(what.written.trim())?.[1];
  const fix = variable
    ? `set ${variable} before running (export ${variable}=...), or skip the task with an \`if:\``
    : `give the task a ${what.field}: a secret reference like \${env:NAME}, \${file:/path} or \${secret:name/key}`;
  const resolved = what.written.includes("${") ? ` (${what.written.trim()} resolved to "")` : "";
  throw new ConfigurationError(ErrorCode.SecretUnavailable, `${what.task}: ${what.field} is empty${resolved}; nothing was sent: ${fix}`, {
    field: what.field,
    suggestion: fix,
  });
}
