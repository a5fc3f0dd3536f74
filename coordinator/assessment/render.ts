/**
 * A readable text section of an assessment, for `assay report` and `assay analyze -o text`.
 */
import type { Assessment } from "./assess.js";

function num(x: number | null): string {
  if (x === null) return "n/a";
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-4) return x.toExponential(2);
  return Number(x.toPrecision(4)).toString();
}

function pct(p: number): string {
  if (p > 0.999 && p < 1) return ">99.9%";
  if (p < 0.001 && p > 0) return "<0.1%";
  return `${(p * 100).toFixed(1)}%`;
}

function signedPct(x: number): string {
  const text = `${(x * 100).toFixed(1)}%`;
  return x > 0 ? `+${text}` : text;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd());
}

/** The assessment as text: rewards, SLO probabilities, winner, weights and errors. */
export function renderAssessmentText(a: Assessment): string {
  const level = `${Math.round(a.confidence * 1000) / 10}%`;
  const lines: string[] = [`Assessment (confidence ${level}${a.baseline === null ? "" : `, baseline ${a.baseline}`})`];
  for (const [metric, reward] of Object.entries(a.rewards)) {
    const better = reward.direction === "max" ? "higher is better" : "lower is better: a negative lift is an improvement";
    lines.push("", `Reward ${metric} (${better}; P(best) and risk by ${reward.method})`);
    const rows: string[][] = [["version", "mean", `${level} interval`, "P(best)", "risk", "lift"]];
    const notes: string[] = [];
    for (const v of a.versions) {
      const r = reward.versions[v];
      if (r === undefined) {
        rows.push([v, "—", "—", "—", "—", `no data: ${a.errors[v]?.[metric] ?? "missing"}`]);
        continue;
      }
      const interval = r.liftInterval ? ` [${signedPct(r.liftInterval[0])}, ${signedPct(r.liftInterval[1])}]` : "";
      const lift = v === a.baseline ? "(baseline)" : `${r.lift === null ? "n/a" : signedPct(r.lift)}${interval}`;
      rows.push([v, num(r.mean), `[${num(r.credibleInterval[0])}, ${num(r.credibleInterval[1])}]`, pct(r.pBest), num(r.expectedLoss), lift]);
      for (const [quantity, reason] of Object.entries(r.reasons ?? {})) notes.push(`  ${v} ${quantity} n/a: ${reason}`);
    }
    lines.push(...table(rows), ...notes);
  }
  if (a.slos.length > 0) {
    lines.push("", "SLOs (✓/✗ on the measured value; P = posterior probability the SLO holds)");
    const rows: string[][] = [["SLO", ...a.versions]];
    for (const slo of a.slos) {
      const cells = a.versions.map((v) => {
        const mark = slo.satisfied[v] ? "✓" : "✗";
        const p = slo.probability?.[v];
        return `${mark} ${p === null || p === undefined ? "P n/a" : `P ${pct(p)}`}`;
      });
      rows.push([`${slo.metric} ${slo.direction === "upper" ? "≤" : "≥"} ${slo.limit}`, ...cells]);
    }
    lines.push(...table(rows));
  }
  lines.push("");
  if (a.decidingReward === null) lines.push("Winner: none (no reward to decide on)");
  else if (a.winner !== null) lines.push(`Winner: ${a.winner} (P(best on ${a.decidingReward} among versions meeting all SLOs) ${pct(a.winnerProbabilities[a.winner] ?? 0)} ≥ ${level})`);
  else {
    const best = Object.entries(a.winnerProbabilities).sort((x, y) => y[1] - x[1])[0];
    lines.push(best === undefined ? "Winner: none (no version meets all SLOs with reward data)" : `Winner: none (best is ${best[0]} with ${pct(best[1])} < ${level})`);
  }
  lines.push(`Recommended weights: ${a.versions.map((v) => `${v} ${a.weights[v] ?? 0}`).join(", ")}`);
  const errorLines = Object.entries(a.errors).flatMap(([v, byMetric]) => Object.entries(byMetric).map(([m, e]) => `  ${v} ${m}: ${e}`));
  if (errorLines.length > 0) lines.push("", "Not assessed:", ...errorLines);
  return `${lines.join("\n")}\n`;
}
