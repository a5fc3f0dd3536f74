/**
 * Runs each load generator as its own process pinned to one core, with the same connections and
 * duration, and returns requests per second as each one reports it.
 */
import { spawn } from "node:child_process";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

export interface GeneratorResult {
  name: string;
  requestsPerSecond: number;
  requests: number;
  errors: number;
  note?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** dist/test/bench -> repository root */
export const repoRoot = join(here, "..", "..", "..");

function run(command: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

export async function runWrk(url: string, options: { core: number; connections: number; seconds: number }): Promise<GeneratorResult> {
  const out = await run("taskset", ["-c", String(options.core), "wrk", "-t1", `-c${options.connections}`, `-d${options.seconds}s`, url]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out.stdout);
  const total = /(\d+) requests in/.exec(out.stdout);
  if (!rps) throw new Error(`wrk output not understood: ${out.stdout}${out.stderr}`);
  return { name: "wrk", requestsPerSecond: Number(rps[1]), requests: Number(total?.[1] ?? 0), errors: 0 };
}

export async function runAutocannon(url: string, options: { core: number; connections: number; seconds: number }): Promise<GeneratorResult> {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve("autocannon/package.json")), "autocannon.js");
  const out = await run("taskset", ["-c", String(options.core), process.execPath, bin, "-c", String(options.connections), "-d", String(options.seconds), "--json", url]);
  const parsed = JSON.parse(out.stdout) as { requests: { total: number }; errors: number; non2xx: number; duration: number };
  return {
    name: "autocannon",
    requestsPerSecond: parsed.requests.total / parsed.duration,
    requests: parsed.requests.total,
    errors: parsed.errors + parsed.non2xx,
  };
}

interface AssayResult {
  metrics: Record<string, Record<string, number>>;
  load?: { durationMs: number };
}

/** Assay's engine through the product path: `assay run` with one local agent, closed model, unlimited rate. */
export async function runAssay(
  url: string,
  options: { core: number; connections: number; seconds: number; qps?: number; open?: boolean; extra?: string[] },
): Promise<{ result: GeneratorResult; document: AssayResult }> {
  const dir = await mkdtemp(join(tmpdir(), "assay-bench-"));
  const file = join(dir, "bench.yaml");
  const qps = options.qps ?? 0;
  await writeFile(
    file,
    [
      "name: bench",
      "spec:",
      "  - task: http",
      "    with:",
      `      url: ${url}`,
      `      duration: ${options.seconds}s`,
      `      connections: ${options.connections}`,
      `      qps: ${qps}`,
      `      loadModel: ${options.open ? "open" : "closed"}`,
      ...(options.extra ?? []).map((line) => `      ${line}`),
      "",
    ].join("\n"),
  );
  const main = join(repoRoot, "dist", "cli", "main.js");
  const out = await run("taskset", ["-c", String(options.core), process.execPath, join(repoRoot, "bin", "assay.js"), "run", file, "--agents", "1", "-o", "json", "--no-progress"]);
  await rm(dir, { recursive: true, force: true });
  if (out.code !== 0) throw new Error(`assay run failed (${out.code}): ${out.stderr} (${main})`);
  const document = JSON.parse(out.stdout) as AssayResult;
  const metrics = document.metrics["default"] ?? {};
  const requests = metrics["http/request-count"] ?? 0;
  return {
    result: {
      name: "assay",
      requestsPerSecond: metrics["http/throughput"] ?? 0,
      requests,
      errors: metrics["http/error-count"] ?? 0,
    },
    document,
  };
}
