/**
 * Test helpers for the action tasks: a TaskContext over a sample result, a pino logger that
 * writes into a buffer (so tests can check what was logged), local HTTP receivers that record
 * method, path, headers and body, and a kubeconfig pointing at a local fake API server.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { REDACTED_PATHS } from "../../../core/index.js";
import type { ResultDocument, TaskEntry, TaskSpec } from "../../../core/index.js";
import type { RunnerPolicy, SecretResolver, TaskContext, TaskEvent } from "../../../coordinator/tasks/types.js";
import { createActionRunners } from "../../../coordinator/actions/index.js";
import { makeTempDir, startHttpTarget } from "../../harness/index.js";

/** Runners with short backoff so retry tests take well under a second per retry. */
export const fastRunners = createActionRunners({ retryBaseMs: 20, retryCapMs: 100, readyPollBaseMs: 20, readyPollCapMs: 100 });

export function sampleResult(overrides: Partial<ResultDocument> = {}): ResultDocument {
  return {
    schemaVersion: 1,
    name: "canary-reviews",
    completed: false,
    failure: null,
    incomplete: false,
    startTime: "2026-11-21T10:00:00.000Z",
    numCompletedTasks: 2,
    versions: ["v1", "v2"],
    metrics: { v1: { "http/latency-p95": 12.5, "http/error-rate": 0 }, v2: { "http/latency-p95": 9.25, "http/error-rate": 0 } },
    metricsInfo: {},
    slos: [
      { metric: "http/latency-p95", direction: "upper", limit: 100, satisfied: { v1: true, v2: true }, value: { v1: 12.5, v2: 9.25 } },
      { metric: "http/error-rate", direction: "upper", limit: 0.01, satisfied: { v1: true, v2: true }, value: { v1: 0, v2: 0 } },
    ],
    tasks: [
      { index: 0, task: "http", status: "completed" },
      { index: 1, task: "assess", status: "completed" },
      { index: 2, task: "slack", status: "running" },
    ],
    histograms: {},
    assessment: { winner: "v2", baseline: "v1", weights: { v1: 20, v2: 80 } },
    source: "examples/canary-istio.yaml",
    ...overrides,
  };
}

export interface TestContext {
  context: TaskContext;
  events: TaskEvent[];
  /** Everything logged so far (pino JSON lines). */
  logs(): string;
  abort(): void;
}

export function makeContext(spec: TaskSpec, options: { result?: ResultDocument; policy?: Partial<RunnerPolicy>; secrets?: SecretResolver } = {}): TestContext {
  let logged = "";
  const logger = pino(
    { level: "trace", redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" } },
    { write: (line: string) => void (logged += line) },
  );
  const events: TaskEvent[] = [];
  const controller = new AbortController();
  const result = options.result ?? sampleResult();
  const entry: TaskEntry = { index: 2, writtenName: spec.task, condition: undefined, conditionText: undefined, spec, location: { file: "test.yaml", line: 1, column: 1 } };
  const known = new Set<string>();
  const secrets: SecretResolver = options.secrets ?? {
    resolve: (reference) => Promise.reject(new Error(`no secret ${reference}`)),
    knownValues: () => [...known],
  };
  const context: TaskContext = {
    experiment: { name: result.name, source: result.source, tasks: [entry] },
    entry,
    result,
    experimentStartMs: Date.now(),
    signal: controller.signal,
    logger,
    secrets,
    policy: { allowRunTask: false, kubeconfig: undefined, ...options.policy },
    addVersion: () => undefined,
    setMetric: () => undefined,
    setMetricError: () => undefined,
    setMetricSample: () => undefined,
    setResultField: () => undefined,
    emit: (event) => void events.push(event),
  };
  return { context, events, logs: () => logged, abort: () => controller.abort() };
}

export interface Received {
  n: number;
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | "hang";

export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A local HTTP server that records each request (body included) and answers with `reply`. */
export async function startReceiver(reply: (request: Received) => Reply): Promise<Receiver> {
  const received: Received[] = [];
  const target = await startHttpTarget({
    handler: (req, res: ServerResponse, n) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.once("end", () => {
        const request: Received = { n, method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        received.push(request);
        const answer = reply(request);
        if (answer === "hang") return;
        const body = answer.body ?? "";
        res.writeHead(answer.status, { "content-length": String(Buffer.byteLength(body)), ...answer.headers });
        res.end(body);
      });
    },
  });
  return { url: target.url.replace(/\/$/, ""), received, close: () => target.close() };
}

/** Writes a kubeconfig for `server` with a bearer token; returns its path. */
export async function writeKubeconfig(server: string, token: string, namespace = "default"): Promise<string> {
  const dir = await makeTempDir("assay-actions-kube-");
  const path = join(dir, "kubeconfig.yaml");
  await writeFile(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: local",
      "    cluster:",
      `      server: ${server}`,
      "users:",
      "  - name: tester",
      "    user:",
      `      token: ${token}`,
      "contexts:",
      "  - name: local",
      "    context:",
      "      cluster: local",
      "      user: tester",
      `      namespace: ${namespace}`,
      "current-context: local",
      "",
    ].join("\n"),
  );
  return path;
}

/** Common action fields. */
export const common = { softFailure: false, timeoutMs: undefined, retries: undefined } as const;
