/**
 * Dashboard fan-out benchmark: one running experiment on a coordinator process (`--ui`, local
 * agents, harness HTTP target), N Node clients reading its server-sent-events stream the way the
 * page's EventSource does. Measures the coordinator's CPU time (all threads, /proc/<pid>/stat)
 * over the same experiment with N clients and with none, and the delivery lag of the interval
 * snapshots (receive time minus the event's time).
 */
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { connectCoordinator } from "../../cli/client/index.js";
import type { CoordinatorApi } from "../../cli/client/index.js";
import { cleanupAll, makeTempDir, startHttpTarget, startProcess, waitUntil } from "../harness/index.js";
import type { ProcessHandle } from "../harness/index.js";
import { ASSAY_BIN, REPO_ROOT } from "../e2e/cli/cli.js";

export interface BenchUiOptions {
  /** Default 100. */
  clients?: number;
  /** Load duration of the experiment (default 10 s). */
  durationSeconds?: number;
  /** Agents' report interval = snapshot interval (default 1000 ms, the default of a real run). */
  reportIntervalMs?: number;
  qps?: number;
  /** Runs of each kind, interleaved; the median is reported (default 5). */
  rounds?: number;
}

export interface BenchUiResult {
  clients: number;
  durationSeconds: number;
  reportIntervalMs: number;
  /** Coordinator CPU per run (ms): median without clients and with them. */
  cpuBaselineMs: number;
  cpuWithClientsMs: number;
  /** Every round's CPU (ms), to show the run-to-run noise. */
  cpuBaselineRoundsMs: number[];
  cpuWithClientsRoundsMs: number[];
  wallMs: number;
  /** (with − baseline) / run wall time, in % of one core. */
  overheadPercentOfCore: number;
  snapshotsDelivered: number;
  bytesPerClient: number;
  lagP50Ms: number;
  lagP99Ms: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 50);

/** Reads one SSE stream to its end; records snapshot lags and bytes. */
function readStream(url: string, onMetrics: (lagMs: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${String(res.statusCode)}`));
        res.resume();
        return;
      }
      res.setEncoding("utf8");
      let buffer = "";
      let bytes = 0;
      res.on("data", (chunk: string) => {
        bytes += chunk.length;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").find((line) => line.startsWith("data: "));
          if (data && data.includes('"metrics"')) {
            const event = JSON.parse(data.slice(6)) as { timeMs: number; metrics?: unknown };
            if (event.metrics) onMetrics(Date.now() - event.timeMs);
          }
          if (frame.startsWith("event: end")) req.destroy();
        }
      });
      res.on("close", () => resolve(bytes));
    });
    req.on("error", (error) => (error.message === "socket hang up" ? resolve(0) : reject(error)));
    req.end();
  });
}

export async function benchUi(options: BenchUiOptions = {}): Promise<BenchUiResult> {
  const clients = options.clients ?? 100;
  const durationSeconds = options.durationSeconds ?? 10;
  const reportIntervalMs = options.reportIntervalMs ?? 1000;
  const rounds = options.rounds ?? 5;
  const dir = await makeTempDir("bench-ui");
  const target = await startHttpTarget({});
  const file = join(dir, "watched.yaml");
  await writeFile(
    file,
    `name: watched\nspec:\n  - task: http\n    with:\n      versions:\n        - name: v1\n          url: ${target.url}v1\n        - name: v2\n          url: ${target.url}v2\n      duration: ${durationSeconds}s\n      qps: ${options.qps ?? 100}\n      connections: 4\n`,
  );
  const experimentYaml = await readFile(file, "utf8");
  let coordinator: ProcessHandle | undefined;
  let control: CoordinatorApi | undefined;
  try {
    coordinator = await startProcess(
      process.execPath,
      [ASSAY_BIN, "coordinator", "--local-agents", "1", "--listen", "127.0.0.1:0", "--ui", "127.0.0.1:0", "--state-dir", join(dir, "state"), "--report-interval", String(reportIntervalMs)],
      { cwd: REPO_ROOT, env: { ...process.env, ASSAY_LOG_LEVEL: "warn" }, name: "assay coordinator --ui" },
    );
    const handle = coordinator;
    await waitUntil(() => /dashboard at (\S+)/.test(handle.stdout()), { timeoutMs: 30_000, what: "the coordinator and its dashboard" });
    const address = /listening on (\S+)/.exec(handle.stdout())?.[1] ?? "";
    const ui = /dashboard at (\S+)/.exec(handle.stdout())?.[1] ?? "";
    const api = await connectCoordinator({ coordinator: address }, {});
    control = api;

    const runOnce = async (count: number): Promise<{ cpuMs: number; wallMs: number; lags: number[]; bytes: number }> => {
      const lags: number[] = [];
      const before = await cpuMs(handle.pid);
      const startedMs = Date.now();
      const { experiment } = await api.submit({ experimentYaml, sourceName: "watched.yaml", overrides: [] });
      const id = experiment?.id ?? "";
      const streams: Promise<number>[] = [];
      for (let i = 0; i < count; i++) streams.push(readStream(`${ui}api/experiments/${id}/events`, (lag) => lags.push(lag)));
      for await (const event of api.watch(id)) void event;
      const bytes = (await Promise.all(streams)).reduce((sum, b) => sum + b, 0);
      return { cpuMs: (await cpuMs(handle.pid)) - before, wallMs: Date.now() - startedMs, lags, bytes };
    };

    await runOnce(0); // warm-up: JIT, worker start-up, first connections
    const baseline: number[] = [];
    const loaded: { cpuMs: number; wallMs: number; lags: number[]; bytes: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      baseline.push((await runOnce(0)).cpuMs);
      loaded.push(await runOnce(clients));
    }
    const cpuBaselineMs = median(baseline);
    const cpuWithClientsMs = median(loaded.map((r) => r.cpuMs));
    const wallMs = median(loaded.map((r) => r.wallMs));
    const lags = loaded.flatMap((r) => r.lags).sort((a, b) => a - b);
    return {
      clients,
      durationSeconds,
      reportIntervalMs,
      cpuBaselineMs,
      cpuWithClientsMs,
      cpuBaselineRoundsMs: baseline,
      cpuWithClientsRoundsMs: loaded.map((r) => r.cpuMs),
      wallMs,
      overheadPercentOfCore: ((cpuWithClientsMs - cpuBaselineMs) / wallMs) * 100,
      snapshotsDelivered: lags.length,
      bytesPerClient: median(loaded.map((r) => r.bytes / Math.max(1, clients))),
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
    };
  } finally {
    control?.close();
    await coordinator?.stop();
    await target.close();
    await cleanupAll();
  }
}
