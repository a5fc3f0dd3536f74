/**
 * `assay demo`: starts the bundled two-version demo service on loopback and runs
 * examples/quickstart.yaml against it; `assay demo --serve` only keeps the service up (on
 * 127.0.0.1:8080 unless --port says otherwise) for experiments of one's own.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorCode, ValidationError, parseExperimentFile } from "../../core/index.js";
import { startDemoService } from "../demo/index.js";
import { positiveInteger } from "../args.js";
import { untilStopped } from "../until-stopped.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";
import { finish, runLocally } from "./run.js";

/** The package root (holds package.json and examples/), from src or dist alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "examples"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the assay package root");
    dir = parent;
  }
  return dir;
}

/** Where `demo --serve` listens by default: the port the example experiments name. */
export const DEMO_SERVE_PORT = 8080;

export const demoCommand = defineCommand({
  name: "demo",
  summary: "start a two-version demo service and run the quickstart against it",
  description: `Starts a demo service with two versions on 127.0.0.1 (v2 a little slower, 2% errors) and runs
examples/quickstart.yaml against it: load both versions, assess SLOs, print the report.

With --serve it only starts the service and keeps it up until Ctrl-C, on 127.0.0.1:8080 by default:
the urls of examples/quickstart.yaml and of README's first experiment point there.`,
  output: { formats: [OutputFormat.Text, OutputFormat.Json], description: "what to print on stdout: the report (text) or the result document (json)" },
  flags: {
    out: { type: "string", value: "FILE", description: "also store the result document (JSON) in FILE" },
    agents: { type: "string", value: "N", description: "number of local agents (default: one per core)" },
    set: { type: "string", value: "KEY=VALUE", repeatable: true, description: "override a field of the quickstart experiment" },
    "no-progress": { type: "boolean", description: "no progress line on the terminal" },
    serve: { type: "boolean", group: "serving", description: "only start the demo service, print its urls and keep it up until Ctrl-C" },
    port: { type: "string", value: "PORT", default: String(DEMO_SERVE_PORT), group: "serving", description: "with --serve: the port on 127.0.0.1 (0: a free one)" },
  },
  async run({ flags, io, format, color, log }) {
    if (flags.serve) return serve(port(flags.port), io);
    const agentCount = positiveInteger(flags.agents, "--agents");
    const service = await startDemoService();
    try {
      const file = join(packageRoot(), "examples", "quickstart.yaml");
      const experiment = await parseExperimentFile(file, {
        overrides: [`http.versions[0].url=${service.v1Url}`, `http.versions[1].url=${service.v2Url}`, ...flags.set],
      });
      if (format === OutputFormat.Text) {
        await write(io.stderr, `demo service: v1 at ${service.v1Url}, v2 at ${service.v2Url}\nrunning ${file}\n`);
      }
      const result = await runLocally(experiment, io, {
        ...(agentCount ? { agentCount } : {}),
        progress: !flags["no-progress"],
        allowRunTask: false,
        log,
      });
      return await finish(result, io, { format, color, ...(flags.out ? { out: flags.out } : {}) });
    } finally {
      await service.close();
    }
  },
});


function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) {
    throw new ValidationError(ErrorCode.BadFlag, `--port: "${value}" is not a port (0 to 65535)`, { field: "--port", suggestion: "--port 0 picks a free port" });
  }
  return n;
}

/** `demo --serve`: the service alone, until Ctrl-C or SIGTERM. */
async function serve(portNumber: number, io: CliIo): Promise<number> {
  const service = await startDemoService({ port: portNumber });
  try {
    await write(
      io.stdout,
      `demo service on 127.0.0.1:${service.port} (Ctrl-C to stop)
  v1  ${service.v1Url}   answers in 2–4 ms, never fails
  v2  ${service.v2Url}   answers in 6–10 ms, every 50th request fails (HTTP 500)
${service.port === DEMO_SERVE_PORT ? "try: assay run examples/quickstart.yaml   (its urls point here)\n" : ""}`,
    );
    await untilStopped();
    return ExitCode.Ok;
  } finally {
    await service.close();
  }
}
