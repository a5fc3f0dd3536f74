/**
 * The harness's own client for the real kube-apiserver (see kube.ts): raw requests with a bearer
 * token, kind → resource through API discovery, create / get / server-side apply / patch / delete,
 * writes to the status subresource, and impersonation.
 *
 * Deliberately separate from the product's client (coordinator/actions/kube.ts), so a test never
 * checks that code against itself. @kubernetes/client-node's generic object API was the library
 * candidate; it does not reach subresources (status, serviceaccounts/token) and turns objects into
 * model classes (dates as Date), where tests want the JSON the server sent.
 */
import { Agent, request } from "node:https";

/** An object as the API server returns it (JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** One entry of `metadata.managedFields`: who set which fields, by apply or update. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

/** Names one object; `namespace` is ignored for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}

export interface KubeRequestOptions {
  readonly query?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  /** Default application/json when there is a body. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout. Default 30000. */
  readonly timeoutMs?: number;
}

export interface KubeResponse {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** A non-2xx answer: `status`, and the Status object's `reason` and `message` when there is one. */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string | undefined,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${status}${reason ? ` ${reason}` : ""}: ${body.slice(0, 500)}`);
  }
}

export interface ApplyOptions {
  /** Default "assay-test". */
  readonly fieldManager?: string;
  /** Take over fields other managers own. Default true. */
  readonly force?: boolean;
  /** Server-side dry run: validated and defaulted, not stored. */
  readonly dryRun?: boolean;
}

export type PatchType = "merge" | "json" | "strategic";

const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

interface ResourceInfo {
  name: string;
  namespaced: boolean;
}

export interface KubeTestClientOptions {
  /** `https://127.0.0.1:PORT` */
  readonly server: string;
  /** Bearer token. */
  readonly token: string;
  /** PEM of the CA that signed the server's certificate. */
  readonly caPem: string;
  /** Sent with every request (impersonation). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** `/api/v1` for core, `/apis/group/version` otherwise. */
export function apiVersionPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** A Kubernetes API client for tests; one keep-alive connection pool per client. */
export class KubeTestClient {
  private readonly agent: Agent;
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(private readonly options: KubeTestClientOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 8, ca: options.caPem });
  }

  get server(): string {
    return this.options.server;
  }

  /** The same server and token, acting as `user` (Impersonate-User; groups follow for service accounts). */
  impersonate(user: string, groups: readonly string[] = []): KubeTestClient {
    const headers: Record<string, string> = { ...this.options.headers, "Impersonate-User": user };
    return new KubeTestClient({ ...this.options, headers: groups.length === 0 ? headers : { ...headers, "Impersonate-Group": groups.join(",") } });
  }

  /** One request; never throws on an HTTP status (only on network errors and timeouts). */
  raw(method: string, path: string, opts: KubeRequestOptions = {}): Promise<KubeResponse> {
    const url = new URL(path, this.options.server);
    for (const [key, value] of Object.entries(opts.query ?? {})) url.searchParams.set(key, value);
    const body = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      Accept: "application/json",
      Authorization: `Bearer ${this.options.token}`,
      ...this.options.headers,
      ...opts.headers,
    };
    if (body !== undefined) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    return new Promise<KubeResponse>((resolve, reject) => {
      const outgoing = request(url, { method, headers, agent: this.agent, timeout: opts.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("error", reject);
        res.once("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      });
      outgoing.once("timeout", () => outgoing.destroy(new Error(`${method} ${url.pathname}: no answer within ${opts.timeoutMs ?? 30_000} ms`)));
      outgoing.once("error", reject);
      outgoing.end(body);
    });
  }

  /** One request; a non-2xx answer throws KubeApiError. Returns the parsed JSON body. */
  async request<T = unknown>(method: string, path: string, opts: KubeRequestOptions = {}): Promise<T> {
    const answer = await this.raw(method, path, opts);
    if (answer.status < 200 || answer.status > 299) {
      const reason = (answer.json as { reason?: unknown } | undefined)?.reason;
      throw new KubeApiError(method, path, answer.status, typeof reason === "string" ? reason : undefined, answer.text);
    }
    return answer.json as T;
  }

  /** The resource (plural name, scope) of `kind` in `apiVersion`, from discovery (cached once found). */
  async resourceOf(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = this.discovery.get(apiVersion)?.get(kind);
    if (cached) return cached;
    const list = await this.request<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>("GET", apiVersionPath(apiVersion));
    const byKind = new Map<string, ResourceInfo>();
    for (const resource of list.resources ?? []) {
      if (!resource.name.includes("/")) byKind.set(resource.kind, { name: resource.name, namespaced: resource.namespaced });
    }
    this.discovery.set(apiVersion, byKind);
    const found = byKind.get(kind);
    if (!found) throw new Error(`the API server serves no kind ${kind} in ${apiVersion}`);
    return found;
  }

  /** The URL path of an object (or, with `collection`, of its collection). */
  async pathOf(ref: Omit<ObjectRef, "name"> & { name?: string }, collection = false): Promise<string> {
    const resource = await this.resourceOf(ref.apiVersion, ref.kind);
    const namespace = resource.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? "default")}` : "";
    const base = `${apiVersionPath(ref.apiVersion)}${namespace}/${resource.name}`;
    if (collection) return base;
    if (!ref.name) throw new Error(`no name given for ${ref.kind}`);
    return `${base}/${encodeURIComponent(ref.name)}`;
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    return this.request<T>("GET", await this.pathOf(ref));
  }

  /** Like get, but undefined when the object does not exist. */
  async find<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const answer = await this.raw("GET", await this.pathOf(ref));
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new KubeApiError("GET", await this.pathOf(ref), answer.status, undefined, answer.text);
    return answer.json as T;
  }

  async create<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    return this.request<T>("POST", await this.pathOf(refOf(object), true), { body: object });
  }

  /** Server-side apply (application/apply-patch+yaml) of a whole object. */
  async apply<T extends KubeObject = KubeObject>(object: KubeObject, opts: ApplyOptions = {}): Promise<T> {
    const query: Record<string, string> = { fieldManager: opts.fieldManager ?? "assay-test" };
    if (opts.force ?? true) query["force"] = "true";
    if (opts.dryRun) query["dryRun"] = "All";
    return this.request<T>("PATCH", await this.pathOf(refOf(object)), { body: object, contentType: "application/apply-patch+yaml", query });
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType = "merge", fieldManager = "assay-test"): Promise<T> {
    return this.request<T>("PATCH", await this.pathOf(ref), { body: patch, contentType: PATCH_CONTENT_TYPES[type], query: { fieldManager } });
  }

  /**
   * Merges `status` into the object's status through the status subresource, as a controller
   * would: the real server has no controllers, so nothing else ever writes it.
   */
  async patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, status: Record<string, unknown>): Promise<T> {
    return this.request<T>("PATCH", `${await this.pathOf(ref)}/status`, {
      body: { status },
      contentType: PATCH_CONTENT_TYPES.merge,
      query: { fieldManager: "assay-test-controller" },
    });
  }

  /** Deletes the object; a missing object is fine. */
  async delete(ref: ObjectRef): Promise<void> {
    const path = await this.pathOf(ref);
    const answer = await this.raw("DELETE", path);
    if (answer.status !== 200 && answer.status !== 202 && answer.status !== 404) throw new KubeApiError("DELETE", path, answer.status, undefined, answer.text);
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** The ref of an object (apiVersion, kind, name, namespace). */
export function refOf(object: KubeObject): ObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace };
}
