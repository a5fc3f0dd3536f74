/**
 * Coordinator at scale, by simulation: N virtual agents (`assay agent --simulate N`, one child
 * process) send synthetic interval reports (HDR histograms of ~300 distinct values) once a second
 * through JetStream; the coordinator (this process) runs a duration-mode http task over a
 * NatsAgentLink and merges them. Measured per agent count: coordinator CPU per report and as a
 * share of one core, merge lag p99 (report published → merged and acked), and memory.
 *
 * `benchCoordinatorScale()` is what `npm run bench` calls; run alone with
 * `node --import tsx test/bench/coordinator-scale.ts [100,500,1000]`.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectNatsLink, runExperiment } from "../../coordinator/index.js";
import { parseExperimentText, pb, silentLogger } from "../../core/index.js";
import type { AgentLink } from "../../core/index.js";
import { cleanupAll, startNatsServer, startProcess, waitUntil } from "../harness/index.js";

export interface CoordinatorScaleResult {
  agents: number;
  reports: number;
  /** Coordinator CPU (user + system) per merged report, microseconds. */
  cpuPerReportUs: number;
  /** Coordinator CPU over the run as a share of one core (0.25 = 25%). */
  coreShare: number;
  mergeLagP50Ms: number;
  mergeLagP99Ms: number;
  /** Resident set size growth during the run and the heap at its end, MiB. */
  rssGrowthMiB: number;
  heapUsedMiB: number;
  requestCountOk: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const typescript = import.meta.url.endsWith(".ts");

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** The link, with every report's merge lag recorded when the load task acks it (i.e. after merging). */
function measuringLink(link: AgentLink, lagsMs: number[]): AgentLink {
  return {
    agents: () => link.agents(),
    control: (id, payload, timeoutMs) => link.control(id, payload, timeoutMs),
    close: () => link.close(),
    subscribe: (handler) =>
      link.subscribe((event) => {
        if (event.type !== "report") return handler(event);
        // Reading the send time costs one extra decode per report (counted in the CPU figure).
        const sentMs = Number(pb.IntervalReport.decode(event.payload).intervalEndMs);
        handler({
          ...event,
          ack: () => {
            lagsMs.push(Date.now() - sentMs);
            event.ack();
          },
        });
      }),
  };
}

export async function benchCoordinatorScale(agentCounts: readonly number[] = [100, 500, 1000], durationS = 15): Promise<CoordinatorScaleResult[]> {
  const results: CoordinatorScaleResult[] = [];
  const main = join(here, "..", "..", "cli", typescript ? "main.ts" : "main.js");
  const nodeArgs = typescript ? ["--import", "tsx", main] : [main];
  try {
    for (const count of agentCounts) {
      const nats = await startNatsServer();
      const sim = await startProcess(process.execPath, [...nodeArgs, "agent", "--simulate", String(count), "--nats", nats.url, "--name", "sim"], {
        name: `simulated agents x${count}`,
        env: { ...process.env, ASSAY_LOG_LEVEL: "warn" },
      });
      await waitUntil(() => sim.stdout().includes("registered"), { timeoutMs: 60_000, what: "simulated agents to register" });
      const link = await connectNatsLink({ natsUrl: nats.url, logger: silentLogger(), waitForAgents: { count, timeoutMs: 60_000 }, lostAfterMs: 10_000 });
      const lagsMs: number[] = [];
      const experiment = parseExperimentText(
        ["name: scale", "spec:", "  - task: http", "    with:", "      url: http://127.0.0.1:9/", `      duration: ${durationS}s`, `      qps: ${count * 10}`, `      connections: ${count}`, ""].join("\n"),
        "scale.yaml",
      );
      const rssBefore = process.memoryUsage().rss;
      const cpuBefore = process.cpuUsage();
      const wallBefore = Date.now();
      const result = await runExperiment(experiment, { link: measuringLink(link, lagsMs), logger: silentLogger(), reportIntervalMs: 1000 });
      const cpu = process.cpuUsage(cpuBefore);
      const wallMs = Date.now() - wallBefore;
      const cpuUs = cpu.user + cpu.system;
      const sorted = [...lagsMs].sort((a, b) => a - b);
      const reports = result.load?.reportsMerged ?? lagsMs.length;
      results.push({
        agents: count,
        reports,
        cpuPerReportUs: reports > 0 ? cpuUs / reports : 0,
        coreShare: cpuUs / 1000 / wallMs,
        mergeLagP50Ms: percentile(sorted, 50),
        mergeLagP99Ms: percentile(sorted, 99),
        rssGrowthMiB: (process.memoryUsage().rss - rssBefore) / 2 ** 20,
        heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
        requestCountOk: result.load?.conservation.ok === true,
      });
      await link.close();
      await sim.stop();
      await nats.stop();
    }
  } finally {
    await cleanupAll();
  }
  return results;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const counts = (process.argv[2] ?? "100,500,1000").split(",").map(Number);
  const rows = await benchCoordinatorScale(counts, Number(process.argv[3] ?? 15));
  console.table(rows.map((r) => ({ ...r, cpuPerReportUs: Math.round(r.cpuPerReportUs), coreShare: `${(r.coreShare * 100).toFixed(1)}%` })));
}
