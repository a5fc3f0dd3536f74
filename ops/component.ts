/**
 * One call per long-running command: parse `--ops-listen`, register the component's metrics in a
 * fresh registry and serve /healthz, /readyz and /metrics. `assay agent` and `assay coordinator`
 * use it so the flag behaves the same in both.
 */
import { Registry } from "prom-client";
import type { Logger } from "../core/index.js";
import { createAgentMetrics, createCoordinatorMetrics } from "./metrics.js";
import type { AgentMetrics, AgentMetricSources, CoordinatorMetrics, CoordinatorMetricSources } from "./metrics.js";
import { parseListenAddress, startOpsServer } from "./server.js";
import type { OpsServer } from "./server.js";

export interface ComponentOpsOptions {
  /** The `--ops-listen` value: PORT, HOST:PORT or [IPv6]:PORT (a bare port binds 127.0.0.1). */
  listen: string;
  logger: Logger;
  /** Readiness for /readyz (e.g. "connected to NATS"). */
  ready: () => boolean;
}

export interface ComponentOps<M> {
  readonly metrics: M;
  readonly server: OpsServer;
  close(): Promise<void>;
}

export async function startAgentOps(options: ComponentOpsOptions & AgentMetricSources): Promise<ComponentOps<AgentMetrics>> {
  const registry = new Registry();
  const metrics = createAgentMetrics(registry, options);
  return serve(options, registry, metrics);
}

export async function startCoordinatorOps(options: ComponentOpsOptions & CoordinatorMetricSources): Promise<ComponentOps<CoordinatorMetrics>> {
  const registry = new Registry();
  const metrics = createCoordinatorMetrics(registry, options);
  return serve(options, registry, metrics);
}

async function serve<M>(options: ComponentOpsOptions, registry: Registry, metrics: M): Promise<ComponentOps<M>> {
  const { host, port } = parseListenAddress(options.listen);
  const server = await startOpsServer({ host, port, logger: options.logger, registry, ready: options.ready });
  return { metrics, server, close: () => server.close() };
}
