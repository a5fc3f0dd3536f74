/**
 * The local stand-ins an Iter8 experiment talks to, started per fixture on 127.0.0.1 from the
 * `services:` block of its expectation file: HTTP apps (per-path delay, status, failures), a file
 * server for runtime downloads (payloadURL, payloadTemplateURL, custommetrics templates, protoURL),
 * a webhook receiver (notify/slack/github), a Prometheus query API, a Kubernetes API for `ready`,
 * and a gRPC Greeter. Each records what it received so expectations can check it. Nothing here
 * ever calls out: every URL an experiment gets is one of these.
 */
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { startHttpTarget } from "../harness/index.js";
import type { HttpTarget } from "../harness/index.js";

/** How one path of an app target answers. */
export interface RouteSpec {
  /** Fixed delay before answering (ms). Default 0. */
  delayMs?: number;
  /** Status of a normal answer. Default 200. */
  status?: number;
  /** Every Nth request on this route (per-route count) answers 500. */
  failEvery?: number;
  /** Body of the answer. Default "ok". */
  body?: string;
}

/** An HTTP app: a default route plus per-path-prefix overrides (longest prefix wins). */
export interface TargetSpec extends RouteSpec {
  routes?: Record<string, RouteSpec>;
}

export interface PromRule {
  /** Every string must appear in the PromQL query. */
  when: string[];
  /** The sample value Prometheus returns (a string, as Prometheus does). */
  value: string;
}

export interface ServicesSpec {
  /** App targets by name; `{{PORT}}` is the port of the one named `app`. */
  targets?: Record<string, TargetSpec>;
  /** Serve test/compat/fixtures/assets (placeholders substituted) as `{{PORT:assets}}`. */
  assets?: boolean;
  /** Webhook receiver `{{PORT:hook}}`; answers this status (default 200). */
  hook?: { status?: number };
  /** Prometheus query API `{{PORT:prom}}` (GET or POST /api/v1/query). Unmatched: empty vector. */
  prometheus?: { rules: PromRule[] };
  /** Kubernetes API for `ready` (kubeconfig in KUBECONFIG): object path -> status.conditions. */
  kube?: { objects: Record<string, { conditions?: Array<{ type: string; status: string }> }> };
  /** gRPC helloworld-style Greeter `{{PORT:grpc}}` (proto: assets/greeter.proto). */
  grpc?: { delayMs?: number; failEvery?: number };
}

export interface Arrival {
  n: number;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
  atMs: number;
}

export interface RunningServices {
  /** Placeholder name (`PORT`, `PORT:hook`, ...) -> value. */
  readonly placeholders: Readonly<Record<string, string>>;
  /** Environment for the CLI child (KUBECONFIG when a Kubernetes API runs). */
  readonly env: Readonly<Record<string, string>>;
  /** Requests each app target / the hook / the assets server received, in arrival order. */
  arrivals(name: string): Arrival[];
  /** PromQL queries received. */
  promQueries(): string[];
  /** Greeter calls received (request messages and metadata). */
  grpcCalls(): Array<{ name: string; metadata: Record<string, string> }>;
  close(): Promise<void>;
}

const ARRIVAL_LIMIT = 5000;
const KUBE_TOKEN = "compat-kube-token";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Records every request, then answers with `answer` (which may delay). */
function recordingHandler(
  arrivals: Arrival[],
  answer: (arrival: Arrival, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse, n: number) => void {
  return (req, res, n) => {
    readBody(req).then(
      (body) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const arrival: Arrival = { n, method: req.method ?? "", path: url.pathname, query: url.search, headers: flatHeaders(req), body, atMs: Date.now() };
        if (arrivals.length < ARRIVAL_LIMIT) arrivals.push(arrival);
        answer(arrival, res);
      },
      () => res.destroy(),
    );
  };
}

function send(res: ServerResponse, status: number, body: string, contentType = "text/plain"): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function routeFor(spec: TargetSpec, path: string): { key: string; route: RouteSpec } {
  let best: { key: string; route: RouteSpec } = { key: "", route: spec };
  for (const [prefix, route] of Object.entries(spec.routes ?? {})) {
    if (path.startsWith(prefix) && prefix.length > best.key.length) best = { key: prefix, route: { ...spec, ...route } };
  }
  return best;
}

async function startApp(spec: TargetSpec, arrivals: Arrival[]): Promise<HttpTarget> {
  const perRoute = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const target = await startHttpTarget({
    handler: recordingHandler(arrivals, (arrival, res) => {
      const { key, route } = routeFor(spec, arrival.path);
      const count = (perRoute.get(key) ?? 0) + 1;
      perRoute.set(key, count);
      const failing = route.failEvery !== undefined && route.failEvery > 0 && count % route.failEvery === 0;
      const reply = (): void => send(res, failing ? 500 : (route.status ?? 200), route.body ?? "ok");
      const delayMs = route.delayMs ?? 0;
      if (delayMs <= 0) {
        reply();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        reply();
      }, delayMs);
      timers.add(timer);
    }),
  });
  const close = (): Promise<void> => target.close();
  return {
    ...target,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await close();
    },
  };
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const full = join(dir, name);
    if ((await stat(full)).isDirectory()) out.push(...(await listFiles(full, `${prefix}${name}/`)));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

async function startAssets(dir: string, substitute: (text: string) => string, arrivals: Arrival[]): Promise<HttpTarget> {
  const files = new Map<string, string>();
  for (const rel of await listFiles(dir)) files.set(`/${rel}`, await readFile(join(dir, rel), "utf8"));
  return startHttpTarget({
    handler: recordingHandler(arrivals, (arrival, res) => {
      const text = files.get(arrival.path);
      if (text === undefined) send(res, 404, "not found");
      else send(res, 200, substitute(text));
    }),
  });
}

function promAnswer(rules: readonly PromRule[], query: string): string {
  const rule = rules.find((r) => r.when.every((needle) => query.includes(needle)));
  const result = rule === undefined ? [] : [{ metric: {}, value: [Date.now() / 1000, rule.value] }];
  return JSON.stringify({ status: "success", data: { resultType: "vector", result } });
}

async function startProm(rules: readonly PromRule[], arrivals: Arrival[], queries: string[]): Promise<HttpTarget> {
  return startHttpTarget({
    handler: recordingHandler(arrivals, (arrival, res) => {
      if (arrival.path !== "/api/v1/query") {
        send(res, 404, JSON.stringify({ status: "error", error: `no route ${arrival.path}` }), "application/json");
        return;
      }
      const params = new URLSearchParams(arrival.query);
      const form = new URLSearchParams(arrival.method === "POST" ? arrival.body : "");
      const query = params.get("query") ?? form.get("query") ?? "";
      queries.push(query);
      send(res, 200, promAnswer(rules, query), "application/json");
    }),
  });
}

async function startKube(objects: NonNullable<ServicesSpec["kube"]>["objects"], arrivals: Arrival[]): Promise<HttpTarget> {
  return startHttpTarget({
    handler: recordingHandler(arrivals, (arrival, res) => {
      const json = (status: number, body: unknown): void => send(res, status, JSON.stringify(body), "application/json");
      if (arrival.headers["authorization"] !== `Bearer ${KUBE_TOKEN}`) {
        json(401, { kind: "Status", code: 401, message: "Unauthorized" });
        return;
      }
      const object = objects[arrival.path];
      if (arrival.method !== "GET" || object === undefined) {
        json(404, { kind: "Status", reason: "NotFound", code: 404, message: `${arrival.path} not found` });
        return;
      }
      const name = arrival.path.split("/").pop() ?? "";
      json(200, { metadata: { name, namespace: "default" }, status: { conditions: object.conditions ?? [] } });
    }),
  });
}

async function writeKubeconfig(dir: string, server: string): Promise<string> {
  const path = join(dir, "kubeconfig.yaml");
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: compat",
    "  cluster:",
    `    server: ${server}`,
    "users:",
    "- name: compat",
    "  user:",
    `    token: ${KUBE_TOKEN}`,
    "contexts:",
    "- name: compat",
    "  context:",
    "    cluster: compat",
    "    user: compat",
    "    namespace: default",
    "current-context: compat",
    "",
  ].join("\n");
  await writeFile(path, text);
  return path;
}

interface GreeterHandle {
  port: number;
  close(): Promise<void>;
}

async function startGreeter(protoPath: string, spec: NonNullable<ServicesSpec["grpc"]>, calls: Array<{ name: string; metadata: Record<string, string> }>): Promise<GreeterHandle> {
  const definition = await protoLoader.load(protoPath, { keepCase: true, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { helloworld: { Greeter: grpc.ServiceClientConstructor } };
  const server = new grpc.Server();
  const timers = new Set<NodeJS.Timeout>();
  let count = 0;
  const answer = (greeting: string) => (call: grpc.ServerUnaryCall<{ name?: string }, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
    count++;
    const n = count;
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(call.metadata.getMap())) metadata[key] = String(value);
    calls.push({ name: call.request.name ?? "", metadata });
    const reply = (): void => {
      if (spec.failEvery !== undefined && spec.failEvery > 0 && n % spec.failEvery === 0) callback({ code: grpc.status.INTERNAL, details: "compat: failing on purpose" });
      else callback(null, { message: `${greeting} ${call.request.name ?? ""}` });
    };
    const delayMs = spec.delayMs ?? 0;
    if (delayMs <= 0) {
      reply();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      reply();
    }, delayMs);
    timers.add(timer);
  };
  server.addService(loaded.helloworld.Greeter.service, { SayHello: answer("Hello"), SayHelloAgain: answer("Hello again") });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.forceShutdown();
        resolve();
      }),
  };
}

/**
 * Starts what `spec` asks for. `assetsDir` is served when `spec.assets` is on, with
 * `substitute` applied (so asset templates can name the other services' ports); `workDir`
 * receives the kubeconfig.
 */
export async function startServices(spec: ServicesSpec, options: { assetsDir: string; workDir: string }): Promise<RunningServices> {
  const closers: Array<() => Promise<void>> = [];
  const arrivals = new Map<string, Arrival[]>();
  const placeholders: Record<string, string> = { TMPDIR: options.workDir };
  const env: Record<string, string> = {};
  const promQueries: string[] = [];
  const grpcCalls: Array<{ name: string; metadata: Record<string, string> }> = [];
  const track = (name: string): Arrival[] => {
    const list: Arrival[] = [];
    arrivals.set(name, list);
    return list;
  };
  const substitute = (text: string): string => substitutePlaceholders(text, placeholders);
  try {
    for (const [name, target] of Object.entries(spec.targets ?? {})) {
      const app = await startApp(target, track(name));
      closers.push(() => app.close());
      placeholders[`PORT:${name}`] = String(app.port);
      if (name === "app") placeholders["PORT"] = String(app.port);
    }
    if (spec.hook !== undefined) {
      const status = spec.hook.status ?? 200;
      const hook = await startHttpTarget({ handler: recordingHandler(track("hook"), (_arrival, res) => send(res, status, "ok")) });
      closers.push(() => hook.close());
      placeholders["PORT:hook"] = String(hook.port);
    }
    if (spec.prometheus !== undefined) {
      const prom = await startProm(spec.prometheus.rules, track("prom"), promQueries);
      closers.push(() => prom.close());
      placeholders["PORT:prom"] = String(prom.port);
    }
    if (spec.kube !== undefined) {
      const kube = await startKube(spec.kube.objects, track("kube"));
      closers.push(() => kube.close());
      placeholders["PORT:kube"] = String(kube.port);
      env["KUBECONFIG"] = await writeKubeconfig(options.workDir, `http://127.0.0.1:${kube.port}`);
    }
    if (spec.grpc !== undefined) {
      const greeter = await startGreeter(join(options.assetsDir, "greeter.proto"), spec.grpc, grpcCalls);
      closers.push(() => greeter.close());
      placeholders["PORT:grpc"] = String(greeter.port);
    }
    if (spec.assets === true) {
      // Last: asset templates may name any other service's port.
      const assets = await startAssets(options.assetsDir, substitute, track("assets"));
      closers.push(() => assets.close());
      placeholders["PORT:assets"] = String(assets.port);
    }
  } catch (error) {
    await Promise.allSettled(closers.map((close) => close()));
    throw error;
  }
  return {
    placeholders,
    env,
    arrivals: (name) => arrivals.get(name) ?? [],
    promQueries: () => [...promQueries],
    grpcCalls: () => [...grpcCalls],
    close: async () => {
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}

const PLACEHOLDER = /\{\{(PORT|TMPDIR)(?::([A-Za-z0-9_-]+))?\}\}/g;

/** Replaces `{{PORT}}`, `{{PORT:name}}` and `{{TMPDIR}}`; an unknown one is an error. */
export function substitutePlaceholders(text: string, placeholders: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (whole, kind: string, name: string | undefined) => {
    const key = name === undefined ? kind : `${kind}:${name}`;
    const value = placeholders[key];
    if (value === undefined) throw new Error(`placeholder ${whole} names no running service (known: ${Object.keys(placeholders).join(", ")})`);
    return value;
  });
}
