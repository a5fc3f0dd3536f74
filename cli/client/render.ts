/**
 * How the client commands show the API's messages: summaries and tables for people, one JSON
 * object per line for machines, and the live view of `watch` (a table and progress bar redrawn in
 * place on a terminal, one line per interval otherwise).
 */
import { api, formatDurationMs } from "../../core/index.js";
import { renderTable } from "../render/table.js";
import { ExitCode } from "../exit-codes.js";

const State = api.ExperimentState;

/** `EXPERIMENT_STATE_RUNNING` → `running`. */
export function stateName(state: string): string {
  return state.replace(/^EXPERIMENT_STATE_/, "").toLowerCase();
}

export function isFinalState(state: string): boolean {
  return state === State.EXPERIMENT_STATE_COMPLETED || state === State.EXPERIMENT_STATE_FAILED || state === State.EXPERIMENT_STATE_CANCELLED;
}

/** Exit code for an experiment's final state: completed 0, failed 1, cancelled 130. */
export function exitCodeForState(state: string): number {
  if (state === State.EXPERIMENT_STATE_COMPLETED) return ExitCode.Ok;
  if (state === State.EXPERIMENT_STATE_CANCELLED) return ExitCode.Interrupted;
  return ExitCode.Failed;
}

function time(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "-";
}

function duration(summary: api.ExperimentSummary__Output, nowMs = Date.now()): string {
  if (summary.startedAtMs <= 0) return "-";
  return formatDurationMs((summary.finishedAtMs > 0 ? summary.finishedAtMs : nowMs) - summary.startedAtMs);
}

export function formatSummary(summary: api.ExperimentSummary__Output): string {
  const lines = [
    `experiment ${summary.id}  ${summary.name}`,
    `  state      ${stateName(summary.state)}${summary.queuePosition > 0 ? ` (position ${summary.queuePosition} in the queue)` : ""}`,
    `  source     ${summary.source || "-"}`,
    `  submitted  ${time(summary.submittedAtMs)} by ${summary.submittedBy || "-"}`,
    `  started    ${time(summary.startedAtMs)}`,
    `  finished   ${time(summary.finishedAtMs)}  (${duration(summary)})`,
    `  tasks      ${summary.numCompletedTasks}/${summary.numTasks} done`,
  ];
  if (summary.failure) lines.push(`  failure    ${summary.failure}`);
  return `${lines.join("\n")}\n`;
}

export function formatExperimentTable(experiments: readonly api.ExperimentSummary__Output[]): string {
  if (experiments.length === 0) return "no experiments\n";
  const rows = experiments.map((e) => [e.id, e.name, stateName(e.state), time(e.submittedAtMs), duration(e), `${e.numCompletedTasks}/${e.numTasks}`]);
  return `${renderTable(["ID", "NAME", "STATE", "SUBMITTED", "DURATION", "TASKS"], rows, { align: ["left", "left", "left", "left", "right", "right"], indent: 0 }).join("\n")}\n`;
}

export function formatAgentTable(agents: readonly api.AgentSummary__Output[]): string {
  if (agents.length === 0) return "no agents\n";
  const rows = agents.map((a) => [a.id, String(a.capacity), a.version, Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(",") || "-"]);
  return `${renderTable(["ID", "CAPACITY", "VERSION", "LABELS"], rows, { align: ["left", "right", "left", "left"], indent: 0 }).join("\n")}\n`;
}

/** A message as one line of JSON (no undefined/null oneof members). */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (v === null ? undefined : v))}\n`;
}

function ms(value: number): string {
  return value > 0 ? `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}ms` : "-";
}

function metricsRows(metrics: api.MetricsSnapshot__Output): string[][] {
  return metrics.versions.map((v) => [v.version, String(v.requests), String(v.errors), ms(v.latencyP50Ms), ms(v.latencyP95Ms), ms(v.latencyP99Ms)]);
}

function progressBar(metrics: api.MetricsSnapshot__Output, width = 30): string {
  const requests = metrics.versions.reduce((sum, v) => sum + v.requests, 0);
  let fraction: number | undefined;
  if (metrics.totalRequests > 0) fraction = requests / metrics.totalRequests;
  else if (metrics.totalMs > 0) fraction = metrics.elapsedMs / metrics.totalMs;
  const elapsed = formatDurationMs(metrics.elapsedMs);
  if (fraction === undefined) return `task ${metrics.taskIndex + 1}  ${requests} requests  ${elapsed}`;
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `task ${metrics.taskIndex + 1}  [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(clamped * 100).toFixed(0)}%  ${requests} requests  ${elapsed}`;
}

/** One line for a non-metrics event (and for metrics on a non-terminal). */
export function eventLine(event: api.WatchEvent__Output): string {
  const at = `[${event.seq}]`;
  if (event.snapshot) {
    const s = event.snapshot;
    return `${at} ${s.experiment?.name ?? ""} ${s.experiment?.id ?? ""}: ${stateName(s.experiment?.state ?? "")}${s.skipped ? " (events skipped: this is the latest state)" : ""}`;
  }
  if (event.stateChanged) return `${at} state: ${stateName(event.stateChanged.state)}`;
  if (event.taskStarted) return `${at} task ${event.taskStarted.index + 1} (${event.taskStarted.task}) started`;
  if (event.taskFinished) {
    const t = event.taskFinished;
    return `${at} task ${t.index + 1} (${t.task}) ${t.status}${t.error ? `: ${t.error}` : ""}`;
  }
  if (event.agentJoined) return `${at} agent ${event.agentJoined.agent?.id ?? "?"} joined`;
  if (event.agentLost) return `${at} agent ${event.agentLost.agentId} lost: ${event.agentLost.reason}`;
  if (event.metrics) {
    const parts = event.metrics.versions.map((v) => `${v.version}: ${v.requests} req ${v.errors} err p50 ${ms(v.latencyP50Ms)} p95 ${ms(v.latencyP95Ms)} p99 ${ms(v.latencyP99Ms)}`);
    return `${at} ${formatDurationMs(event.metrics.elapsedMs)} ${parts.join(" | ")}`;
  }
  if (event.assessment) {
    const slos = event.assessment.slos.map((slo) => {
      const held = Object.entries(slo.satisfied).map(([version, ok]) => `${version} ${ok ? "ok" : "FAIL"}`).join(", ");
      return `${slo.metric} ${slo.direction === "upper" ? "<=" : ">="} ${slo.limit}: ${held}`;
    });
    return `${at} assessment: ${slos.join("; ") || "no SLOs"}${event.assessment.winner ? `; winner ${event.assessment.winner}` : ""}`;
  }
  if (event.loopStarted) {
    const l = event.loopStarted;
    return `${at} loop ${l.loop}${l.loops > 0 ? ` of ${l.loops}` : ""} started`;
  }
  if (event.loopFinished) {
    const l = event.loopFinished;
    const next = Number(l.nextStartMs) > 0 ? `; next at ${time(Number(l.nextStartMs))}` : "";
    return `${at} loop ${l.loop} ${l.completed ? "completed" : "stopped"}${l.winner ? `; winner ${l.winner}` : ""}${loopWeights(l.recordJson)}${next}`;
  }
  if (event.completed) {
    const e = event.completed.experiment;
    return `${at} ${stateName(e?.state ?? "")}${e?.failure ? `: ${e.failure}` : ""}`;
  }
  return `${at} (unknown event)`;
}

/** "; weights v1 80, v2 20" from a loop record's applied weights. */
function loopWeights(recordJson: string): string {
  try {
    const weights = (JSON.parse(recordJson) as { weightsApplied?: Record<string, unknown> }).weightsApplied;
    if (!weights) return "";
    return `; weights ${Object.entries(weights).map(([version, weight]) => `${version} ${String(weight)}`).join(", ")}`;
  } catch {
    return "";
  }
}

export interface LiveView {
  onEvent(event: api.WatchEvent__Output): void;
  done(): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Terminal: event lines scroll, the metrics table and progress bar stay at the bottom, redrawn. */
export function createLiveView(stream: Stream, format: "text" | "json"): LiveView {
  if (format === "json") return { onEvent: (event) => stream.write(jsonLine(event)), done: () => undefined };
  if (stream.isTTY !== true) return { onEvent: (event) => stream.write(`${eventLine(event)}\n`), done: () => undefined };
  let drawnLines = 0;
  let metrics: api.MetricsSnapshot__Output | undefined;
  const clear = (): void => {
    if (drawnLines > 0) stream.write(`\x1b[${drawnLines}A\x1b[J`);
    drawnLines = 0;
  };
  const draw = (): void => {
    if (!metrics) return;
    const lines = [progressBar(metrics), ...renderTable(["VERSION", "REQUESTS", "ERRORS", "P50", "P95", "P99"], metricsRows(metrics), { indent: 2 })];
    stream.write(`${lines.join("\n")}\n`);
    drawnLines = lines.length;
  };
  return {
    onEvent(event) {
      clear();
      if (event.metrics) metrics = event.metrics;
      else if (event.snapshot?.metrics) {
        metrics = event.snapshot.metrics;
        stream.write(`${eventLine(event)}\n`);
      } else stream.write(`${eventLine(event)}\n`);
      draw();
    },
    done() {
      drawnLines = 0;
    },
  };
}
