/**
 * A small Kubernetes API client: the configuration comes from kube-config.ts (kubeconfig,
 * KUBECONFIG, or the in-cluster service account); requests go out through node:http(s) so the
 * patch content types, timeouts and cancellation are exactly ours.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { AttemptFailure } from "./common.js";
import { loadKubeAccess } from "./kube-config.js";

export interface KubeRequest {
  readonly method: "GET" | "PATCH";
  /** API path, e.g. `/apis/apps/v1/namespaces/default/deployments/web`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly contentType?: string;
}

export interface KubeAnswer {
  readonly status: number;
  readonly body: string;
}

export interface KubeClient {
  /** The API server URL (no credentials in it). */
  readonly server: string;
  /** The kubeconfig context's namespace (in-cluster: the pod's), else "default". */
  readonly defaultNamespace: string;
  /** One request; network errors and timeouts reject with a retryable AttemptFailure. */
  request(request: KubeRequest, signal: AbortSignal): Promise<KubeAnswer>;
}

/** Largest response body kept (objects, discovery documents). */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** A client for the configured cluster; throws ConfigurationError when there is none. */
export async function kubeClient(kubeconfig: string | undefined): Promise<KubeClient> {
  const access = await loadKubeAccess(kubeconfig);
  const base = new URL(access.server);

  const request = async (req: KubeRequest, signal: AbortSignal): Promise<KubeAnswer> => {
    const auth = await access.headers();
    return new Promise<KubeAnswer>((resolve, reject) => {
      const url = new URL(base.pathname.replace(/\/$/, "") + req.path, base);
      for (const [key, value] of Object.entries(req.query ?? {})) url.searchParams.set(key, value);
      const headers: Record<string, string> = { ...auth, Accept: "application/json", "User-Agent": "assay" };
      if (req.contentType) headers["Content-Type"] = req.contentType;
      if (req.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(req.body));
      const tls = url.protocol === "https:";
      const send = tls ? httpsRequest : httpRequest;
      const outgoing = send(
        url,
        {
          method: req.method,
          headers,
          signal,
          ...(tls ? { ca: access.ca, cert: access.cert, key: access.key, rejectUnauthorized: access.rejectUnauthorized } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= BODY_LIMIT_BYTES) chunks.push(chunk);
          });
          response.once("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          response.once("error", (error) => reject(new AttemptFailure(`Kubernetes API: ${error.message}`, { retryable: true, cause: error })));
        },
      );
      outgoing.once("error", (error: Error & { code?: string }) => {
        reject(new AttemptFailure(`Kubernetes API unreachable: ${error.code ?? error.message}`, { retryable: true, cause: error }));
      });
      outgoing.end(req.body);
    });
  };

  return { server: `${base.protocol}//${base.host}`, defaultNamespace: access.namespace, request };
}

/** What discovery says about a resource. */
export interface ResourceInfo {
  /** Plural resource name, e.g. `virtualservices`. */
  readonly name: string;
  readonly namespaced: boolean;
}

/** `/api/v1` for core (`v1`), `/apis/group/version` otherwise. */
export function apiRoot(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The path of one object. */
export function objectPath(apiVersion: string, resource: string, name: string, namespace: string | undefined): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${apiRoot(apiVersion)}${ns}/${resource}/${encodeURIComponent(name)}`;
}

/** Finds `kind` in the API discovery document of `apiVersion` (GET /apis/group/version). */
export async function discoverResource(client: KubeClient, apiVersion: string, kind: string, signal: AbortSignal): Promise<ResourceInfo> {
  const answer = await client.request({ method: "GET", path: apiRoot(apiVersion) }, signal);
  if (answer.status === 404) {
    throw new AttemptFailure(`the API server does not serve ${apiVersion}`, { retryable: false, status: 404 });
  }
  if (answer.status !== 200) {
    throw new AttemptFailure(`API discovery of ${apiVersion} answered HTTP ${answer.status}`, { retryable: answer.status >= 500 || answer.status === 429, status: answer.status });
  }
  let resources: unknown;
  try {
    resources = (JSON.parse(answer.body) as { resources?: unknown }).resources;
  } catch (error) {
    throw new AttemptFailure(`API discovery of ${apiVersion} returned invalid JSON`, { retryable: false, cause: error });
  }
  const list = Array.isArray(resources) ? (resources as Array<{ name?: unknown; kind?: unknown; namespaced?: unknown }>) : [];
  const found = list.find((entry) => entry.kind === kind && typeof entry.name === "string" && !entry.name.includes("/"));
  if (!found || typeof found.name !== "string") {
    throw new AttemptFailure(`kind ${kind} is not served under ${apiVersion}`, { retryable: false });
  }
  return { name: found.name, namespaced: found.namespaced === true };
}
