/**
 * The experiment parser: Iter8-format YAML (plus Assay's extensions) into the model of model.ts.
 * The model itself is exported from core/index.ts directly.
 */
export { parseExperimentFile, parseExperimentText, KNOWN_TASK_NAMES } from "./parse.js";
export type { ParseOptions } from "./parse.js";
export { DEFAULT_PARSE_LIMITS, VALUE_LIMITS, CONDITION_LIMITS } from "./limits.js";
export type { ParseLimits } from "./limits.js";
export { parseCondition, evaluateCondition } from "./condition.js";
export type { ConditionWhere } from "./condition.js";
export { ExperimentValidationError } from "./problems.js";
export type { ExperimentProblem } from "./problems.js";
export { canonicalTaskName } from "./overrides.js";
export { canonicalMetricName, formatPercentile, isBuiltInMetric, ITER8_V08_METRIC_NAMES } from "./metric-names.js";
export { runTimeFetches } from "./fetches.js";
export type { RunTimeFetch } from "./fetches.js";
export { HTTP_DEFAULTS } from "./tasks/http.js";
export { DEFAULT_CONFIDENCE } from "./tasks/assess.js";
export { TASK_DEFAULTS } from "./tasks/other.js";
export { GRPC_DEFAULTS } from "./tasks/grpc.js";
