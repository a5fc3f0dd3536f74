/**
 * What action templates (payloads, patches) see, and the readable summary of a result used by
 * slack, github and cloudevent when no template is given. Documented in docs/actions.md.
 */
import type { ResultDocument, SloResult } from "../../core/index.js";

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

/**
 * Template data: the result document's own fields at the top level (`{{ .name }}`,
 * `{{ .versions }}`), plus
 *   Result   the result document
 *   Name     the experiment name
 *   Versions the versions, baseline first as the load task declared them
 *   Baseline the baseline version (assessment's, else the first version), or nil
 *   Winner   the winning version, or nil
 *   Weights  recommended traffic split version → percent (assessment's weights; else 100 for the
 *            winner and 0 for the others; empty without a winner)
 *   SLOs     true when every SLO holds for every version
 *   Summary  a few lines of text for people
 *   Report   Iter8's notify data: timeStamp, completed, noTaskFailures, numTasks,
 *            numCompletedTasks, numLoops (1), experiment {name, result}
 */
export function templateData(result: Readonly<ResultDocument>): Record<string, unknown> {
  const summary = summarize(result);
  return {
    ...result,
    Result: result,
    Name: result.name,
    Versions: result.versions,
    Baseline: summary.baseline,
    Winner: summary.winner,
    Weights: summary.weights,
    SLOs: summary.slosSatisfied,
    Summary: summaryText(result),
    Report: {
      timeStamp: new Date().toISOString(),
      completed: result.completed,
      noTaskFailures: result.tasks.every((task) => task.status !== "failed"),
      numTasks: result.tasks.length,
      numCompletedTasks: result.numCompletedTasks,
      numLoops: 1,
      experiment: { name: result.name, result },
    },
  };
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
export function summaryText(result: Readonly<ResultDocument>): string {
  const summary = summarize(result);
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
  const text = summaryText(result);
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
