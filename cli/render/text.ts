/**
 * The text report: what `assay run` and `assay report` print for people.
 */
import type { ResultDocument, SloResult, TaskResult } from "../../core/index.js";
import { formatDurationMs } from "../../core/index.js";
import { renderAssessmentText } from "../../coordinator/index.js";
import type { Assessment } from "../../coordinator/index.js";
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
  truncate,
  unreachableWarnings,
} from "./format.js";
import { loopsSection } from "./loops.js";
import type { Cell, CellInput } from "./table.js";
import { renderTable } from "./table.js";
import { runOutputLines } from "./task-output.js";

export interface RenderOptions {
  /** ANSI green/red for ✓/✗ and the status. Default false. */
  color?: boolean;
  /**
   * The terminal's width: long list lines (agents, the generic assessment) are cut to it. Error
   * messages and warnings are never cut. Absent (stdout is not a terminal): nothing is cut.
   */
  width?: number;
  /**
   * Renders `result.assessment` (coordinator/assessment's `renderAssessmentText`). Without it the
   * assessment is shown generically (winner, weights, other scalar fields).
   */
  renderAssessment?: (assessment: Record<string, unknown>, result: ResultDocument) => string;
}

const ANSI = { green: "\x1b[32m", red: "\x1b[31m", yellow: "\x1b[33m", bold: "\x1b[1m", reset: "\x1b[0m" } as const;

interface Painter {
  ok: (text: string) => string;
  bad: (text: string) => string;
  warn: (text: string) => string;
  bold: (text: string) => string;
}

function painter(color: boolean): Painter {
  const wrap = (code: string) => (text: string) => (color ? `${code}${text}${ANSI.reset}` : text);
  return { ok: wrap(ANSI.green), bad: wrap(ANSI.red), warn: wrap(ANSI.yellow), bold: wrap(ANSI.bold) };
}

/** The full text report of a result document. */
export function renderReport(result: ResultDocument, options: RenderOptions = {}): string {
  const width = options.width ?? Number.POSITIVE_INFINITY;
  const paint = painter(options.color ?? false);
  const sections = [
    headerSection(result, paint, width),
    tasksSection(result, paint),
    metricsSection(result),
    slosSection(result, paint),
    loadSection(result, paint),
    assessmentSection(result, options, width),
    loopsSection(result, width),
  ].filter((lines) => lines.length > 0);
  return `${sections.map((lines) => lines.join("\n")).join("\n\n")}\n`;
}

function headerSection(result: ResultDocument, paint: Painter, width: number): string[] {
  const status = statusLine(result);
  const statusText = status.state === "completed" ? paint.ok(status.text) : status.state === "failed" ? paint.bad(status.text) : paint.warn(status.text);
  const durationMs = runDurationMs(result);
  const agents = result.load?.agents ?? [];
  const lines = [
    paint.bold(`Experiment: ${result.name}`),
    `  status:    ${statusText}`,
    `  started:   ${result.startTime}`,
  ];
  if (durationMs !== undefined) lines.push(`  duration:  ${formatDurationMs(durationMs)}`);
  lines.push(`  tasks:     ${result.numCompletedTasks} of ${result.tasks.length} completed`);
  if (result.versions.length > 0) lines.push(`  versions:  ${result.versions.join(", ")}`);
  if (agents.length > 0) lines.push(`  agents:    ${truncate(`${agents.length} (${agents.join(", ")})`, width - 13)}`);
  if (result.source) lines.push(`  source:    ${result.source}`);
  for (const warning of unreachableWarnings(result)) lines.push(paint.bad(`  ⚠ ${warning}`));
  return lines;
}

function taskName(task: TaskResult): string {
  return task.writtenName && task.writtenName !== task.task ? `${task.writtenName} (${task.task})` : task.task;
}

function tasksSection(result: ResultDocument, paint: Painter): string[] {
  if (result.tasks.length === 0) return [];
  const rows: CellInput[][] = result.tasks.map((task) => {
    const status: Cell = { text: task.status };
    if (task.status === "failed") status.paint = paint.bad;
    else if (task.status === "completed") status.paint = paint.ok;
    else if (task.status === "cancelled") status.paint = paint.warn;
    const notes: string[] = [];
    if (task.condition !== undefined) notes.push(`if: ${task.condition}`);
    if (task.attempts !== undefined && task.attempts > 1) notes.push(`${task.attempts} attempts`);
    return [
      `${task.index + 1}.`,
      taskName(task),
      status,
      task.durationMs === undefined ? "" : formatDurationMs(task.durationMs),
      notes.join("; "),
    ];
  });
  const lines = ["TASKS", ...renderTable(["#", "task", "status", "time", ""], rows, { align: ["right", "left", "left", "right", "left"] }).slice(2)];
  for (const task of result.tasks) {
    if (task.error) {
      lines.push(paint.bad(`  task ${task.index + 1} (${task.task}) ${task.status}: ${task.error.message} [${task.error.code}]`));
    }
    lines.push(...runOutputLines(task));
  }
  return lines;
}

function metricsSection(result: ResultDocument): string[] {
  const groups = metricGroups(result);
  if (groups.length === 0) return result.versions.length > 0 ? ["METRICS", "  (no metrics were collected)"] : [];
  const rows: CellInput[][] = [];
  groups.forEach((group, i) => {
    if (i > 0) rows.push([""]);
    for (const name of group.names) {
      const info = result.metricsInfo[name];
      const unit = metricUnitLabel(name, info);
      rows.push([
        unit ? `${name} (${unit})` : name,
        ...result.versions.map((version) => formatMetricValue(name, result.metrics[version]?.[name], info)),
      ]);
    }
  });
  const lines = ["METRICS", ...renderTable(["metric", ...result.versions], rows)];
  for (const version of result.versions) {
    for (const [metric, message] of Object.entries(result.metricErrors?.[version] ?? {})) {
      lines.push(`  ${metric} missing for ${version}: ${message}`);
    }
  }
  return lines;
}

function sloCell(slo: SloResult, version: string, paint: Painter): Cell {
  const satisfied = slo.satisfied[version] === true;
  const value = slo.value[version];
  const shown = value === null || value === undefined ? "missing" : formatRaw(value);
  const probability = slo.probability?.[version];
  const suffix = probability === null || probability === undefined ? "" : ` (P ${formatRaw(Number(probability.toFixed(3)))})`;
  return { text: `${satisfied ? "✓" : "✗"} ${shown}${suffix}`, paint: satisfied ? paint.ok : paint.bad };
}

function slosSection(result: ResultDocument, paint: Painter): string[] {
  if (result.slos.length === 0) return [];
  const rows = result.slos.map((slo) => [sloLabel(slo), ...result.versions.map((v) => sloCell(slo, v, paint))]);
  const lines = ["SLOS", ...renderTable(["SLO", ...result.versions], rows)];
  const summary = result.versions.map((version) => {
    const failed = result.slos.filter((slo) => slo.satisfied[version] !== true).length;
    return failed === 0 ? paint.ok(`${version}: all ${result.slos.length} satisfied`) : paint.bad(`${version}: ${failed} of ${result.slos.length} not satisfied`);
  });
  lines.push(`  ${summary.join("; ")}`);
  return lines;
}

function loadSection(result: ResultDocument, paint: Painter): string[] {
  const load = result.load;
  if (!load) return [];
  const lines = [
    "LOAD",
    `  agents: ${load.agents.length}   start skew: ${formatDurationMs(load.startSkewMs)}   load time: ${formatDurationMs(load.durationMs)}   reports merged: ${groupThousands(load.reportsMerged)}`,
    load.conservation.ok
      ? `  conservation: ${paint.ok("ok")} (every agent's intervals add up to its shard totals)`
      : `  conservation: ${paint.bad(`${load.conservation.mismatches.length} mismatch(es)`)}`,
  ];
  for (const mismatch of load.conservation.mismatches) lines.push(paint.bad(`    ${mismatch}`));
  const versions = [...new Set([...result.versions, ...Object.keys(load.errors)])];
  const errorLines = versions.flatMap((version) => {
    const top = topErrors(load.errors[version]);
    return top.length === 0 ? [] : [`    ${version}: ${top.join(", ")}`];
  });
  if (errorLines.length > 0) lines.push("  errors:", ...errorLines);
  const notable = load.events.filter((event) => event.type !== "info");
  if (notable.length > 0) {
    lines.push("  events:");
    for (const event of notable) {
      lines.push(`    ${event.time} ${event.type}${event.agentId ? ` ${event.agentId}` : ""}: ${event.message}`);
    }
  }
  return lines;
}

function scalarText(value: unknown): string | undefined {
  if (value === null) return "none";
  if (typeof value === "number") return formatRaw(value);
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Weights as percentages: fractions summing to 1 are scaled, integers summing to 100 are kept. */
function weightTexts(entries: [string, unknown][]): (readonly [string, string | undefined])[] {
  const numbers = entries.map(([, v]) => (typeof v === "number" ? v : Number.NaN));
  const sum = numbers.reduce((a, b) => a + b, 0);
  const scale = Math.abs(sum - 1) < 1e-6 ? 100 : Math.abs(sum - 100) < 1e-6 ? 1 : 0;
  return entries.map(([k, v], i) => {
    const n = numbers[i] ?? Number.NaN;
    return [k, scale === 0 || Number.isNaN(n) ? scalarText(v) : `${formatRaw(Number((n * scale).toFixed(2)))}%`] as const;
  });
}

/** Generic view of an assessment: scalars as `key: value`, flat maps as `key: a=1, b=2`. */
export function genericAssessmentLines(assessment: Record<string, unknown>, width: number): string[] {
  const lines: string[] = [];
  const winner = assessment["winner"];
  if ("winner" in assessment) lines.push(`  winner: ${typeof winner === "string" ? winner : "none found"}`);
  for (const [key, value] of Object.entries(assessment)) {
    if (key === "winner") continue;
    const scalar = scalarText(value);
    if (scalar !== undefined) {
      lines.push(truncate(`  ${key}: ${scalar}`, width));
      continue;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      const flat = entries.map(([k, v]) => [k, scalarText(v)] as const);
      if (flat.every(([, v]) => v !== undefined)) {
        const shown = /weight/i.test(key) ? weightTexts(entries) : flat;
        lines.push(truncate(`  ${key}: ${shown.map(([k, v]) => `${k} ${v}`).join(", ")}`, width));
        continue;
      }
    }
    lines.push(truncate(`  ${key}: ${JSON.stringify(value)}`, width));
  }
  return lines;
}

const defaultAssessmentRenderer = (assessment: Record<string, unknown>): string => renderAssessmentText(assessment as unknown as Assessment);

function assessmentSection(result: ResultDocument, options: RenderOptions, width: number): string[] {
  const assessment = result.assessment;
  if (!assessment) return [];
  const render = options.renderAssessment ?? defaultAssessmentRenderer;
  try {
    return ["ASSESSMENT", ...render(assessment, result).replace(/\n+$/, "").split("\n")];
  } catch {
    // A document from another version of Assay may not have the shape the renderer expects.
    return ["ASSESSMENT", ...genericAssessmentLines(assessment, width)];
  }
}
