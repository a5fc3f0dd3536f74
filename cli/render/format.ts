/**
 * Number and metric formatting shared by the text and HTML reports: which metrics exist, in what
 * order, and how each kind of value reads (latency in ms with 3 significant digits, counts as
 * integers, rates as percentages).
 */
import type { MetricInfo, ResultDocument, SloResult } from "../../core/index.js";

/** How a metric's value is shown. */
export type MetricKind = "count" | "rate" | "latency" | "throughput" | "other";

const LATENCY_SUFFIX = /(^|[/-])(latency|service-time|schedule-lag)([-/]|$)/;

export function metricKind(name: string, info?: MetricInfo): MetricKind {
  const leaf = name.slice(name.indexOf("/") + 1);
  if (/(^|-)count$/.test(leaf)) return "count";
  if (/(^|-)rate$/.test(leaf)) return "rate";
  if (leaf === "throughput") return "throughput";
  if (LATENCY_SUFFIX.test(name)) return "latency";
  if (info?.units === "msec" || info?.units === "ms") return "latency";
  if (info?.type === "counter") return "count";
  return "other";
}

/** `x` with at most `digits` significant digits, without exponent notation or trailing zeros. */
export function significant(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  if (magnitude >= digits - 1) return groupThousands(Math.round(x));
  const decimals = Math.min(digits - 1 - magnitude, 12);
  return String(Number(x.toFixed(decimals)));
}

export function groupThousands(n: number): string {
  const sign = n < 0 ? "-" : "";
  const digits = String(Math.abs(Math.round(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Percentage of a fraction (0.02 → "2%", 0.00125 → "0.125%"). */
export function percent(fraction: number): string {
  return `${significant(fraction * 100, 3)}%`;
}

/** A metric value for the metrics table. */
export function formatMetricValue(name: string, value: number | undefined, info?: MetricInfo): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  switch (metricKind(name, info)) {
    case "count":
      return Number.isInteger(value) ? groupThousands(value) : significant(value, 4);
    case "rate":
      return percent(value);
    case "latency":
    case "throughput":
      return significant(value, 3);
    case "other":
      return Number.isInteger(value) ? groupThousands(value) : significant(value, 4);
  }
}

/** Unit label for a metric row ("ms", "req/s", ...), or "" when none applies. */
export function metricUnitLabel(name: string, info?: MetricInfo): string {
  const kind = metricKind(name, info);
  if (kind === "latency") return "ms";
  if (kind === "throughput") return "req/s";
  if (kind === "rate" || kind === "count") return "";
  return info?.units ?? "";
}

/** A raw SLO value or limit: same units as the limit the user wrote, 4 significant digits. */
export function formatRaw(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return significant(value, 4).replace(/,/g, "");
}

/** `http/latency-p95 ≤ 100` / `http/throughput ≥ 50`. */
export function sloLabel(slo: Pick<SloResult, "metric" | "direction" | "limit">): string {
  return `${slo.metric} ${slo.direction === "upper" ? "≤" : "≥"} ${formatRaw(slo.limit)}`;
}

const HTTP_ORDER = [
  "request-count",
  "error-count",
  "error-rate",
  "dropped-count",
  "throughput",
  "latency-mean",
  "latency-stddev",
  "latency-min",
  "latency-p*",
  "latency-max",
  "service-time-mean",
  "service-time-stddev",
  "service-time-min",
  "service-time-p*",
  "service-time-max",
];

function percentileOf(leaf: string): { stem: string; p: number } | undefined {
  const match = /^(.*?)[-/]?p(\d+(?:\.\d+)?)$/.exec(leaf);
  if (!match) return undefined;
  return { stem: match[1] ?? "", p: Number(match[2]) };
}

/** Sort key of a metric's leaf name (after the prefix): known order first, then alphabetical. */
function leafRank(leaf: string): [number, number, string] {
  const normalized = leaf.replace(/\//g, "-");
  const pct = percentileOf(normalized);
  const pattern = pct ? `${pct.stem}-p*` : normalized;
  const rank = HTTP_ORDER.indexOf(pattern);
  return [rank === -1 ? HTTP_ORDER.length : rank, pct?.p ?? 0, leaf];
}

export interface MetricGroup {
  /** "http", "http-login", "grpc", "prom", ... */
  prefix: string;
  /** Full metric names, in display order. */
  names: string[];
}

/**
 * Metric names present for any version, grouped by prefix (`http` first, then `http-<endpoint>`,
 * `grpc`, then custom providers alphabetically), histogram metrics left out.
 */
export function metricGroups(result: Pick<ResultDocument, "metrics" | "metricsInfo" | "versions">): MetricGroup[] {
  const names = new Set<string>();
  for (const version of Object.keys(result.metrics)) {
    for (const [name, value] of Object.entries(result.metrics[version] ?? {})) {
      if (typeof value === "number" && result.metricsInfo[name]?.type !== "histogram") names.add(name);
    }
  }
  const byPrefix = new Map<string, string[]>();
  for (const name of names) {
    const slash = name.indexOf("/");
    const prefix = slash === -1 ? "" : name.slice(0, slash);
    const list = byPrefix.get(prefix) ?? [];
    list.push(name);
    byPrefix.set(prefix, list);
  }
  const prefixRank = (p: string): number => (p === "http" ? 0 : p.startsWith("http-") ? 1 : p === "grpc" ? 2 : p.startsWith("grpc-") ? 3 : 4);
  return [...byPrefix.entries()]
    .sort(([a], [b]) => prefixRank(a) - prefixRank(b) || a.localeCompare(b))
    .map(([prefix, list]) => ({
      prefix,
      names: list.sort((a, b) => {
        const ra = leafRank(a.slice(a.indexOf("/") + 1));
        const rb = leafRank(b.slice(b.indexOf("/") + 1));
        return ra[0] - rb[0] || ra[1] - rb[1] || ra[2].localeCompare(rb[2]);
      }),
    }));
}

/** Run length: endTime − startTime, else the load's duration. */
export function runDurationMs(result: Pick<ResultDocument, "startTime" | "endTime" | "load">): number | undefined {
  if (result.endTime !== undefined) {
    const ms = Date.parse(result.endTime) - Date.parse(result.startTime);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  return result.load?.durationMs;
}

/** One line saying how the run ended. */
export function statusLine(result: Pick<ResultDocument, "completed" | "incomplete" | "failure">): {
  state: "completed" | "incomplete" | "failed";
  text: string;
} {
  if (result.incomplete) {
    const kept = "measurements so far are kept";
    const why = result.failure ?? "interrupted";
    return { state: "incomplete", text: `incomplete (${why})${why.includes("so far are kept") ? "" : `: ${kept}`}` };
  }
  if (!result.completed) return { state: "failed", text: `failed${result.failure ? `: ${result.failure}` : ""}` };
  if (result.failure) return { state: "failed", text: `completed with a failure: ${result.failure}` };
  return { state: "completed", text: "completed" };
}

/** Error messages of one version, most frequent first: `connection refused ×100`. */
export function topErrors(errors: Record<string, number> | undefined, limit = 5): string[] {
  if (!errors) return [];
  return Object.entries(errors)
    .sort(([ma, a], [mb, b]) => b - a || ma.localeCompare(mb))
    .slice(0, limit)
    .map(([message, count]) => `${message} ×${groupThousands(count)}`);
}

/**
 * Versions whose every request failed, with a sentence explaining it: a version in
 * `load.unreachable` got no response at all (the run exits 5), the others answered every request
 * with an error. Looks at every `<prefix>/request-count` with a matching error count.
 */
export function unreachableWarnings(result: Pick<ResultDocument, "versions" | "metrics" | "load">): string[] {
  const warnings: string[] = [];
  const unreachable = new Set(result.load?.unreachable ?? []);
  for (const version of result.versions) {
    const causes = topErrors(result.load?.errors[version], 3);
    const because = causes.length > 0 ? `: ${causes.join(", ")}` : "";
    if (unreachable.has(version)) {
      warnings.push(`no request to ${version} got a response${because} — is the target running and reachable at the url the experiment gives? (exit code 5)`);
      continue;
    }
    const metrics = result.metrics[version] ?? {};
    for (const [name, requests] of Object.entries(metrics)) {
      if (!name.endsWith("/request-count") || requests <= 0) continue;
      const prefix = name.slice(0, -"/request-count".length);
      if (metrics[`${prefix}/error-count`] !== requests) continue;
      const series = prefix === "http" || prefix === "grpc" ? "" : ` (${prefix})`;
      warnings.push(`all ${groupThousands(requests)} requests to ${version}${series} failed${because}`);
    }
  }
  return warnings;
}

/** Truncates to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 1 || text.length <= width) return text;
  return `${text.slice(0, width - 1)}…`;
}
