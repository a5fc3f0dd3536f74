/**
 * Latency percentile distribution charts (inline SVG) drawn from the encoded histograms of a
 * result: x is the percentile on HdrHistogram's usual log scale (0%, 90%, 99%, 99.9%, 99.99%),
 * y the latency in milliseconds.
 */
import type { ResultDocument } from "../../core/index.js";
import { histogramFromBase64 } from "../../core/index.js";
import { significant } from "./format.js";

export interface PercentilePoint {
  percentile: number;
  latencyMs: number;
}

export interface LatencyCurve {
  version: string;
  /** Requests behind the curve. */
  count: number;
  points: PercentilePoint[];
}

const DECADES = 4;
const STEPS_PER_DECADE = 10;

/** Percentiles walked from 0 to 99.99 (evenly spaced on the log scale of 1/(1 − q)). */
export function chartPercentiles(): number[] {
  const list: number[] = [];
  for (let i = 0; i <= DECADES * STEPS_PER_DECADE; i++) {
    list.push(Number((100 * (1 - 10 ** (-i / STEPS_PER_DECADE))).toFixed(6)));
  }
  return list;
}

/** Decodes one base64 latency histogram (µs) into percentile points (ms); [] when empty/bad. */
export function latencyCurve(encoded: string): { count: number; points: PercentilePoint[] } {
  if (encoded === "") return { count: 0, points: [] };
  let histogram;
  try {
    histogram = histogramFromBase64(encoded);
  } catch {
    return { count: 0, points: [] };
  }
  try {
    const count = histogram.totalCount;
    if (count === 0) return { count, points: [] };
    const points = chartPercentiles().map((percentile) => ({
      percentile,
      latencyMs: histogram.getValueAtPercentile(percentile) / 1000,
    }));
    return { count, points };
  } finally {
    histogram.destroy();
  }
}

/** Series prefix ("http", "http-login", ...) → one curve per version that has a histogram. */
export function latencyCurves(result: Pick<ResultDocument, "versions" | "histograms">): Map<string, LatencyCurve[]> {
  const bySeries = new Map<string, LatencyCurve[]>();
  const versions = [...new Set([...result.versions, ...Object.keys(result.histograms)])];
  for (const version of versions) {
    for (const [series, histograms] of Object.entries(result.histograms[version] ?? {})) {
      const { count, points } = latencyCurve(histograms.latency);
      if (points.length === 0) continue;
      const list = bySeries.get(series) ?? [];
      list.push({ version, count, points });
      bySeries.set(series, list);
    }
  }
  return bySeries;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const WIDTH = 640;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 16, top: 16, bottom: 40 } as const;

function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** One `<svg>` with a polyline per version. */
export function latencyChartSvg(title: string, curves: LatencyCurve[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const maxMs = niceCeiling(Math.max(...curves.flatMap((c) => c.points.map((p) => p.latencyMs)), 0));
  const xOf = (percentile: number): number => {
    const decades = percentile >= 100 ? DECADES : Math.min(DECADES, -Math.log10(1 - percentile / 100));
    return MARGIN.left + (decades / DECADES) * plotWidth;
  };
  const yOf = (ms: number): number => MARGIN.top + plotHeight - (ms / maxMs) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="#fff" stroke="#ccc"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const ms = (maxMs * i) / 5;
    const y = yOf(ms).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${significant(ms, 3)}</text>`,
    );
  }
  for (const [i, label] of ["0%", "90%", "99%", "99.9%", "99.99%"].entries()) {
    const x = (MARGIN.left + (i / DECADES) * plotWidth).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#eee"/>`,
      `<text x="${x}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle" font-size="11">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 4}" text-anchor="middle" font-size="12">percentile</text>`,
    `<text x="12" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 12 ${MARGIN.top + plotHeight / 2})">latency (ms)</text>`,
  );
  curves.forEach((curve, i) => {
    const color = PALETTE[i % PALETTE.length] ?? "#000";
    const points = curve.points.map((p) => `${xOf(p.percentile).toFixed(1)},${yOf(p.latencyMs).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"><title>${escapeXml(curve.version)}</title></polyline>`);
    const legendY = MARGIN.top + 14 + i * 16;
    parts.push(
      `<rect x="${MARGIN.left + 10}" y="${legendY - 8}" width="12" height="3" fill="${color}"/>`,
      `<text x="${MARGIN.left + 28}" y="${legendY - 4}" font-size="11" dominant-baseline="middle">${escapeXml(curve.version)} (${curve.count} requests)</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
