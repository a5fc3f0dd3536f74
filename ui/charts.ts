/**
 * Charts on uPlot (bundled, no CDN): time series per version and the latency distribution on a
 * log axis. uPlot's own legend is off (its entries are mouse-only toggles); each chart gets a
 * plain legend and an accessible name instead.
 */
import uPlot from "uplot";
import { h, replace } from "./dom.js";

export interface SeriesSpec {
  label: string;
  color: string;
  dash?: number[];
}

export interface ChartSpec {
  /** Short name, also the chart's accessible name. */
  title: string;
  /** y axis unit ("req/s", "ms", "%"). */
  unit: string;
  /** x axis: seconds since the load started, or milliseconds on a log scale (distribution). */
  x: "seconds" | "log-ms";
  /** Stepped lines (distribution buckets). */
  stepped?: boolean;
  height?: number;
}

export class Chart {
  readonly element: HTMLElement;
  private readonly plotHolder: HTMLElement;
  private readonly legend: HTMLElement;
  private plot: uPlot | undefined;
  private seriesKey = "";
  private readonly resize: ResizeObserver;

  constructor(private readonly spec: ChartSpec) {
    this.plotHolder = h("div", { class: "plot", role: "img", "aria-label": `${spec.title} chart` });
    this.legend = h("ul", { class: "legend", "aria-label": `${spec.title} legend` });
    this.element = h("figure", { class: "chart" }, h("figcaption", {}, spec.title, h("span", { class: "unit" }, ` (${spec.unit})`)), this.plotHolder, this.legend);
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(this.plotHolder);
  }

  /** Draws `ys[i]` (one array per series, aligned with `xs`). Recreates the plot when the series change. */
  setData(xs: number[], series: SeriesSpec[], ys: (number | null)[][]): void {
    const key = series.map((s) => `${s.label}|${s.color}|${(s.dash ?? []).join(",")}`).join(";");
    if (!this.plot || key !== this.seriesKey) {
      this.plot?.destroy();
      this.seriesKey = key;
      this.plot = new uPlot(this.options(series), [xs, ...ys] as uPlot.AlignedData, this.plotHolder);
      replace(
        this.legend,
        series.map((s) => h("li", {}, h("span", { class: `swatch${s.dash ? " dashed" : ""}`, "data-color": s.color }), s.label)),
      );
      for (const swatch of this.legend.querySelectorAll<HTMLElement>(".swatch")) swatch.style.borderColor = swatch.dataset["color"] ?? "";
      this.fit();
    } else {
      this.plot.setData([xs, ...ys] as uPlot.AlignedData);
    }
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
  }

  private fit(): void {
    const width = Math.max(200, Math.floor(this.plotHolder.clientWidth));
    this.plot?.setSize({ width, height: this.spec.height ?? 200 });
  }

  private options(series: SeriesSpec[]): uPlot.Options {
    const log = this.spec.x === "log-ms";
    const stepped = this.spec.stepped ? uPlot.paths.stepped?.({ align: 1 }) : undefined;
    return {
      width: Math.max(200, Math.floor(this.plotHolder.clientWidth)),
      height: this.spec.height ?? 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: log ? { time: false, distr: 3, log: 10 } : { time: false }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
      axes: [
        { label: log ? "latency (ms)" : "seconds since the load started", values: (_u, ticks) => ticks.map((t) => formatTick(t)) },
        { label: this.spec.unit, size: 56, values: (_u, ticks) => ticks.map((t) => formatTick(t)) },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: false,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(stepped ? { paths: stepped } : {}),
        })),
      ],
    };
  }
}

function formatTick(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1000) return `${Math.round(value / 100) / 10}k`;
  return String(Number(value.toPrecision(3)));
}
