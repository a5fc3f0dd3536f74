/**
 * Metrics backends: the `custommetrics` task (Prometheus and generic REST providers, Iter8
 * provider templates), and the jq/JSONPath subset that picks values out of JSON answers.
 */
export { customMetricsRunner, DEFAULT_BACKEND_TIMEOUT_MS } from "./task.js";
export { compileJq } from "./jq.js";
export type { JqExpression } from "./jq.js";
export { parseProvider, METRIC_PARTS, PROMETHEUS_JQ } from "./spec.js";
export type { AuthSpec, CustomMetricType, MetricSpec, PartSpec, ProviderKind, ProviderSpec, SecretSource } from "./spec.js";
