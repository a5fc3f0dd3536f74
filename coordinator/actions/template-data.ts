/**
 * What action templates (payloads, patches) see, and the readable summary of a result used by
 * slack, github and cloudevent when no template is given. Documented in docs/actions.md.
 */
import { TemplateStruct, goTimeText } from "../../core/index.js";
import type { ResultDocument, SloResult } from "../../core/index.js";
import { ITER8_SHAPE_VERSION, iter8Experiment, iter8Insights, iter8Report, iter8Result, iter8Summary, lazy, numLoops } from "./iter8-data.js";

/** The summary of a result that default payloads carry (JSON-shaped). */
export interface ResultSummary {
  experiment: string;
  completed: boolean;
  failure: string | null;
  versions: string[];
  baseline: string | null;
  winner: string | null;
  weights: Record<string, number>;
  slosSatisfied: boolean;
  /** metric → version → satisfied. */
  slos: Record<string, Record<string, boolean>>;
}

/** Options of templateData (for tests and callers that know more than the result). */
export interface TemplateDataOptions {
  /** Wall clock for `TimeStamp` (epoch ms); default now. */
  readonly nowMs?: number;
  /** Seconds since the process started, printed as Go's monotonic reading (`m=+…`); default process.uptime(). */
  readonly uptimeSeconds?: number;
  /** Iter8's experiment namespace; default "default" (Iter8's). */
  readonly namespace?: string;
}

/**
 * Template data (docs/actions.md, "Template data"): the result document's own fields at the top
 * level (`{{ .name }}`, `{{ .versions }}`), plus
 *   Result     the result document; also Iter8's `Insights`, `NumLoops`, `Iter8Version` (its JSON
 *              stays the result document)
 *   Name, Versions, Baseline, Winner, Weights, SLOs   Assay's summary of the outcome
 *   Summary    prints as a few lines for people; Iter8 v0.17's Summary when serialized or read
 *              field by field (`.Summary.NumTasks`)
 *   Report     Iter8 v0.13–v0.16's Report: TimeStamp, Completed, NoTaskFailures, NumTasks,
 *              NumCompletedTasks, NumLoops, Experiment
 *   Experiment Iter8's Experiment: Metadata {Name, Namespace}, Spec (task names and `if`s),
 *              Result (Iter8's ExperimentResult: StartTime, NumLoops, NumCompletedTasks,
 *              Failure as a bool, Insights, Iter8Version)
 * Everything is a copy: a template's `set`/`unset` cannot change the result. Iter8's views are
 * built when a template first reads them.
 */
export function templateData(source: Readonly<ResultDocument>, options: TemplateDataOptions = {}): Record<string, unknown> {
  const result = copyJson(source) as ResultDocument;
  const summary = summarize(result);
  const namespace = options.namespace ?? "default";
  const timeStamp = (): string => `${goTimeText(new Date(options.nowMs ?? Date.now()))} m=+${(options.uptimeSeconds ?? process.uptime()).toFixed(9)}`;
  let views: { iter8: TemplateStruct; experiment: TemplateStruct } | undefined;
  const iter8Views = (): { iter8: TemplateStruct; experiment: TemplateStruct } => {
    if (views === undefined) {
      const iter8 = iter8Result(result, namespace, iter8Insights(result));
      views = { iter8, experiment: iter8Experiment(result, namespace, iter8) };
    }
    return views;
  };
  const data: Record<string, unknown> = {
    ...result,
    Name: result.name,
    Versions: result.versions,
    Baseline: summary.baseline,
    Winner: summary.winner,
    Weights: summary.weights,
    SLOs: summary.slosSatisfied,
  };
  lazy(data, "Result", () => {
    const fields: Record<string, unknown> = { ...result, NumLoops: numLoops(result), Iter8Version: ITER8_SHAPE_VERSION };
    lazy(fields, "Insights", () => iter8Views().iter8.fields["Insights"]);
    return new TemplateStruct("assay.Result", fields, { json: () => result });
  });
  lazy(data, "Summary", () => iter8Summary(result, timeStamp(), namespace, summaryText(result, summary)));
  lazy(data, "Report", () => iter8Report(result, timeStamp(), iter8Views().experiment));
  lazy(data, "Experiment", () => iter8Views().experiment);
  return data;
}

/** A deep copy of JSON-shaped data (faster than structuredClone for the small documents here). */
function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyJson((value as Record<string, unknown>)[key]);
  return out;
}

function assessmentOf(result: Readonly<ResultDocument>): Record<string, unknown> {
  return result.assessment ?? {};
}

function numberMap(value: unknown): Record<string, number> | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const out: Record<string, number> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry === "number" && Number.isFinite(entry)) out[key] = entry;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function summarize(result: Readonly<ResultDocument>): ResultSummary {
  const assessment = assessmentOf(result);
  const winner = typeof assessment["winner"] === "string" ? assessment["winner"] : null;
  const baseline = typeof assessment["baseline"] === "string" ? assessment["baseline"] : (result.versions[0] ?? null);
  const weights =
    numberMap(assessment["weights"]) ??
    numberMap(assessment["recommendedWeights"]) ??
    numberMap(assessment["trafficSplit"]) ??
    (winner === null ? {} : Object.fromEntries(result.versions.map((version) => [version, version === winner ? 100 : 0])));
  const slos: Record<string, Record<string, boolean>> = {};
  for (const slo of result.slos) slos[sloLabel(slo)] = { ...slo.satisfied };
  const slosSatisfied = result.slos.length > 0 && result.slos.every((slo) => result.versions.every((version) => slo.satisfied[version] === true));
  return { experiment: result.name, completed: result.completed, failure: result.failure, versions: [...result.versions], baseline, winner, weights, slosSatisfied, slos };
}

export function sloLabel(slo: SloResult): string {
  return `${slo.metric} ${slo.direction === "upper" ? "<=" : ">="} ${slo.limit}`;
}

function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return "n/a";
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** The SLO matrix as text lines: one per SLO, a ✓/✗ and the value per version. */
export function sloMatrixLines(result: Readonly<ResultDocument>): string[] {
  return result.slos.map((slo) => {
    const cells = result.versions.map((version) => `${version} ${slo.satisfied[version] === true ? "✓" : "✗"} ${formatValue(slo.value[version])}`);
    return `${sloLabel(slo)}: ${cells.join(", ")}`;
  });
}

/** A few lines for people: status, versions, SLOs, winner. */
export function summaryText(result: Readonly<ResultDocument>, summary: ResultSummary = summarize(result)): string {
  const status = result.failure ? `failed: ${result.failure}` : result.completed ? "completed" : result.incomplete ? "incomplete" : "running";
  const lines = [`Experiment ${result.name}: ${status}`];
  if (result.versions.length > 0) {
    lines.push(`Versions: ${result.versions.map((version) => (version === summary.baseline && result.versions.length > 1 ? `${version} (baseline)` : version)).join(", ")}`);
  }
  const matrix = sloMatrixLines(result);
  if (matrix.length > 0) lines.push(`SLOs (${summary.slosSatisfied ? "all satisfied" : "not all satisfied"}):`, ...matrix.map((line) => `  ${line}`));
  if (summary.winner !== null) {
    const split = Object.entries(summary.weights).map(([version, weight]) => `${version} ${weight}%`).join(", ");
    lines.push(`Winner: ${summary.winner}${split ? ` (recommended split: ${split})` : ""}`);
  } else if (result.assessment) {
    lines.push("Winner: none found");
  }
  return lines.join("\n");
}

const SLACK_TEXT_LIMIT = 2900;

function clip(text: string): string {
  return text.length > SLACK_TEXT_LIMIT ? `${text.slice(0, SLACK_TEXT_LIMIT)}…` : text;
}

/** Slack message: `text` (notifications, fallback) and Block Kit `blocks` (header + sections). */
export function slackMessage(result: Readonly<ResultDocument>): { text: string; blocks: unknown[] } {
  const summary = summarize(result);
  const text = summaryText(result, summary);
  const status = result.failure ? `:x: failed: ${result.failure}` : result.completed ? ":white_check_mark: completed" : ":hourglass: not completed";
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: clip(`Experiment ${result.name}`).slice(0, 150) } },
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Status*\n${clip(status)}` },
        { type: "mrkdwn", text: `*Versions*\n${result.versions.length > 0 ? result.versions.join(", ") : "none"}` },
      ],
    },
  ];
  const matrix = sloMatrixLines(result);
  if (matrix.length > 0) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: clip(`*SLOs* (${summary.slosSatisfied ? "all satisfied" : "not all satisfied"})\n\`\`\`\n${matrix.join("\n")}\n\`\`\``) },
    });
  }
  if (summary.winner !== null || result.assessment) {
    const split = Object.entries(summary.weights).map(([version, weight]) => `${version} ${weight}%`).join(", ");
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: summary.winner === null ? "*Winner*\nnone found" : `*Winner*\n${summary.winner}${split ? `  (recommended split: ${split})` : ""}` },
    });
  }
  return { text: clip(text), blocks };
}
