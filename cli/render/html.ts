/**
 * The HTML report: one self-contained page (inline CSS and SVG, no external assets) with the
 * sections of the text report plus latency percentile charts drawn from the stored histograms.
 */
import type { ResultDocument } from "../../core/index.js";
import { formatDurationMs } from "../../core/index.js";
import { latencyChartSvg, latencyCurves } from "./chart.js";
import {
  formatMetricValue,
  formatRaw,
  groupThousands,
  metricGroups,
  metricUnitLabel,
  runDurationMs,
  sloLabel,
  statusLine,
  topErrors,
  unreachableWarnings,
} from "./format.js";
import { genericAssessmentLines } from "./text.js";

export interface HtmlOptions {
  /** Renders `result.assessment` as HTML (coordinator/assessment); generic view otherwise. */
  renderAssessmentHtml?: (assessment: Record<string, unknown>, result: ResultDocument) => string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .25rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .25rem .75rem; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; white-space: normal; }
tr.group td { border-bottom: none; padding-top: .75rem; font-weight: 600; color: #555; }
.ok { color: #17803d; } .bad { color: #b42318; } .warn { color: #a15c07; }
.warning { background: #fdecea; border: 1px solid #f5c2c0; padding: .5rem .75rem; border-radius: 4px; margin: .5rem 0; }
dl { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; margin: .5rem 0; }
dt { color: #666; } dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
`;

function table(header: string[], rows: string[]): string {
  return `<table>\n<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`;
}

function summarySection(result: ResultDocument): string {
  const status = statusLine(result);
  const css = status.state === "completed" ? "ok" : status.state === "failed" ? "bad" : "warn";
  const durationMs = runDurationMs(result);
  const items: [string, string][] = [
    ["status", `<span class="${css}">${escapeHtml(status.text)}</span>`],
    ["started", escapeHtml(result.startTime)],
  ];
  if (durationMs !== undefined) items.push(["duration", escapeHtml(formatDurationMs(durationMs))]);
  items.push(["tasks", `${result.numCompletedTasks} of ${result.tasks.length} completed`]);
  if (result.versions.length > 0) items.push(["versions", escapeHtml(result.versions.join(", "))]);
  const agents = result.load?.agents ?? [];
  if (agents.length > 0) items.push(["agents", escapeHtml(`${agents.length} (${agents.join(", ")})`)]);
  if (result.source) items.push(["source", `<code>${escapeHtml(result.source)}</code>`]);
  const warnings = unreachableWarnings(result).map((w) => `<div class="warning bad">⚠ ${escapeHtml(w)}</div>`);
  return `<section id="summary">\n<dl>\n${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("\n")}\n</dl>\n${warnings.join("\n")}\n</section>`;
}

function tasksSection(result: ResultDocument): string {
  if (result.tasks.length === 0) return "";
  const rows = result.tasks.map((task) => {
    const css = task.status === "failed" ? "bad" : task.status === "completed" ? "ok" : task.status === "cancelled" ? "warn" : "";
    const name = task.writtenName && task.writtenName !== task.task ? `${task.writtenName} (${task.task})` : task.task;
    const notes: string[] = [];
    if (task.condition !== undefined) notes.push(`if: <code>${escapeHtml(task.condition)}</code>`);
    if (task.error) notes.push(`<span class="bad">${escapeHtml(`${task.error.message} [${task.error.code}]`)}</span>`);
    return `<tr><td>${task.index + 1}. ${escapeHtml(name)}</td><td class="text ${css}">${escapeHtml(task.status)}</td><td>${task.durationMs === undefined ? "" : escapeHtml(formatDurationMs(task.durationMs))}</td><td class="text">${notes.join("<br>")}</td></tr>`;
  });
  return `<section id="tasks">\n<h2>Tasks</h2>\n${table(["task", "status", "time", ""], rows)}\n</section>`;
}

function metricsSection(result: ResultDocument): string {
  const groups = metricGroups(result);
  if (groups.length === 0) return "";
  const rows: string[] = [];
  for (const group of groups) {
    rows.push(`<tr class="group"><td colspan="${result.versions.length + 1}">${escapeHtml(group.prefix || "other")}</td></tr>`);
    for (const name of group.names) {
      const info = result.metricsInfo[name];
      const unit = metricUnitLabel(name, info);
      const cells = result.versions.map((v) => `<td>${escapeHtml(formatMetricValue(name, result.metrics[v]?.[name], info))}</td>`);
      const title = info?.description ? ` title="${escapeHtml(info.description)}"` : "";
      rows.push(`<tr><td${title}><code>${escapeHtml(name)}</code>${unit ? ` (${escapeHtml(unit)})` : ""}</td>${cells.join("")}</tr>`);
    }
  }
  const errors = result.versions.flatMap((version) =>
    Object.entries(result.metricErrors?.[version] ?? {}).map(
      ([metric, message]) => `<li><code>${escapeHtml(metric)}</code> missing for ${escapeHtml(version)}: ${escapeHtml(message)}</li>`,
    ),
  );
  return `<section id="metrics">\n<h2>Metrics</h2>\n${table(["metric", ...result.versions], rows)}\n${errors.length > 0 ? `<ul>${errors.join("\n")}</ul>` : ""}\n</section>`;
}

function slosSection(result: ResultDocument): string {
  if (result.slos.length === 0) return "";
  const rows = result.slos.map((slo) => {
    const cells = result.versions.map((version) => {
      const ok = slo.satisfied[version] === true;
      const value = slo.value[version];
      const shown = value === null || value === undefined ? "missing" : formatRaw(value);
      const probability = slo.probability?.[version];
      const p = probability === null || probability === undefined ? "" : ` (P ${formatRaw(Number(probability.toFixed(3)))})`;
      return `<td class="${ok ? "ok" : "bad"}">${ok ? "✓" : "✗"} ${escapeHtml(shown + p)}</td>`;
    });
    return `<tr><td><code>${escapeHtml(sloLabel(slo))}</code></td>${cells.join("")}</tr>`;
  });
  return `<section id="slos">\n<h2>SLOs</h2>\n${table(["SLO", ...result.versions], rows)}\n</section>`;
}

function latencySection(result: ResultDocument): string {
  const curves = latencyCurves(result);
  if (curves.size === 0) return "";
  const charts = [...curves.entries()].map(
    ([series, list]) => `<figure>\n${latencyChartSvg(`${series} latency by percentile`, list)}\n<figcaption>${escapeHtml(series)}/latency by percentile (from the merged histograms)</figcaption>\n</figure>`,
  );
  return `<section id="latency">\n<h2>Latency distribution</h2>\n${charts.join("\n")}\n</section>`;
}

function loadSection(result: ResultDocument): string {
  const load = result.load;
  if (!load) return "";
  const items: [string, string][] = [
    ["agents", String(load.agents.length)],
    ["start skew", escapeHtml(formatDurationMs(load.startSkewMs))],
    ["load time", escapeHtml(formatDurationMs(load.durationMs))],
    ["reports merged", groupThousands(load.reportsMerged)],
    [
      "conservation",
      load.conservation.ok
        ? `<span class="ok">ok</span>`
        : `<span class="bad">${load.conservation.mismatches.length} mismatch(es)</span><ul>${load.conservation.mismatches.map((m) => `<li>${escapeHtml(m)}</li>`).join("")}</ul>`,
    ],
  ];
  const versions = [...new Set([...result.versions, ...Object.keys(load.errors)])];
  const errors = versions.flatMap((version) => {
    const top = topErrors(load.errors[version]);
    return top.length === 0 ? [] : [`<li>${escapeHtml(version)}: ${escapeHtml(top.join(", "))}</li>`];
  });
  if (errors.length > 0) items.push(["errors", `<ul>${errors.join("")}</ul>`]);
  const events = load.events.filter((e) => e.type !== "info");
  if (events.length > 0) {
    items.push([
      "events",
      `<ul>${events.map((e) => `<li>${escapeHtml(`${e.time} ${e.type}${e.agentId ? ` ${e.agentId}` : ""}: ${e.message}`)}</li>`).join("")}</ul>`,
    ]);
  }
  return `<section id="load">\n<h2>Load</h2>\n<dl>\n${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("\n")}\n</dl>\n</section>`;
}

function assessmentSection(result: ResultDocument, options: HtmlOptions): string {
  const assessment = result.assessment;
  if (!assessment) return "";
  const body = options.renderAssessmentHtml
    ? options.renderAssessmentHtml(assessment, result)
    : `<ul>${genericAssessmentLines(assessment, 1000).map((line) => `<li>${escapeHtml(line.trim())}</li>`).join("")}</ul>`;
  return `<section id="assessment">\n<h2>Assessment</h2>\n${body}\n</section>`;
}

/** A single self-contained HTML page for a result document. */
export function renderHtml(result: ResultDocument, options: HtmlOptions = {}): string {
  const sections = [
    summarySection(result),
    tasksSection(result),
    metricsSection(result),
    slosSection(result),
    latencySection(result),
    loadSection(result),
    assessmentSection(result, options),
  ].filter((s) => s !== "");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assay report: ${escapeHtml(result.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(result.name)}</h1>
${sections.join("\n")}
</body>
</html>
`;
}
