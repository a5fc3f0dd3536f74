/**
 * ops: what running Assay in production needs beside the load itself — the operations endpoint
 * (/healthz, /readyz, /metrics) and the Prometheus metrics of the agent and the coordinator, the
 * node-label lookup of the agent DaemonSet's init container, and the JetStream setup of the
 * coordinator's. Its two executables live in ops/bin. It depends on core only; the CLI imports
 * this entry to serve `--ops-listen`.
 */
export { startOpsServer, parseListenAddress, OPS_PATHS, DEFAULT_OPS_PORT } from "./server.js";
export type { OpsServer, OpsServerOptions } from "./server.js";
export { createAgentMetrics, createCoordinatorMetrics } from "./metrics.js";
export type { AgentMetrics, CoordinatorMetrics, MetricsOptions } from "./metrics.js";
export { fetchNodeLabels, parseLabelMapping, agentLabelsFromNode, DEFAULT_NODE_LABEL_MAPPING } from "./node-labels.js";
export type { NodeLabelsRequest } from "./node-labels.js";
export { ensureJetStreamAssets } from "./jetstream-setup.js";
export type { JetStreamSetupOptions, JetStreamSetupResult, AssetChange } from "./jetstream-setup.js";
export { startAgentOps, startCoordinatorOps } from "./component.js";
export type { ComponentOps, ComponentOpsOptions } from "./component.js";
export type { AgentMetricSources, CoordinatorMetricSources } from "./metrics.js";
