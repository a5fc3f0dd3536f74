/**
 * Charts for `assay launch`: the built-in ones (`iter8`) and a user's chart folder (Helm's
 * layout: `values.yaml` and `templates/`), rendered with core/template into an experiment text.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { ErrorCode, ValidationError } from "../errors.js";
import { DEFAULT_TEMPLATE_LIMITS, compileTemplateSet } from "../template/index.js";
import type { TemplateLimits, TemplateSource, TemplateStats } from "../template/index.js";
import { ITER8_CHART_TEMPLATES, ITER8_CHART_VALUES } from "./iter8-chart.js";
import type { ChartValues } from "./strvals.js";
import { coalesceValues, isValueMap, parseValuesText, readValuesFile } from "./values.js";

/** The template a chart renders: a `define "experiment"`, else the file templates/experiment.yaml. */
export const EXPERIMENT_TEMPLATE = "experiment";

export interface Chart {
  /** `iter8`, or the folder's path as given. */
  readonly name: string;
  /** The folder it was read from; undefined for a built-in chart. */
  readonly dir: string | undefined;
  /** The chart's own values (values.yaml), under the user's. */
  readonly values: ChartValues;
  readonly templates: readonly TemplateSource[];
  /** `.Chart` in templates (from Chart.yaml when present). */
  readonly metadata: ChartValues;
}

/** Built-in charts by name. */
export const BUILTIN_CHARTS: Readonly<Record<string, Chart>> = Object.freeze({
  iter8: {
    name: "iter8",
    dir: undefined,
    values: ITER8_CHART_VALUES,
    templates: ITER8_CHART_TEMPLATES,
    metadata: { Name: "iter8", Version: "0.14.3", AppVersion: "v0.14", Description: "Assay's rendering of Iter8 v0.14's experiment chart" },
  },
});

/** Most template files a user chart may have, and the largest one. */
const MAX_CHART_FILES = 200;
const TEMPLATE_FILE = /\.(tpl|ya?ml|txt)$/;

function looksLikePath(ref: string): boolean {
  return ref.includes("/") || ref.includes("\\") || ref.startsWith(".") || isAbsolute(ref);
}

/**
 * `-c NAME|DIR`: a built-in chart by name, or a chart folder. A bare name that is not built in is
 * read as a folder when one exists (write `./NAME` for a folder named like a built-in chart).
 */
export async function loadChart(ref: string): Promise<Chart> {
  const builtin = looksLikePath(ref) ? undefined : BUILTIN_CHARTS[ref];
  if (builtin !== undefined) return builtin;
  const dir = resolve(ref);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new ValidationError(ErrorCode.BadChart, `-c ${ref}: no built-in chart of that name and no chart folder at ${dir}`, {
      field: "--chart",
      suggestion: `built-in charts: ${Object.keys(BUILTIN_CHARTS).join(", ")}; a chart folder holds values.yaml and templates/ (docs/launch.md)`,
    });
  }
  return loadChartDir(ref, dir);
}

async function loadChartDir(ref: string, dir: string): Promise<Chart> {
  const valuesPath = join(dir, "values.yaml");
  const hasValues = await stat(valuesPath).then(
    (s) => s.isFile(),
    () => false,
  );
  const values = hasValues ? parseValuesText(await readValuesFile(valuesPath, "chart values file"), valuesPath) : {};
  const chartYaml = join(dir, "Chart.yaml");
  const metadata = await stat(chartYaml).then(
    async () => helmChartMetadata(parseValuesText(await readValuesFile(chartYaml, "Chart.yaml"), chartYaml)),
    () => ({ Name: basename(dir) }),
  );
  const templatesDir = join(dir, "templates");
  const files = await listTemplateFiles(templatesDir).catch((error: unknown) => {
    throw new ValidationError(ErrorCode.BadChart, `-c ${ref}: cannot read ${templatesDir}: ${(error as Error).message}`, { cause: error, field: "--chart" });
  });
  if (files.length === 0) throw new ValidationError(ErrorCode.BadChart, `-c ${ref}: ${templatesDir} has no template files (*.tpl, *.yaml)`, { field: "--chart" });
  if (files.length > MAX_CHART_FILES) throw new ValidationError(ErrorCode.BadChart, `-c ${ref}: more than ${MAX_CHART_FILES} template files`, { field: "--chart" });
  const templates: TemplateSource[] = [];
  for (const file of files) templates.push({ name: relative(dir, file), text: await readValuesFile(file, "chart template") });
  return { name: ref, dir, values, templates, metadata };
}

async function listTemplateFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && TEMPLATE_FILE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Chart.yaml's fields as Helm shows them in `.Chart` (first letter upper-case). */
function helmChartMetadata(raw: ChartValues): ChartValues {
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key.charAt(0).toUpperCase() + key.slice(1), value]));
}

export interface RenderChartOptions {
  /** `.Release.Name` (`-g`), default "default". */
  readonly releaseName?: string;
  /** `.Release.Namespace` (`-n`), default "default". */
  readonly namespace?: string;
  readonly limits?: Partial<TemplateLimits>;
}

export interface RenderedChart {
  /** The experiment document (YAML). */
  readonly text: string;
  /** The values the templates saw (`.Values`). */
  readonly values: ChartValues;
  /** What the render used of the template budget. */
  readonly stats: TemplateStats | undefined;
  /** The name errors show for the rendered document. */
  readonly source: string;
}

/** Renders a chart's experiment with the user's values over the chart's own. */
export function renderChart(chart: Chart, userValues: ChartValues, options: RenderChartOptions = {}): RenderedChart {
  const values = coalesceValues(userValues, chart.values);
  let set;
  try {
    set = compileTemplateSet(chart.templates, { limits: { ...DEFAULT_TEMPLATE_LIMITS, ...options.limits } });
  } catch (error) {
    throw chartError(chart, error);
  }
  const main = set.names.includes(EXPERIMENT_TEMPLATE) ? EXPERIMENT_TEMPLATE : set.names.find((name) => /(^|\/)templates\/experiment\.ya?ml$/.test(name));
  if (main === undefined) {
    throw new ValidationError(ErrorCode.BadChart, `chart ${chart.name}: no template named "${EXPERIMENT_TEMPLATE}" (define it, or write templates/experiment.yaml)`, {
      field: "--chart",
    });
  }
  const data = {
    Values: values,
    Release: { Name: options.releaseName ?? "default", Namespace: options.namespace ?? "default", Service: "Helm", IsInstall: true, IsUpgrade: false, Revision: 1 },
    Chart: chart.metadata,
  };
  let stats: TemplateStats | undefined;
  let text: string;
  try {
    text = set.render(main, data, { onStats: (used) => (stats = used) });
  } catch (error) {
    throw chartError(chart, error);
  }
  return { text: text.replace(/^\s*\n/, ""), values, stats, source: `<chart ${chart.name}>` };
}

/** A template error from a chart: `fail` messages and budget errors keep their text, prefixed with the chart. */
function chartError(chart: Chart, error: unknown): unknown {
  if (!(error instanceof ValidationError)) return error;
  const failed = /error calling fail: ([\s\S]*)$/.exec(error.message);
  // The built-in chart's own checks (`fail`) are messages about values, not about its template files.
  if (chart.dir === undefined && failed?.[1] !== undefined) return new ValidationError(ErrorCode.BadValues, `chart ${chart.name}: ${failed[1]}`, { cause: error });
  return new ValidationError(error.code === ErrorCode.TemplateBudgetExceeded ? error.code : ErrorCode.BadChart, `chart ${chart.name}: ${error.message}`, {
    cause: error,
    ...(error.location ? { location: error.location } : {}),
    field: "--chart",
  });
}

/** The values of `assess.SLOs.upper|lower` given as a list, which Iter8's chart cannot take. */
export function sloListProblems(values: ChartValues): string[] {
  const assess = values["assess"];
  if (!isValueMap(assess)) return [];
  const slos = assess["SLOs"];
  if (!isValueMap(slos)) return [];
  return ["upper", "lower"].filter((direction) => Array.isArray(slos[direction])).map((direction) => `assess.SLOs.${direction}`);
}
