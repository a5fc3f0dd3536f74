/**
 * `npm run bench`: performance figures, each printed next to the peer it is compared with, all
 * run side by side in the same run on this machine. Not a test: it asserts nothing, it measures.
 *
 *   npm run bench                       # every section
 *   npm run bench -- throughput open    # only some sections
 *
 * Sections: throughput (closed model vs autocannon and wrk against nginx, generator and target
 * pinned to different cores), open (5,000 qps for 10 s: achieved rate, drops, scheduling lag),
 * memory (agent process RSS at 10 s and 60 s of a long run), assessment (10 versions × 3 rewards
 * × 5 SLOs), watchers (100 watchers of one experiment: delivery lag, coordinator CPU), ui (100
 * dashboard SSE clients of one experiment: coordinator CPU), scale (coordinator with 100/500/1,000
 * simulated agents over NATS), grpc (unary calls/s vs a bare grpc-js client loop, same concurrency
 * and connections, target and generator on different cores).
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { benchAssessment } from "../../coordinator/index.js";
import { startNginx } from "./nginx.js";
import { benchWatchers } from "./watchers.js";
import { benchUi } from "./ui.js";
import { benchCoordinatorScale } from "./coordinator-scale.js";
import { benchGrpc, medianRatio } from "./grpc.js";
import { repoRoot, runAssay, runAutocannon, runWrk } from "./generators.js";
import type { GeneratorResult } from "./generators.js";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TARGET_CORE = 0;
const GENERATOR_CORE = availableParallelism() > 1 ? 1 : 0;
const CONNECTIONS = 50;
const SECONDS = 8;
/** Back-to-back bare/assay pairs per gRPC configuration (the figure is their median ratio). */
const GRPC_ROUNDS = 5;

type Section = (url: string) => Promise<void>;

const NEEDS_NGINX = new Set(["throughput", "open", "memory"]);

const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const sections: Record<string, Section> = {
  async scale() {
    console.log("\n## Coordinator scale: simulated agents over NATS, one report per agent per second (goal at 1,000: < 25% of a core, merge lag p99 < 1 s)\n");
    const rows = await benchCoordinatorScale([100, 500, 1000], 15);
    console.log("| agents | reports | CPU per report (µs) | share of one core | merge lag p50 (ms) | merge lag p99 (ms) | RSS growth (MiB) | heap (MiB) | counts exact |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (const r of rows) {
      console.log(`| ${r.agents} | ${fmt(r.reports)} | ${fmt(r.cpuPerReportUs)} | ${fmt(r.coreShare * 100, 1)}% | ${fmt(r.mergeLagP50Ms, 1)} | ${fmt(r.mergeLagP99Ms, 1)} | ${fmt(r.rssGrowthMiB, 1)} | ${fmt(r.heapUsedMiB, 1)} | ${r.requestCountOk ? "yes" : "NO"} |`);
    }
  },

  async watchers() {
    console.log("\n## 100 watchers on one running experiment (coordinator service, local agents)\n");
    const r = await benchWatchers({ watchers: 100 });
    console.log("| watchers | snapshots delivered | lag p50 (ms) | lag p99 (ms) | lag max (ms) | coordinator CPU overhead (% of a core) |");
    console.log("|---:|---:|---:|---:|---:|---:|");
    console.log(`| ${r.watchers} | ${fmt(r.snapshotsDelivered)} | ${fmt(r.lagP50Ms, 1)} | ${fmt(r.lagP99Ms, 1)} | ${fmt(r.lagMaxMs, 1)} | ${fmt(r.overheadPercentOfCore, 1)} |`);
  },

  async ui() {
    console.log("\n## 100 dashboard clients (server-sent events) on one running experiment (coordinator --ui, local agents; goal: < 5% of a core; median of 5 interleaved rounds)\n");
    const r = await benchUi({ clients: 100 });
    console.log("| SSE clients | run (s) | report interval (ms) | coordinator CPU without (ms) | with (ms) | overhead (% of a core) | snapshots delivered | bytes per client | lag p50 (ms) | lag p99 (ms) |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    console.log(
      `| ${r.clients} | ${fmt(r.wallMs / 1000, 1)} | ${r.reportIntervalMs} | ${fmt(r.cpuBaselineMs)} | ${fmt(r.cpuWithClientsMs)} | ${fmt(r.overheadPercentOfCore, 2)} | ${fmt(r.snapshotsDelivered)} | ${fmt(r.bytesPerClient)} | ${fmt(r.lagP50Ms, 1)} | ${fmt(r.lagP99Ms, 1)} |`,
    );
    console.log(`\nper round (interleaved), CPU ms without: ${r.cpuBaselineRoundsMs.map((v) => fmt(v)).join(", ")}; with: ${r.cpuWithClientsRoundsMs.map((v) => fmt(v)).join(", ")}`);
    console.log(`goal met: ${r.overheadPercentOfCore < 5 ? "yes" : "NO"}`);
  },

  // eslint-disable-next-line @typescript-eslint/require-await
  async assessment() {
    console.log("\n## Assessment: 10 versions × 3 rewards × 5 SLOs (goal: under 100 ms)\n");
    const { ms, cpuMs } = benchAssessment();
    console.log("| median wall (ms) | CPU per assessment (ms) | goal met |");
    console.log("|---:|---:|---|");
    console.log(`| ${fmt(ms, 1)} | ${fmt(cpuMs, 1)} | ${ms < 100 ? "yes" : "no"} |`);
  },

  async throughput(url) {
    console.log(`\n## Closed model, one core: ${CONNECTIONS} connections, ${SECONDS} s, small GET against nginx (target on core ${TARGET_CORE}, generator on core ${GENERATOR_CORE})\n`);
    const results: GeneratorResult[] = [];
    results.push(await runWrk(url, { core: GENERATOR_CORE, connections: CONNECTIONS, seconds: SECONDS }));
    results.push(await runAutocannon(url, { core: GENERATOR_CORE, connections: CONNECTIONS, seconds: SECONDS }));
    results.push((await runAssay(url, { core: GENERATOR_CORE, connections: CONNECTIONS, seconds: SECONDS })).result);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    console.log("| generator | requests/s | requests | errors |");
    console.log("|---|---:|---:|---:|");
    for (const r of results) console.log(`| ${r.name} | ${fmt(r.requestsPerSecond)} | ${fmt(r.requests)} | ${fmt(r.errors)} |`);
    const assay = byName["assay"]?.requestsPerSecond ?? 0;
    console.log(`\nassay / autocannon = ${(assay / (byName["autocannon"]?.requestsPerSecond ?? 1)).toFixed(2)}×   assay / wrk = ${(assay / (byName["wrk"]?.requestsPerSecond ?? 1)).toFixed(2)}×`);
  },

  async open(url) {
    const qps = 5000;
    console.log(`\n## Open model: ${qps} qps for 10 s, ${CONNECTIONS} connections (generator on core ${GENERATOR_CORE})\n`);
    const { result, document } = await runAssay(url, { core: GENERATOR_CORE, connections: CONNECTIONS, seconds: 10, qps, open: true });
    const metrics = document.metrics["default"] ?? {};
    const dropped = metrics["http/dropped-count"] ?? 0;
    console.log("| target qps | achieved qps | within 1% | dropped | schedule lag p99 (ms) | latency p99 (ms) | service time p99 (ms) |");
    console.log("|---:|---:|---|---:|---:|---:|---:|");
    console.log(
      `| ${qps} | ${fmt(result.requestsPerSecond, 1)} | ${Math.abs(result.requestsPerSecond - qps) / qps <= 0.01 ? "yes" : "no"} | ${fmt(dropped)} | ${fmt(metrics["http/schedule-lag-p99"] ?? NaN, 3)} | ${fmt(metrics["http/latency-p99"] ?? NaN, 3)} | ${fmt(metrics["http/service-time-p99"] ?? NaN, 3)} |`,
    );
  },

  async grpc() {
    console.log(`\n## gRPC unary calls, one core: assay (one agent) vs a bare grpc-js client loop, ${SECONDS} s each (server on core ${TARGET_CORE}, client on core ${GENERATOR_CORE}; goal ≥ 0.9× bare)\n`);
    const configs = [{ concurrency: 50, connections: 1 }, { concurrency: 50, connections: 4 }];
    const rows = await benchGrpc({ targetCore: TARGET_CORE, generatorCore: GENERATOR_CORE, seconds: SECONDS, rounds: GRPC_ROUNDS, configs });
    console.log("| round | concurrency | connections | bare grpc-js loop (calls/s) | assay (calls/s) | assay / bare | assay calls | errors |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of rows) {
      console.log(`| ${r.round} | ${r.concurrency} | ${r.connections} | ${fmt(r.bareCallsPerSecond)} | ${fmt(r.assayCallsPerSecond)} | ${(r.assayCallsPerSecond / r.bareCallsPerSecond).toFixed(2)}× | ${fmt(r.assayCalls)} | ${fmt(r.assayErrors)} |`);
    }
    console.log("");
    for (const { concurrency, connections } of configs) {
      const pairs = rows.filter((r) => r.concurrency === concurrency && r.connections === connections);
      const median = medianRatio(pairs);
      console.log(`concurrency ${concurrency}, ${connections} connection${connections === 1 ? "" : "s"}: median assay / bare over ${pairs.length} back-to-back pairs ${median.toFixed(2)}× (goal ≥ 0.90×: ${median >= 0.9 ? "met" : "not met"})`);
    }
  },

  async memory(url) {
    const seconds = 60;
    console.log(`\n## Agent memory over a ${seconds} s open-model run at 2,000 qps (RSS of the assay process: coordinator + one agent worker)\n`);
    const dir = await mkdtemp(join(tmpdir(), "assay-bench-mem-"));
    const file = join(dir, "mem.yaml");
    await writeFile(file, `spec:\n  - task: http\n    with:\n      url: ${url}\n      duration: ${seconds}s\n      qps: 2000\n      connections: 20\n`);
    const child = spawn("taskset", ["-c", String(GENERATOR_CORE), process.execPath, join(repoRoot, "bin", "assay.js"), "run", file, "--agents", "1", "-o", "json", "--no-progress"], { stdio: ["ignore", "pipe", "pipe"] });
    const rssMb = async (): Promise<number> => {
      // taskset execs node in place, so the child's pid is node's.
      const status = await readFile(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    };
    const samples: { second: number; rss: number }[] = [];
    const started = Date.now();
    for (const second of [2, 10, 30, 58]) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + second * 1000 - Date.now())));
      samples.push({ second, rss: await rssMb() });
    }
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    await new Promise((resolve) => child.once("exit", resolve));
    await rm(dir, { recursive: true, force: true });
    console.log("| second | RSS (MB) |");
    console.log("|---:|---:|");
    for (const s of samples) console.log(`| ${s.second} | ${fmt(s.rss, 1)} |`);
    const at10 = samples.find((s) => s.second === 10)?.rss ?? 0;
    const atEnd = samples.at(-1)?.rss ?? 0;
    console.log(`\ngrowth from second 10 to second 58: ${fmt(atEnd - at10, 1)} MB`);
  },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = Object.keys(sections).filter((name) => wanted.length === 0 || wanted.includes(name));
  console.log(`# assay bench — ${new Date().toISOString()} — node ${process.version}, ${availableParallelism()} cores`);
  // Only the HTTP sections load nginx; `npm run bench -- grpc` (and the others) run without it.
  const nginx = chosen.some((name) => NEEDS_NGINX.has(name)) ? await startNginx({ core: TARGET_CORE }) : undefined;
  try {
    for (const name of chosen) await sections[name]?.(nginx?.url ?? "");
  } finally {
    await nginx?.stop();
  }
}

await main();
