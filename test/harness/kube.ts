/**
 * A real Kubernetes API server for tests: etcd + kube-apiserver v1.20.2 (no controller manager,
 * no scheduler, no kubelet), started by the shared kube-real tools (`start-apiserver.sh`: free
 * loopback ports, a throwaway CA, RBAC on, an admin token) with its state in a temp dir, and
 * always stopped with `stop-apiserver.sh`: by `stop()`, by `cleanupAll()`, and at process exit or
 * on SIGINT/SIGTERM (the start script detaches both servers, so the registry's child-process
 * cleanup cannot reach them).
 *
 * What a control plane without controllers means for tests (shared/tools/kube-real/README.md):
 * nothing becomes ready by itself (fake it with `setConditions` / `fakeDeploymentAvailable`, which
 * write the status subresource as a controller would), no default ServiceAccount, no token
 * controller (use `serviceAccountToken`: the TokenRequest API), deleted namespaces may stay
 * Terminating (take a fresh one per test with `createNamespace`), and `policy/v1`,
 * `batch/v1 CronJob` and `autoscaling/v2` are not served.
 *
 * The binary is built once per machine by `.ci/run` (install-from-debian.sh, ~9 min, cached in
 * /opt/kube-real). When it is missing, starting fails with a message saying so: never a skip.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { KubeTestClient } from "./kube-client.js";
import type { KubeObject, ObjectRef } from "./kube-client.js";
import { makeTempDir, registerCloser, registerExitCleanup } from "./registry.js";
import { waitUntil } from "./wait.js";

export interface KubeApiServerOptions {
  /** How long start-apiserver.sh may take (certificates, etcd, apiserver readiness). Default 180000. */
  readonly startTimeoutMs?: number;
}

/** A service account, as `kubectl auth can-i --as=system:serviceaccount:<namespace>:<name>` names it. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's standard input (e.g. manifests for `apply -f -`). */
  readonly input?: string;
  /** Resolve with the result instead of rejecting when kubectl exits non-zero. */
  readonly allowFailure?: boolean;
  /** A kubeconfig other than the admin's. */
  readonly kubeconfig?: string;
}

/** One condition in `status.conditions`, as tests write it. */
export interface ConditionInput {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason?: string;
  readonly message?: string;
}

/** The CRD fixtures `installCrds` creates (test/fixtures/kube/crds.yaml); all namespaced. */
export const CRD_FIXTURES = {
  virtualService: { apiVersion: "networking.istio.io/v1beta1", kind: "VirtualService", resource: "virtualservices" },
  destinationRule: { apiVersion: "networking.istio.io/v1beta1", kind: "DestinationRule", resource: "destinationrules" },
  httpRoute: { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", resource: "httproutes" },
  knativeService: { apiVersion: "serving.knative.dev/v1", kind: "Service", resource: "services" },
  inferenceService: { apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", resource: "inferenceservices" },
} as const;

export interface KubeApiServer {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  /** The admin kubeconfig (bearer token in group system:masters; context namespace "default"). */
  readonly kubeconfig: string;
  /** PEM of the throwaway CA that signed the server's certificate. */
  readonly caPem: string;
  readonly adminToken: string;
  /** Certificates, logs (etcd.log, kube-apiserver.log) and pid files; removed at cleanup. */
  readonly stateDir: string;
  /** How long start-apiserver.sh took, in ms. */
  readonly startMs: number;
  /** A client with the admin token. */
  readonly admin: KubeTestClient;
  /** A client with another bearer token (e.g. from `serviceAccountToken`). */
  client(token: string): KubeTestClient;
  /** Runs kubectl with the admin kubeconfig; rejects on a non-zero exit unless `allowFailure`. */
  kubectl(args: readonly string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Writes a kubeconfig for this server: the admin token unless `token`, context namespace `namespace` (default "default"). */
  writeKubeconfig(opts?: { token?: string; namespace?: string }): Promise<string>;
  /** Creates a fresh namespace `<prefix>-<random>` and returns its name. */
  createNamespace(prefix?: string): Promise<string>;
  /** Creates a ServiceAccount (no controller does it here). */
  createServiceAccount(account: ServiceAccountRef): Promise<void>;
  /** A bearer token for a ServiceAccount from the TokenRequest API (what a projected token volume holds). */
  serviceAccountToken(account: ServiceAccountRef, expirationSeconds?: number): Promise<string>;
  /**
   * `kubectl auth can-i VERB RESOURCE[/NAME] --as=system:serviceaccount:NS:SA [-n NAMESPACE]`;
   * `resource` as kubectl takes it (`virtualservices.networking.istio.io`, `deployments.apps`,
   * `secrets/assay-action-secrets`). No `namespace` = cluster scope.
   */
  canI(account: ServiceAccountRef, verb: string, resource: string, namespace?: string): Promise<boolean>;
  /**
   * Everything the account may do in `namespace` (SelfSubjectRulesReview, impersonated), one
   * sorted string per verb and resource: `"get secrets/assay-action-secrets"`,
   * `"patch virtualservices.networking.istio.io"`, `"get nodes"`. Leaves out what every
   * authenticated user may do (create self access/rules reviews; non-resource URLs).
   */
  permissions(account: ServiceAccountRef, namespace: string): Promise<string[]>;
  /** Creates the CRD fixtures (CRD_FIXTURES) and waits until the API serves them. Once per server. */
  installCrds(): Promise<void>;
  /** Merges `status` into the object's status subresource. */
  setStatus(ref: ObjectRef, status: Record<string, unknown>): Promise<KubeObject>;
  /**
   * Writes `status.conditions` (with transition times) and `status.observedGeneration` (the
   * object's generation), plus `extra` status fields, as a controller would.
   */
  setConditions(ref: ObjectRef, conditions: readonly ConditionInput[], extra?: Record<string, unknown>): Promise<KubeObject>;
  /** A Deployment's status as its controller writes it when (un)available: replicas and Available/Progressing. */
  fakeDeploymentAvailable(namespace: string, name: string, available: boolean): Promise<KubeObject>;
  /** Stops etcd and the apiserver (stop-apiserver.sh). Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_PREFIX = "/opt/kube-real";
const CRD_FILE = fileURLToPath(new URL("../fixtures/kube/crds.yaml", import.meta.url));
/** Rules every authenticated user gets from the bootstrap roles (system:basic-user). */
const EVERYONE_RESOURCES = new Set(["selfsubjectaccessreviews.authorization.k8s.io", "selfsubjectrulesreviews.authorization.k8s.io"]);

/**
 * The directory holding start-apiserver.sh: $KUBE_REAL_TOOLS, else `shared/tools/kube-real` in
 * the repository's parent or any directory above it (the project lives next to `shared/`).
 */
export function kubeRealTools(): string {
  const fromEnv = process.env["KUBE_REAL_TOOLS"];
  if (fromEnv) return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    const candidate = join(dir, "shared", "tools", "kube-real");
    if (existsSync(join(candidate, "start-apiserver.sh"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    "the kube-real tools (shared/tools/kube-real/start-apiserver.sh) were not found above the repository: set KUBE_REAL_TOOLS to their directory",
  );
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** Throws, saying how to get them, when kube-apiserver or etcd is missing. */
function requireBinaries(tools: string): void {
  const prefix = process.env["KUBE_REAL_PREFIX"] ?? DEFAULT_PREFIX;
  const candidates = [process.env["KUBE_APISERVER"], join(tools, "bin", "kube-apiserver"), join(prefix, "bin", "kube-apiserver"), onPath("kube-apiserver")];
  const apiserver = candidates.find((path): path is string => path !== undefined && existsSync(path));
  const etcd = process.env["ETCD"] ?? onPath("etcd");
  const missing = [apiserver === undefined ? `kube-apiserver (looked for ${join(prefix, "bin", "kube-apiserver")}, KUBE_APISERVER, PATH)` : "", etcd === undefined ? "etcd (PATH, ETCD)" : ""].filter((m) => m !== "");
  if (missing.length > 0) {
    throw new Error(
      `the Kubernetes tests need a real API server and ${missing.join(" and ")} is missing. ` +
        `Run \`bash .ci/run\` once: it installs etcd and builds kube-apiserver v1.20.2 with ${join(tools, "install-from-debian.sh")} ` +
        `(~9 min on a clean machine, cached in ${prefix}), or run that script yourself as root.`,
    );
  }
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

class ScriptFailure extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

function runFile(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new ScriptFailure(error.message, stderr, error));
      else resolve({ stdout, stderr });
    });
  });
}

function kubeconfigText(server: string, caPem: string, token: string, namespace: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: kube-real",
    "    cluster:",
    `      server: ${server}`,
    `      certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`,
    "users:",
    "  - name: tester",
    "    user:",
    `      token: ${token}`,
    "contexts:",
    "  - name: kube-real",
    "    context:",
    "      cluster: kube-real",
    "      user: tester",
    `      namespace: ${namespace}`,
    "current-context: kube-real",
    "",
  ].join("\n");
}

/** A DNS-1123 label from `prefix` plus 6 random hex characters. */
export function uniqueName(prefix = "t"): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "t";
  return `${clean}-${randomBytes(3).toString("hex")}`;
}

function runKubectl(fullArgs: readonly string[], args: readonly string[], opts: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("kubectl", fullArgs, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", (error) => reject(new Error(`kubectl could not start (is it on PATH?): ${error.message}`, { cause: error })));
    child.once("close", (code) => {
      if (code !== 0 && !opts.allowFailure) reject(new Error(`kubectl ${args.join(" ")} exited with ${String(code)}: ${tail(stderr || stdout)}`));
      else resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Applies the CRD fixtures and waits until each is Established and every served version lists its kind. */
async function installCrdFixtures(admin: KubeTestClient): Promise<void> {
  const objects = parseAllDocuments(await readFile(CRD_FILE, "utf8")).map((doc) => doc.toJS() as KubeObject);
  for (const crd of objects) await admin.apply(crd);
  for (const crd of objects) {
    const spec = crd["spec"] as { group: string; names: { kind: string }; versions: Array<{ name: string; served: boolean }> };
    await waitUntil(
      async () => {
        const current = await admin.get({ apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name });
        const conditions = (current["status"] as { conditions?: ConditionInput[] } | undefined)?.conditions ?? [];
        if (!conditions.some((c) => c.type === "Established" && c.status === "True")) return false;
        for (const version of spec.versions.filter((v) => v.served)) {
          const list = await admin.raw("GET", `/apis/${spec.group}/${version.name}`);
          if (list.status !== 200 || !JSON.stringify(list.json).includes(`"kind":"${spec.names.kind}"`)) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `CRD ${crd.metadata.name} to be served` },
    );
  }
}

/** The status a controller writes: conditions with transition times, observedGeneration, `extra`. */
function conditionsStatus(generation: number | undefined, conditions: readonly ConditionInput[], extra: Record<string, unknown>): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return {
    ...extra,
    observedGeneration: generation ?? 1,
    conditions: conditions.map((c) => ({ lastTransitionTime: now, lastUpdateTime: now, reason: c.reason ?? (c.status === "True" ? "Faked" : "NotYet"), message: c.message ?? "written by the test harness", ...c })),
  };
}

/** A SelfSubjectRulesReview as the account (impersonated), flattened to "verb resource[.group][/name]". */
async function rulesReview(admin: KubeTestClient, account: ServiceAccountRef, namespace: string): Promise<string[]> {
  const review = await admin.impersonate(`system:serviceaccount:${account.namespace}:${account.name}`).request<{
    status: { resourceRules?: Array<{ verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }> };
  }>("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
    body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace } },
  });
  const out = new Set<string>();
  for (const rule of review.status.resourceRules ?? []) {
    for (const group of rule.apiGroups ?? [""]) {
      for (const resource of rule.resources ?? []) {
        const qualified = group === "" ? resource : `${resource}.${group}`;
        if (EVERYONE_RESOURCES.has(qualified)) continue;
        const names = rule.resourceNames && rule.resourceNames.length > 0 ? rule.resourceNames.map((n) => `${qualified}/${n}`) : [qualified];
        for (const verb of rule.verbs) for (const name of names) out.add(`${verb} ${name}`);
      }
    }
  }
  return [...out].sort();
}

/**
 * Starts a private etcd + kube-apiserver (about 5-8 s on an idle machine, 20-30 s under load) and
 * waits until /readyz answers 200 and the `default` namespace exists.
 */
export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const tools = kubeRealTools();
  requireBinaries(tools);
  const stateDir = await makeTempDir("kube");
  const env: NodeJS.ProcessEnv = { ...process.env, KUBE_REAL_STATE: stateDir };
  const stopScript = join(tools, "stop-apiserver.sh");
  const anyPidFile = (): boolean => existsSync(join(stateDir, "etcd.pid")) || existsSync(join(stateDir, "kube-apiserver.pid"));
  const unregisterExit = registerExitCleanup(() => {
    if (anyPidFile()) execFileSync("bash", [stopScript], { env, stdio: "ignore", timeout: 20_000 });
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (anyPidFile()) await runFile("bash", [stopScript], env, 30_000);
      unregisterExit();
    })();
    return stopping;
  };
  const unregisterCloser = registerCloser(stop);

  const startedAt = Date.now();
  let kubeconfig: string;
  try {
    const { stdout } = await runFile("bash", [join(tools, "start-apiserver.sh")], env, opts.startTimeoutMs ?? 180_000);
    kubeconfig = stdout.trim().split("\n").at(-1) ?? "";
  } catch (error) {
    const stderr = error instanceof ScriptFailure ? error.stderr : "";
    const log = await readFile(join(stateDir, "kube-apiserver.log"), "utf8").catch(() => "");
    await stop().catch(() => undefined);
    unregisterCloser();
    throw new Error(`start-apiserver.sh failed: ${error instanceof Error ? error.message : String(error)}\n${tail(stderr)}\n--- kube-apiserver.log ---\n${tail(log)}`, { cause: error });
  }
  const startMs = Date.now() - startedAt;
  const caPem = readFileSync(join(stateDir, "pki", "ca.crt"), "utf8");
  const adminToken = readFileSync(join(stateDir, "pki", "admin.token"), "utf8").trim();
  const url = /KUBE_API_URL=(\S+)/.exec(readFileSync(join(stateDir, "env"), "utf8"))?.[1];
  if (!url || !existsSync(kubeconfig)) {
    await stop();
    unregisterCloser();
    throw new Error(`start-apiserver.sh did not leave a kubeconfig and env in ${stateDir}`);
  }
  const admin = new KubeTestClient({ server: url, token: adminToken, caPem });
  const clients = new Set<KubeTestClient>([admin]);
  await waitUntil(async () => (await admin.raw("GET", "/readyz", { timeoutMs: 2000 })).status === 200, { timeoutMs: 60_000, intervalMs: 100, what: "kube-apiserver /readyz" });
  await waitUntil(async () => (await admin.raw("GET", "/api/v1/namespaces/default", { timeoutMs: 2000 })).status === 200, {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: "the default namespace",
  });

  const kubectl = (args: readonly string[], kopts: KubectlOptions = {}): Promise<KubectlResult> =>
    runKubectl([`--kubeconfig=${kopts.kubeconfig ?? kubeconfig}`, `--cache-dir=${join(stateDir, "kubectl-cache")}`, ...args], args, kopts);

  let crds: Promise<void> | undefined;
  const setConditions = async (ref: ObjectRef, conditions: readonly ConditionInput[], extra: Record<string, unknown> = {}): Promise<KubeObject> =>
    admin.patchStatus(ref, conditionsStatus((await admin.get(ref)).metadata.generation, conditions, extra));

  const server: KubeApiServer = {
    url,
    kubeconfig,
    caPem,
    adminToken,
    stateDir,
    startMs,
    admin,
    client(token) {
      const client = new KubeTestClient({ server: url, token, caPem });
      clients.add(client);
      return client;
    },
    kubectl,
    async writeKubeconfig(kopts = {}) {
      const path = join(stateDir, `kubeconfig-${randomBytes(4).toString("hex")}`);
      await writeFile(path, kubeconfigText(url, caPem, kopts.token ?? adminToken, kopts.namespace ?? "default"), { mode: 0o600 });
      return path;
    },
    async createNamespace(prefix = "t") {
      const name = uniqueName(prefix);
      await admin.create({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "assay.dev/test": "true" } } });
      return name;
    },
    async createServiceAccount(account) {
      await admin.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: account.name, namespace: account.namespace } });
    },
    async serviceAccountToken(account, expirationSeconds = 600) {
      const answer = await admin.request<{ status: { token: string } }>(
        "POST",
        `/api/v1/namespaces/${encodeURIComponent(account.namespace)}/serviceaccounts/${encodeURIComponent(account.name)}/token`,
        { body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds } } },
      );
      return answer.status.token;
    },
    async canI(account, verb, resource, namespace) {
      const args = ["auth", "can-i", verb, resource, `--as=system:serviceaccount:${account.namespace}:${account.name}`];
      if (namespace !== undefined) args.push(`--namespace=${namespace}`);
      const result = await kubectl(args, { allowFailure: true });
      const answer = result.stdout.trim();
      if (answer === "yes" && result.code === 0) return true;
      if (answer === "no" && result.code === 1) return false;
      throw new Error(`kubectl auth can-i ${verb} ${resource}: exit ${result.code}: ${tail(result.stderr || result.stdout)}`);
    },
    permissions: (account, namespace) => rulesReview(admin, account, namespace),
    installCrds() {
      crds ??= installCrdFixtures(admin);
      return crds;
    },
    setStatus: (ref, status) => admin.patchStatus(ref, status),
    setConditions,
    async fakeDeploymentAvailable(namespace, name, available) {
      const ref = { apiVersion: "apps/v1", kind: "Deployment", name, namespace };
      const deployment = await admin.get(ref);
      const replicas = (deployment["spec"] as { replicas?: number } | undefined)?.replicas ?? 1;
      const ready = available ? replicas : 0;
      return setConditions(
        ref,
        [
          available
            ? { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." }
            : { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." },
          { type: "Progressing", status: "True", reason: available ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", message: `ReplicaSet "${name}" is progressing.` },
        ],
        { replicas, updatedReplicas: replicas, readyReplicas: ready, availableReplicas: ready, ...(available ? {} : { unavailableReplicas: replicas }) },
      );
    },
    async stop() {
      for (const client of clients) client.close();
      await stop();
      unregisterCloser();
    },
  };
  return server;
}

let shared: Promise<KubeApiServer> | undefined;

/**
 * One API server for the whole test process (each test file runs in its own process): started on
 * first use, stopped by `cleanupAll()` (call it from `after()`) or at exit. A failed start fails
 * every caller with the same message.
 */
export function sharedKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  if (shared === undefined) {
    const starting = startKubeApiServer(opts);
    shared = starting;
    // startKubeApiServer registers the stop itself; this only forgets the stopped server.
    registerCloser(() => {
      if (shared === starting) shared = undefined;
      return Promise.resolve();
    });
  }
  return shared;
}
