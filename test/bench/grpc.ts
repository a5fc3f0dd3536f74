/**
 * `npm run bench -- grpc`: unary calls per second of `assay run` (one agent, one core) against a
 * grpc-js Echo server pinned to the other core, side by side in the same run with a bare grpc-js
 * client loop (no measurement) at the same concurrency and connections. Goal: assay ≥ 0.9× bare.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSync } from "@grpc/proto-loader";
import { repoRoot } from "./generators.js";

export interface GrpcBenchRow {
  readonly round: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly bareCallsPerSecond: number;
  readonly assayCallsPerSecond: number;
  readonly assayCalls: number;
  readonly assayErrors: number;
}

function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

async function startServer(core: number): Promise<{ host: string; protoPath: string; stop: () => Promise<void> }> {
  const child = spawn("taskset", ["-c", String(core), process.execPath, join(repoRoot, "dist", "test", "bench", "grpc-server.js")], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf("\n");
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once("exit", (code) => reject(new Error(`grpc bench server exited (${code})`)));
  });
  const { host, protoPath } = JSON.parse(line) as { host: string; protoPath: string };
  return {
    host,
    protoPath,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function bare(core: number, host: string, message: Buffer, concurrency: number, connections: number, seconds: number): Promise<number> {
  const child = spawn("taskset", ["-c", String(core), process.execPath, join(repoRoot, "dist", "test", "bench", "grpc-bare.js"), host, "/assay.test.Echo/Say", message.toString("base64"), String(concurrency), String(connections), String(seconds)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = await output(child);
  const parsed = JSON.parse(out.stdout) as { calls: number; errors: number; seconds: number };
  if (parsed.errors > 0) throw new Error(`bare loop: ${parsed.errors} errors`);
  return parsed.calls / parsed.seconds;
}

async function assay(core: number, host: string, protoPath: string, concurrency: number, connections: number, seconds: number): Promise<{ callsPerSecond: number; calls: number; errors: number }> {
  const dir = await mkdtemp(join(tmpdir(), "assay-bench-grpc-"));
  const file = join(dir, "grpc.yaml");
  const lines = ["name: bench-grpc", "spec:", "  - task: grpc", "    with:", `      host: ${host}`, "      call: assay.test.Echo.Say", `      proto: ${protoPath}`, "      data: {name: bench}", `      duration: ${seconds}s`, `      concurrency: ${concurrency}`, `      connections: ${connections}`, ""];
  await writeFile(file, lines.join("\n"));
  const child = spawn("taskset", ["-c", String(core), process.execPath, join(repoRoot, "bin", "assay.js"), "run", file, "--agents", "1", "-o", "json", "--no-progress"], { stdio: ["ignore", "pipe", "pipe"] });
  const out = await output(child);
  await rm(dir, { recursive: true, force: true });
  if (out.code !== 0) throw new Error(`assay run failed (${out.code}): ${out.stderr}`);
  const metrics = (JSON.parse(out.stdout) as { metrics: Record<string, Record<string, number>> }).metrics["default"] ?? {};
  return { callsPerSecond: metrics["grpc/throughput"] ?? 0, calls: metrics["grpc/request-count"] ?? 0, errors: metrics["grpc/error-count"] ?? 0 };
}

/**
 * Runs each configuration `rounds` times, a bare loop and assay back to back (bare first in odd
 * rounds, assay first in even ones), against one server process. The VM's throughput drifts by
 * ±30% within minutes, so only pairs run back to back are compared, and a configuration's figure
 * is the median of its pairs' ratios (medianRatio).
 */
export async function benchGrpc(options: { targetCore: number; generatorCore: number; seconds: number; rounds?: number; configs: readonly { concurrency: number; connections: number }[] }): Promise<GrpcBenchRow[]> {
  const server = await startServer(options.targetCore);
  try {
    const definition = loadSync(server.protoPath, { keepCase: false });
    const say = (definition["assay.test.Echo"] as Record<string, { requestSerialize: (value: object) => Buffer }> | undefined)?.["Say"];
    if (!say) throw new Error("Echo.Say not found in the bench proto");
    const message = say.requestSerialize({ name: "bench" });
    const rows: GrpcBenchRow[] = [];
    for (let round = 1; round <= (options.rounds ?? 1); round++) {
      for (const { concurrency, connections } of options.configs) {
        // The order alternates between rounds, so a drift of the VM within a pair favours neither side.
        let bareRate = 0;
        let run = { callsPerSecond: 0, calls: 0, errors: 0 };
        if (round % 2 === 1) {
          bareRate = await bare(options.generatorCore, server.host, message, concurrency, connections, options.seconds);
          run = await assay(options.generatorCore, server.host, server.protoPath, concurrency, connections, options.seconds);
        } else {
          run = await assay(options.generatorCore, server.host, server.protoPath, concurrency, connections, options.seconds);
          bareRate = await bare(options.generatorCore, server.host, message, concurrency, connections, options.seconds);
        }
        rows.push({ round, concurrency, connections, bareCallsPerSecond: bareRate, assayCallsPerSecond: run.callsPerSecond, assayCalls: run.calls, assayErrors: run.errors });
      }
    }
    return rows;
  } finally {
    await server.stop();
  }
}

/** The median of assay/bare over the rows of one configuration. */
export function medianRatio(rows: readonly GrpcBenchRow[]): number {
  const ratios = rows.map((r) => r.assayCallsPerSecond / r.bareCallsPerSecond).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 === 1 ? (ratios[mid] ?? NaN) : ((ratios[mid - 1] ?? NaN) + (ratios[mid] ?? NaN)) / 2;
}
