/**
 * Experiment charts for `assay launch`: Helm's values (`-f`, `--set`, `--set-string`,
 * `--set-file`), the built-in `iter8` chart (Iter8 v0.13–v0.14 values) and users' chart folders,
 * rendered with core/template into an experiment document.
 */
export { parseSetInto, typedSetValue, stringSetValue, MAX_SET_INDEX, MAX_SET_NESTING } from "./strvals.js";
export type { ChartValue, ChartValues, SetValueReader } from "./strvals.js";
export { mergeValues, coalesceValues, loadUserValues, parseValuesText, numericStrings, MAX_VALUES_FILE_BYTES } from "./values.js";
export type { ValueSources } from "./values.js";
export { BUILTIN_CHARTS, EXPERIMENT_TEMPLATE, loadChart, renderChart, sloListProblems } from "./chart.js";
export type { Chart, RenderChartOptions, RenderedChart } from "./chart.js";
