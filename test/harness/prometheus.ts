import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startProcess } from "./process.js";
import type { ProcessHandle } from "./process.js";
import { makeTempDir } from "./registry.js";
import { freePort, httpOk, waitUntil } from "./wait.js";

export interface PrometheusOptions {
  /** `host:port` of each endpoint to scrape (127.0.0.1 only). */
  scrapeTargets: string[];
  /** Scrape (and rule evaluation) interval. Default 1000. */
  scrapeIntervalMs?: number;
  /** Path scraped on every target. Default "/metrics". */
  metricsPath?: string;
  /** The `job` label of the scraped series. Default "assay-test". */
  jobName?: string;
  /** Extra prometheus arguments, appended last. */
  args?: string[];
  /** How long startup may take. Default 30000. */
  readyTimeoutMs?: number;
}

/** One element of an instant query's `result` (vector: `value`; matrix: `values`). */
export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PrometheusHandle {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  process: ProcessHandle;
  /** Runs an instant query (PromQL) and returns `data.result`; throws on an API error. */
  query(promql: string): Promise<PromSample[]>;
  /** Polls `query` until it returns a non-empty result, and returns that result. Default 30000. */
  waitForSeries(promql: string, timeoutMs?: number): Promise<PromSample[]>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

interface QueryResponse {
  status: "success" | "error";
  data?: { resultType: string; result: PromSample[] | [number, string] };
  error?: string;
}

/**
 * Starts a private Prometheus (Debian's `prometheus` binary from PATH) on a free 127.0.0.1 port,
 * with a temp config scraping `scrapeTargets` and a temp TSDB dir, and waits for /-/ready.
 */
export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusHandle> {
  const dir = await makeTempDir("prometheus");
  const intervalMs = opts.scrapeIntervalMs ?? 1000;
  const config = {
    global: { scrape_interval: `${intervalMs}ms`, scrape_timeout: `${intervalMs}ms`, evaluation_interval: `${intervalMs}ms` },
    scrape_configs: [
      {
        job_name: opts.jobName ?? "assay-test",
        metrics_path: opts.metricsPath ?? "/metrics",
        static_configs: [{ targets: opts.scrapeTargets }],
      },
    ],
  };
  const configFile = join(dir, "prometheus.yml");
  // JSON is valid YAML.
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await startProcess(
    "prometheus",
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
      ...(opts.args ?? []),
    ],
    { name: `prometheus :${port}`, ready: () => httpOk(`${url}/-/ready`), readyTimeoutMs: opts.readyTimeoutMs ?? 30_000 },
  );

  const query = async (promql: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as QueryResponse;
    if (body.status !== "success" || body.data === undefined) {
      throw new Error(`Prometheus query ${JSON.stringify(promql)} failed: ${body.error ?? `HTTP ${res.status}`}`);
    }
    const result = body.data.result;
    if (body.data.resultType === "scalar" || body.data.resultType === "string") {
      return [{ metric: {}, value: result as [number, string] }];
    }
    return result as PromSample[];
  };

  return {
    url,
    port,
    process: proc,
    query,
    waitForSeries: async (promql, timeoutMs = 30_000) => {
      let found: PromSample[] = [];
      await waitUntil(
        async () => {
          found = await query(promql);
          return found.length > 0;
        },
        { timeoutMs, intervalMs: 200, what: `Prometheus series ${promql}` },
      );
      return found;
    },
    stop: async () => {
      await proc.stop("SIGTERM", 5000);
    },
  };
}
