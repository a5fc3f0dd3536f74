/**
 * `assay launch`: Iter8's `iter8 k launch` for Assay. Takes an experiment chart's values (`-f`,
 * `--set`, `--set-string`, `--set-file`, as Helm does), renders the chart (`-c`: the built-in
 * `iter8` chart, Iter8 v0.13–v0.14's values, or a user's chart folder) into an experiment, and
 * runs it as `assay run` does (every `assay run` flag but its `--set`). `--dry-run` prints the
 * rendered experiment instead.
 */
import { ErrorCode, ValidationError, isAssayError, loadChart, loadUserValues, numericStrings, parseExperimentText, parseSetInto, renderChart, sloListProblems } from "../../core/index.js";
import type { ChartValues, Experiment, RenderedChart } from "../../core/index.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { write } from "../output.js";
import type { CliIo } from "../output.js";
import { RUN_FLAGS, RUN_OUTPUT, runWithFlags } from "./run.js";

const { set: _runSet, ...runFlags } = RUN_FLAGS;
void _runSet;

const CHART_GROUP = "chart and values";

export const launchCommand = defineCommand({
  name: "launch",
  summary: "render an experiment chart from values (Iter8's `iter8 k launch`) and run it",
  description: `Renders an experiment chart with values given as Helm takes them, and runs the experiment as
\`assay run\` does. The built-in chart \`iter8\` takes the values of Iter8 v0.13–v0.14's chart
(tasks, http, grpc, assess, custommetrics, ready, slack, github, runner):

  assay launch --set "tasks={http,assess}" --set http.url=http://127.0.0.1:8080/get \\
    --set assess.SLOs.upper.http/latency-mean=50

Values are merged as Helm merges them: -f files in order, then every --set, --set-string and
--set-file. --dry-run prints the rendered experiment and runs nothing. docs/launch.md has the
details and the differences from Iter8.`,
  output: RUN_OUTPUT,
  flags: {
    chart: {
      type: "string",
      short: "c",
      value: "NAME|DIR",
      default: "iter8",
      group: CHART_GROUP,
      description: "a built-in chart, or a chart folder (values.yaml and templates/; write ./NAME for a folder named like a built-in chart)",
    },
    values: { type: "string", short: "f", value: "FILE", repeatable: true, group: CHART_GROUP, description: "a YAML values file or http(s) URL (or a comma-separated list); later files win" },
    set: { type: "string", value: "KEY=VALUE", repeatable: true, group: CHART_GROUP, description: "a value in Helm's --set syntax: a.b=1, list={x,y}, a[0]=v, \\. for a dot in a key" },
    "set-string": { type: "string", value: "KEY=VALUE", repeatable: true, group: CHART_GROUP, description: "as --set, every value a string" },
    "set-file": { type: "string", value: "KEY=PATH", repeatable: true, group: CHART_GROUP, description: "as --set, the value is the text of the file PATH" },
    namespace: { type: "string", short: "n", value: "NS", default: "default", group: CHART_GROUP, description: "the chart's .Release.Namespace (Iter8's -n)" },
    group: { type: "string", short: "g", value: "NAME", default: "default", group: CHART_GROUP, description: "the chart's .Release.Name (Iter8's experiment group)" },
    "dry-run": { type: "boolean", group: CHART_GROUP, description: "print the rendered experiment and exit; nothing runs" },
    ...runFlags,
  },
  async run({ flags, io, format, color, log }) {
    const chart = await loadChart(flags.chart);
    const values = await loadUserValues({ files: flags.values, set: flags.set, setString: flags["set-string"], setFile: flags["set-file"] });
    const rendered = renderChart(chart, values, { namespace: flags.namespace, releaseName: flags.group });
    const listForms = chart.dir === undefined ? sloListProblems(rendered.values) : [];
    if (flags["dry-run"]) {
      await write(io.stdout, rendered.text.endsWith("\n") ? rendered.text : `${rendered.text}\n`);
      for (const key of listForms) await write(io.stderr, `warning: ${listFormMessage(key)}\n`);
      const problem = parseProblem(rendered, flags.set);
      if (problem !== undefined) await write(io.stderr, `warning: the rendered experiment would not run: ${problem}\n`);
      return ExitCode.Ok;
    }
    const [listForm] = listForms;
    if (listForm !== undefined) throw new ValidationError(ErrorCode.BadValues, listFormMessage(listForm), { field: listForm, suggestion: "--set assess.SLOs.upper.http/latency-mean=50, or in a values file: assess: {SLOs: {upper: {http/latency-mean: 50}}}" });
    await warnAboutRunner(io, rendered.values);
    const experiment = parseRendered(rendered, flags.set);
    return runWithFlags(experiment, flags, { io, format, color, log });
  },
});

function listFormMessage(key: string): string {
  return `${key} is a list; the iter8 chart takes a map of metric to limit (Iter8's chart renders the list as "metric: 0", which no task can read)`;
}

/** Iter8 runs a chart with `runner: cronjob` again on its schedule; a local launch runs it once. */
async function warnAboutRunner(io: CliIo, values: ChartValues): Promise<void> {
  if (values["runner"] === "cronjob") {
    await write(io.stderr, "note: runner=cronjob: assay launch runs the experiment once (Iter8 re-runs it on cronjobSchedule in Kubernetes)\n");
  }
}

function parseRendered(rendered: RenderedChart, setItems: readonly string[]): Experiment {
  try {
    return parseExperimentText(rendered.text, rendered.source, { baseDir: process.cwd() });
  } catch (error) {
    if (!isAssayError(error)) throw error;
    const hints = [error.suggestion, setNumberHint(setItems), "see the rendered experiment with the same values and --dry-run"].filter((hint) => hint !== undefined);
    throw new ValidationError(error.code, `the experiment rendered by the chart is not valid: ${error.message}`, { cause: error, suggestion: hints.join("; ") });
  }
}

/** The parse error of a dry run's render, if any (shown as a warning). */
function parseProblem(rendered: RenderedChart, setItems: readonly string[]): string | undefined {
  try {
    parseExperimentText(rendered.text, rendered.source, { baseDir: process.cwd() });
    return undefined;
  } catch (error) {
    if (!isAssayError(error)) throw error;
    const hint = setNumberHint(setItems);
    return hint === undefined ? error.message : `${error.message}\nhint: ${hint}`;
  }
}

/** Helm makes `--set http.qps=15.5` the string "15.5"; numeric task fields then reject it. */
function setNumberHint(setItems: readonly string[]): string | undefined {
  const fromSet: ChartValues = {};
  for (const item of setItems) parseSetInto(fromSet, item);
  const numeric = numericStrings(fromSet).filter((assignment) => !/^assess\.SLOs\./.test(assignment));
  if (numeric.length === 0) return undefined;
  return `--set makes ${numeric.join(", ")} a string (Helm's rule: only whole numbers become numbers); put such values in a values file (-f) instead`;
}
