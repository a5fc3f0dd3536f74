/**
 * The one-line summary of `assay run --quiet`, for CI logs: how the run ended and, per version,
 * requests, errors, p95 and the SLOs held.
 *
 *   quickstart: completed in 2.6s; v1 400 req, 0 err, p95 3.9ms, SLOs 2/2; v2 400 req, 8 err (2%), p95 9.8ms, SLOs 1/2
 */
import type { ResultDocument } from "../../core/index.js";
import { formatDurationMs } from "../../core/index.js";
import { groupThousands, percent, runDurationMs, significant, statusLine } from "./format.js";

function versionPart(result: ResultDocument, version: string): string {
  const metrics = result.metrics[version] ?? {};
  const prefix = "http/request-count" in metrics ? "http" : "grpc/request-count" in metrics ? "grpc" : undefined;
  const parts: string[] = [];
  if (prefix !== undefined) {
    const requests = metrics[`${prefix}/request-count`] ?? 0;
    const errors = metrics[`${prefix}/error-count`] ?? 0;
    parts.push(`${groupThousands(requests)} req`, `${groupThousands(errors)} err${errors > 0 && requests > 0 ? ` (${percent(errors / requests)})` : ""}`);
    const p95 = metrics[`${prefix}/latency-p95`];
    if (p95 !== undefined) parts.push(`p95 ${significant(p95, 3)}ms`);
  }
  if (result.slos.length > 0) {
    const held = result.slos.filter((slo) => slo.satisfied[version] === true).length;
    parts.push(`SLOs ${held}/${result.slos.length}`);
  }
  if ((result.load?.unreachable ?? []).includes(version)) parts.push("unreachable");
  return parts.length === 0 ? version : `${version} ${parts.join(", ")}`;
}

/** One line (with its newline). */
export function renderSummaryLine(result: ResultDocument): string {
  const durationMs = runDurationMs(result);
  const status = statusLine(result).text;
  const head = `${result.name}: ${status}${durationMs === undefined ? "" : ` in ${formatDurationMs(durationMs)}`}`;
  return `${[head, ...result.versions.map((version) => versionPart(result, version))].join("; ")}\n`;
}
