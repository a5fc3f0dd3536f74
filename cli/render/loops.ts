/**
 * The loop history of a looped experiment (`result.loops`) in the text report: one row per loop
 * with its outcome, winner, the weights recommended and the weights the `traffic` task applied.
 */
import { formatDurationMs } from "../../core/index.js";
import type { LoopRecord, ResultDocument } from "../../core/index.js";
import { truncate } from "./format.js";
import { renderTable } from "./table.js";

function weightsText(weights: Record<string, number> | undefined, versions: readonly string[]): string {
  if (!weights) return "-";
  const order = [...versions.filter((v) => v in weights), ...Object.keys(weights).filter((v) => !versions.includes(v))];
  return order.map((version) => `${version} ${weights[version] ?? 0}`).join(", ");
}

function failingSlos(loop: LoopRecord): number {
  return loop.slos.reduce((sum, slo) => sum + Object.values(slo.satisfied).filter((ok) => !ok).length, 0);
}

/** "Loops" with a row per loop, or nothing for a result that was not looped. */
export function loopsSection(result: ResultDocument, width: number): string[] {
  const loops = result.loops;
  if (!loops || loops.length === 0) return [];
  const first = loops[0]?.loop ?? 1;
  const dropped = first > 1 ? ` (the ${first - 1} before loop ${first} are no longer kept)` : "";
  const lines = [`Loops: ${result.numLoops ?? loops.length} run${dropped}`];
  const rows = loops.map((loop) => [
    String(loop.loop),
    loop.completed ? "completed" : "stopped",
    formatDurationMs(loop.durationMs),
    loop.slos.length === 0 ? "-" : failingSlos(loop) === 0 ? "all hold" : `${failingSlos(loop)} fail`,
    loop.winner ?? "-",
    weightsText(loop.recommendedWeights, result.versions),
    weightsText(loop.weightsApplied, result.versions),
  ]);
  lines.push(...renderTable(["loop", "status", "duration", "SLOs", "winner", "recommended", "applied"], rows, { align: ["right", "left", "right", "left", "left", "left", "left"] }).map((line) => truncate(line, width)));
  const traffic = result.traffic;
  if (traffic) {
    lines.push(truncate(`  traffic (${traffic.pattern}, loop ${traffic.loop}, ${traffic.action}): ${weightsText(traffic.weights, result.versions)}`, width));
    for (const reason of traffic.reasons) lines.push(truncate(`    ${reason}`, width));
  }
  return lines;
}
