/**
 * The experiment parser: Iter8-format YAML (plus Assay's extensions) into the model of model.ts.
 * The model itself is exported from core/index.ts directly.
 */
export { parseExperimentFile, parseExperimentText, KNOWN_TASK_NAMES } from "./parse.js";
export type { ParseOptions } from "./parse.js";
export { parseCondition, evaluateCondition } from "./condition.js";
export type { ConditionWhere } from "./condition.js";
export { ExperimentValidationError } from "./problems.js";
export type { ExperimentProblem } from "./problems.js";
export { canonicalTaskName } from "./overrides.js";
export { HTTP_DEFAULTS } from "./tasks/http.js";
export { DEFAULT_CONFIDENCE } from "./tasks/assess.js";
export { TASK_DEFAULTS } from "./tasks/other.js";
