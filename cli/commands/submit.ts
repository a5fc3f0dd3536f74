/**
 * `assay submit FILE`: send an experiment to the coordinator's queue; with --wait, follow it.
 */
import { readFile } from "node:fs/promises";
import { loopPlanOf } from "../../coordinator/index.js";
import { ErrorCode, ValidationError } from "../../core/index.js";
import { exitCodeForState, jsonLine, stateName } from "../client/render.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { LOOP_FLAGS, SCHEDULE_FLAG, loopSettingsOf } from "../loops.js";
import { OutputFormat, write } from "../output.js";
import { followExperiment } from "./watch.js";

export const submitCommand = defineCommand({
  name: "submit",
  summary: "submit an experiment to the coordinator (--wait to follow it)",
  description: `Submits an experiment (Iter8 format) to the coordinator. Prints its id; with --wait, follows it
like \`assay watch\` and exits 0 / 1 / 130 for completed / failed / cancelled. --loops N --interval D
runs its task list N times; --schedule CRON starts a loop at each match (UTC) until it is cancelled
or has run --loops N; the coordinator keeps the last 100 loops' results (\`assay get\` shows them).`,
  positionals: [{ name: "FILE", description: "the experiment (YAML)" }],
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  client: true,
  flags: {
    set: { type: "string", value: "KEY=VALUE", repeatable: true, description: "override a field, e.g. --set http.qps=50" },
    wait: { type: "boolean", description: "follow the experiment until it ends" },
    ...LOOP_FLAGS,
    ...SCHEDULE_FLAG,
  },
  async run({ flags, args, io, format, client }) {
    const file = args.FILE;
    // Checked here too, so a bad flag fails before the connection is made.
    loopPlanOf(loopSettingsOf(flags));
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (cause) {
      throw new ValidationError(ErrorCode.FileNotFound, `cannot read experiment file ${file}`, { cause });
    }
    const coordinator = await client();
    const reply = await coordinator.submit({
      experimentYaml: text,
      sourceName: file,
      overrides: flags.set,
      loops: flags.loops === undefined ? 0 : Number(flags.loops),
      interval: flags.interval ?? "",
      schedule: flags.schedule ?? "",
    });
    const experiment = reply.experiment;
    if (!experiment) throw new ValidationError(ErrorCode.MalformedMessage, "the coordinator did not return the experiment");
    if (format === OutputFormat.Json) await write(io.stdout, jsonLine({ submitted: experiment }));
    else if (flags.wait) await write(io.stderr, `submitted ${experiment.id} (${experiment.name})\n`);
    else await write(io.stdout, `${experiment.id}\n`);
    if (!flags.wait) {
      if (format === OutputFormat.Text && io.stderr.isTTY) await write(io.stderr, `${stateName(experiment.state)}; follow it with: assay watch ${experiment.id}\n`);
      return ExitCode.Ok;
    }
    const final = await followExperiment(coordinator, experiment.id, io, format === OutputFormat.Json ? "json" : "text");
    return exitCodeForState(final.state);
  },
});
