/**
 * `assay demo`: starts the bundled two-version demo service on loopback and runs
 * examples/quickstart.yaml against it.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseExperimentFile } from "../../core/index.js";
import { startDemoService } from "../demo/index.js";
import { parseFlags, positiveInteger } from "../args.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, parseOutputFormat, write } from "../output.js";
import type { CliIo } from "../output.js";
import { finish, runLocally } from "./run.js";

export const DEMO_USAGE = `usage: assay demo [-o text|json] [--out FILE] [--agents N] [--set KEY=VALUE]

Starts a demo service with two versions on 127.0.0.1 (v2 a little slower, 2% errors) and runs
examples/quickstart.yaml against it: load both versions, assess SLOs, print the report.
`;

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

export async function demoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags("demo", argv, {
    output: { type: "string", short: "o" },
    out: { type: "string" },
    agents: { type: "string" },
    set: { type: "string", multiple: true },
    "no-progress": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    await write(io.stdout, DEMO_USAGE);
    return ExitCode.Ok;
  }
  const format = parseOutputFormat(values.output, [OutputFormat.Text, OutputFormat.Json]);
  const agentCount = positiveInteger(values.agents, "--agents");
  const service = await startDemoService();
  try {
    const file = join(packageRoot(), "examples", "quickstart.yaml");
    const experiment = await parseExperimentFile(file, {
      overrides: [`http.versions[0].url=${service.v1Url}`, `http.versions[1].url=${service.v2Url}`, ...(values.set ?? [])],
    });
    if (format === OutputFormat.Text) {
      await write(io.stderr, `demo service: v1 at ${service.v1Url}, v2 at ${service.v2Url}\nrunning ${file}\n`);
    }
    const result = await runLocally(experiment, io, {
      ...(agentCount ? { agentCount } : {}),
      progress: !values["no-progress"],
      allowRunTask: false,
    });
    return await finish(result, io, { format, ...(values.out ? { out: values.out } : {}) });
  } finally {
    await service.close();
  }
}
