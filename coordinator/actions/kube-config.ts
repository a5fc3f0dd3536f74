/**
 * Kubernetes access: where the API server is and how to authenticate, from a kubeconfig file
 * (policy.kubeconfig, else the first file of KUBECONFIG, else ~/.kube/config) or from the
 * in-cluster service account. Supports server, certificate-authority(-data),
 * insecure-skip-tls-verify, client-certificate(-data)/client-key(-data), token, tokenFile,
 * username/password and the context's namespace.
 *
 * Why not @kubernetes/client-node's KubeConfig for everything: the common credentials need none of
 * it, and loading it costs start-up time. For `exec` or `auth-provider` credentials (cloud plugins)
 * we load client-node lazily and let it produce the headers. The project pins client-node 1.x:
 * 2.x depends on undici 8, which needs Node >= 22.19 and throws when imported on Node 20.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type * as KubeClientNode from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import { ConfigurationError, ErrorCode } from "../../core/index.js";

export interface KubeAccess {
  /** API server URL, e.g. https://10.0.0.1:443. */
  readonly server: string;
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly rejectUnauthorized: boolean;
  readonly namespace: string;
  /** Authentication headers for one request (a token file is re-read: tokens rotate). */
  headers(): Promise<Record<string, string>>;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function configError(message: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(ErrorCode.KubernetesConfig, `Kubernetes configuration: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    suggestion: "set the coordinator's kubeconfig, KUBECONFIG, or run in a cluster with a service account",
  });
}

/** Finds the configuration: an explicit file, KUBECONFIG, ~/.kube/config, or in-cluster. */
export async function loadKubeAccess(kubeconfig: string | undefined): Promise<KubeAccess> {
  if (kubeconfig !== undefined) return fromFile(kubeconfig);
  const fromEnv = (process.env["KUBECONFIG"] ?? "").split(":").find((path) => path !== "" && existsSync(path));
  if (fromEnv) return fromFile(fromEnv);
  const home = join(homedir(), ".kube", "config");
  if (existsSync(home)) return fromFile(home);
  if (process.env["KUBERNETES_SERVICE_HOST"]) return inCluster();
  throw configError("no kubeconfig given, KUBECONFIG unset, ~/.kube/config missing and not running in a cluster");
}

async function inCluster(): Promise<KubeAccess> {
  const host = process.env["KUBERNETES_SERVICE_HOST"] ?? "";
  const port = process.env["KUBERNETES_SERVICE_PORT"] ?? "443";
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const ca = await readFile(join(SERVICE_ACCOUNT_DIR, "ca.crt"), "utf8").catch(() => undefined);
  const namespace = (await readFile(join(SERVICE_ACCOUNT_DIR, "namespace"), "utf8").catch(() => "default")).trim();
  return {
    server,
    ca,
    cert: undefined,
    key: undefined,
    rejectUnauthorized: true,
    namespace,
    headers: async () => {
      const token = (await readFile(join(SERVICE_ACCOUNT_DIR, "token"), "utf8").catch((error: unknown) => {
        throw configError("cannot read the service account token", error);
      })).trim();
      return { Authorization: `Bearer ${token}` };
    },
  };
}

function pick(list: unknown, name: unknown, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as Array<Record<string, unknown> | null>).find((item) => item !== null && typeof item === "object" && item.name === name);
  const value = entry?.[field];
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

async function fromFile(path: string): Promise<KubeAccess> {
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(await readFile(path, "utf8")) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw configError(`cannot read kubeconfig ${path}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const base = dirname(path);
  const resolvePath = (file: string): string => (isAbsolute(file) ? file : join(base, file));
  const readData = async (data: unknown, file: unknown): Promise<string | undefined> => {
    const inline = text(data);
    if (inline) return Buffer.from(inline, "base64").toString("utf8");
    const onDisk = text(file);
    if (!onDisk) return undefined;
    try {
      return await readFile(resolvePath(onDisk), "utf8");
    } catch (error) {
      throw configError(`cannot read ${onDisk} named in kubeconfig ${path}`, error);
    }
  };

  const contextName = doc["current-context"];
  const context = pick(doc["contexts"], contextName, "context");
  if (!context) throw configError(`kubeconfig ${path} has no current context`);
  const cluster = pick(doc["clusters"], context["cluster"], "cluster");
  const server = text(cluster?.["server"]);
  if (!cluster || !server) throw configError(`kubeconfig ${path}: the current context names no cluster with a server`);
  const user = pick(doc["users"], context["user"], "user") ?? {};

  const ca = await readData(cluster["certificate-authority-data"], cluster["certificate-authority"]);
  const cert = await readData(user["client-certificate-data"], user["client-certificate"]);
  const key = await readData(user["client-key-data"], user["client-key"]);
  const token = text(user["token"]);
  const tokenFile = text(user["tokenFile"]);
  const username = text(user["username"]);
  const password = text(user["password"]);
  const plugin = user["exec"] !== undefined || user["auth-provider"] !== undefined;

  return {
    server,
    ca,
    cert,
    key,
    rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
    namespace: text(context["namespace"]) ?? "default",
    headers: async () => {
      if (token) return { Authorization: `Bearer ${token}` };
      if (tokenFile) return { Authorization: `Bearer ${(await readFile(resolvePath(tokenFile), "utf8")).trim()}` };
      if (username && password) return { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
      if (plugin) return pluginHeaders(path);
      return {};
    },
  };
}

/** exec / auth-provider credentials through @kubernetes/client-node (loaded lazily). */
async function pluginHeaders(path: string): Promise<Record<string, string>> {
  let loaded: typeof KubeClientNode;
  try {
    loaded = await import("@kubernetes/client-node");
  } catch (error) {
    throw configError(
      `kubeconfig ${path} uses exec/auth-provider credentials, which need @kubernetes/client-node and it could not be loaded; use a token or client certificate instead`,
      error,
    );
  }
  const config = new loaded.KubeConfig();
  config.loadFromFile(path);
  const options: { headers: Record<string, string | number | string[]> } = { headers: {} };
  await config.applyToHTTPSOptions(options);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
  return headers;
}
