/**
 * Watch fan-out benchmark: one running experiment, N watchers (gRPC Watch streams) on a
 * coordinator process with local agents, against a harness HTTP target. Measures
 *  - coordinator CPU overhead: its CPU time (all threads, /proc/<pid>/stat) during the run with N
 *    watchers minus the same run with none;
 *  - delivery lag of interval snapshots (metrics events): receive time minus the event's time,
 *    per watcher and event, p50/p99/max.
 * `benchWatchers({ watchers: 100 })`; the lead wires it into `npm run bench`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connectCoordinator } from "../../cli/client/index.js";
import type { CoordinatorApi } from "../../cli/client/index.js";
import { cleanupAll, makeTempDir, startHttpTarget, startProcess, waitUntil } from "../harness/index.js";
import type { ProcessHandle } from "../harness/index.js";
import { ASSAY_BIN, REPO_ROOT } from "../e2e/cli/cli.js";

export interface BenchWatchersOptions {
  /** Default 100. */
  watchers?: number;
  /** Load duration of the experiment (default 6 s). */
  durationSeconds?: number;
  /** Agents' report interval = snapshot interval (default 250 ms). */
  reportIntervalMs?: number;
  qps?: number;
}

export interface BenchWatchersResult {
  watchers: number;
  durationSeconds: number;
  reportIntervalMs: number;
  /** Coordinator CPU (ms) for the run without watchers and with them. */
  cpuBaselineMs: number;
  cpuWithWatchersMs: number;
  /** (with − baseline) / run wall time, in % of one core. */
  overheadPercentOfCore: number;
  snapshotsDelivered: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
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

export async function benchWatchers(options: BenchWatchersOptions = {}): Promise<BenchWatchersResult> {
  const watchers = options.watchers ?? 100;
  const durationSeconds = options.durationSeconds ?? 6;
  const reportIntervalMs = options.reportIntervalMs ?? 250;
  const dir = await makeTempDir("bench-watchers");
  const target = await startHttpTarget({});
  const file = join(dir, "watched.yaml");
  await writeFile(
    file,
    `name: watched\nspec:\n  - task: http\n    with:\n      versions:\n        - name: v1\n          url: ${target.url}v1\n        - name: v2\n          url: ${target.url}v2\n      duration: ${durationSeconds}s\n      qps: ${options.qps ?? 100}\n      connections: 4\n`,
  );
  const experimentYaml = await readFile(file, "utf8");
  let coordinator: ProcessHandle | undefined;
  const clients: CoordinatorApi[] = [];
  try {
    coordinator = await startProcess(
      process.execPath,
      [ASSAY_BIN, "coordinator", "--local-agents", "1", "--listen", "127.0.0.1:0", "--state-dir", join(dir, "state"), "--report-interval", String(reportIntervalMs)],
      { cwd: REPO_ROOT, env: { ...process.env, ASSAY_LOG_LEVEL: "warn" }, name: "assay coordinator" },
    );
    const handle = coordinator;
    await waitUntil(() => /listening on (\S+)/.test(handle.stdout()), { timeoutMs: 20_000, what: "the coordinator" });
    const address = /listening on (\S+)/.exec(handle.stdout())?.[1] ?? "";
    const control = await connectCoordinator({ coordinator: address }, {});
    clients.push(control);

    const runOnce = async (count: number): Promise<{ cpuMs: number; wallMs: number; lags: number[] }> => {
      const lags: number[] = [];
      const before = await cpuMs(handle.pid);
      const startedMs = Date.now();
      const { experiment } = await control.submit({ experimentYaml, sourceName: "watched.yaml", overrides: [] });
      const id = experiment?.id ?? "";
      const streams: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        const client = await connectCoordinator({ coordinator: address }, {});
        clients.push(client);
        streams.push(
          (async () => {
            for await (const event of client.watch(id)) if (event.metrics) lags.push(Date.now() - event.timeMs);
          })(),
        );
      }
      if (count === 0) {
        for await (const event of control.watch(id)) void event;
      }
      await Promise.all(streams);
      return { cpuMs: (await cpuMs(handle.pid)) - before, wallMs: Date.now() - startedMs, lags };
    };

    await runOnce(0); // warm-up: JIT, worker start-up, first connections
    const baseline = await runOnce(0);
    const loaded = await runOnce(watchers);
    const lags = [...loaded.lags].sort((a, b) => a - b);
    return {
      watchers,
      durationSeconds,
      reportIntervalMs,
      cpuBaselineMs: baseline.cpuMs,
      cpuWithWatchersMs: loaded.cpuMs,
      overheadPercentOfCore: ((loaded.cpuMs - baseline.cpuMs) / loaded.wallMs) * 100,
      snapshotsDelivered: lags.length,
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: lags.at(-1) ?? Number.NaN,
    };
  } finally {
    for (const client of clients) client.close();
    await coordinator?.stop();
    await target.close();
    await cleanupAll();
  }
}

/** `node dist/test/bench/watchers.js [N]` prints the figures. */
if (process.argv[1]?.endsWith("watchers.js")) {
  const result = await benchWatchers({ watchers: Number(process.argv[2] ?? 100) });
  console.log(JSON.stringify(result, null, 2));
}
