/**
 * `assay demo`: starts the bundled two-version demo service on loopback and runs
 * examples/quickstart.yaml against it.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseExperimentFile } from "../../core/index.js";
import { startDemoService } from "../demo/index.js";
import { positiveInteger } from "../args.js";
import { defineCommand } from "../command.js";
import { OutputFormat, write } from "../output.js";
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

export const demoCommand = defineCommand({
  name: "demo",
  summary: "start a two-version demo service and run the quickstart against it",
  description: `Starts a demo service with two versions on 127.0.0.1 (v2 a little slower, 2% errors) and runs
examples/quickstart.yaml against it: load both versions, assess SLOs, print the report.`,
  output: { formats: [OutputFormat.Text, OutputFormat.Json], description: "what to print on stdout: the report (text) or the result document (json)" },
  flags: {
    out: { type: "string", value: "FILE", description: "also store the result document (JSON) in FILE" },
    agents: { type: "string", value: "N", description: "number of local agents (default: one per core)" },
    set: { type: "string", value: "KEY=VALUE", repeatable: true, description: "override a field of the quickstart experiment" },
    "no-progress": { type: "boolean", description: "no progress line on the terminal" },
  },
  async run({ flags, io, format, color }) {
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
      });
      return await finish(result, io, { format, color, ...(flags.out ? { out: flags.out } : {}) });
    } finally {
      await service.close();
    }
  },
});
