/**
 * cli/render: everything `assay` shows people — the text, JSON and HTML reports, `assert`
 * checks, reading stored result files, and the progress display. Functions return strings (or
 * write to a given stream); printing is the caller's job.
 */
export { renderReport } from "./text.js";
export type { RenderOptions } from "./text.js";
export { renderJson } from "./json.js";
export { renderSummaryLine } from "./summary.js";
export { renderHtml, escapeHtml } from "./html.js";
export type { HtmlOptions } from "./html.js";
export { checkAssertions, ASSERT_CONDITIONS } from "./assert.js";
export type { AssertionOutcome } from "./assert.js";
export { createProgress, formatProgressLine } from "./progress.js";
export type { Progress, ProgressOptions, ProgressStream, ProgressUpdate } from "./progress.js";
export { progressUpdateOf } from "./run-progress.js";
export { readResultFile, resultProblem } from "./read.js";
export { latencyCurves, latencyChartSvg } from "./chart.js";
export type { LatencyCurve, PercentilePoint } from "./chart.js";
export { formatMetricValue, metricGroups, sloLabel, significant, unreachableWarnings } from "./format.js";
