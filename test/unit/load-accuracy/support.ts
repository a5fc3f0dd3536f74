/**
 * Load-accuracy test helpers: an in-process AgentLink over real AgentRuntimes, with a per-agent clock skew
 * (correctly estimated, as the NATS agent does) and a switch that cuts an agent off (its reports
 * are held back, then delivered late, as JetStream does after a partition heals).
 */
import { AgentRuntime } from "../../../agent/index.js";
import type { TestContext } from "node:test";
import { runExperiment } from "../../../coordinator/index.js";
import { TransportError, ErrorCode, parseExperimentText, silentLogger } from "../../../core/index.js";
import type { AgentEvent, AgentEventHandler, AgentInfo, AgentLink, Experiment, ResultDocument } from "../../../core/index.js";
import { startHttpTarget, teardown } from "../../harness/index.js";
import type { HttpTarget, HttpTargetOptions } from "../../harness/index.js";

export interface FakeAgentSpec {
  readonly id: string;
  /** Agent clock minus coordinator clock. */
  readonly skewMs?: number;
}

export class FakeLink implements AgentLink {
  readonly runtimes = new Map<string, AgentRuntime>();
  private readonly handlers = new Set<AgentEventHandler>();
  private readonly infos: AgentInfo[];
  private readonly cut = new Set<string>();
  private readonly held = new Map<string, AgentEvent[]>();

  constructor(specs: readonly FakeAgentSpec[]) {
    this.infos = specs.map((s) => ({ id: s.id, capacity: 1, labels: {}, version: "review" }));
    for (const spec of specs) {
      const skew = spec.skewMs ?? 0;
      const runtime = new AgentRuntime({
        agentId: spec.id,
        logger: silentLogger(),
        clock: { nowMs: () => Date.now() + skew },
        port: {
          sendReport: (payload) => {
            this.deliver(spec.id, { type: "report", agentId: spec.id, payload, ack: () => undefined });
            return Promise.resolve();
          },
          sendDone: (payload) => {
            this.deliver(spec.id, { type: "done", agentId: spec.id, payload, ack: () => undefined });
            return Promise.resolve();
          },
        },
      });
      // Coordinator clock minus agent clock, perfectly estimated.
      runtime.setClockOffsetMs(-skew);
      this.runtimes.set(spec.id, runtime);
    }
  }

  private deliver(agentId: string, event: AgentEvent): void {
    if (this.cut.has(agentId)) {
      const list = this.held.get(agentId) ?? [];
      list.push(event);
      this.held.set(agentId, list);
      return;
    }
    setImmediate(() => {
      for (const handler of this.handlers) handler(event);
    });
  }

  /** Delivers an arbitrary event to the subscribers, as a transport would. */
  inject(event: AgentEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  /** Cuts the agent off: control fails, its messages are held; the coordinator is told it is lost. */
  partition(agentId: string): void {
    this.cut.add(agentId);
    for (const handler of this.handlers) handler({ type: "lost", agentId, reason: "review: partitioned" });
  }

  /** The partition heals: held messages arrive (late), as a JetStream consumer would deliver them. */
  heal(agentId: string): void {
    this.cut.delete(agentId);
    for (const event of this.held.get(agentId) ?? []) this.deliver(agentId, event);
    this.held.delete(agentId);
  }

  agents(): readonly AgentInfo[] {
    return this.infos.filter((a) => !this.cut.has(a.id));
  }

  async control(agentId: string, payload: Uint8Array): Promise<Uint8Array> {
    const runtime = this.runtimes.get(agentId);
    if (!runtime || this.cut.has(agentId)) throw new TransportError(ErrorCode.ControlTimeout, `review: ${agentId} unreachable`);
    return runtime.handleControl(payload);
  }

  subscribe(handler: AgentEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.stopAll("review: closing")));
  }
}

export function experiment(yaml: string): Experiment {
  return parseExperimentText(yaml, "load-accuracy.yaml");
}

/** A fake-agent link closed when the test ends (before the fixtures started ahead of it). */
export function fakeAgents(t: TestContext, agents: readonly FakeAgentSpec[]): FakeLink {
  const link = new FakeLink(agents);
  teardown(t).defer(() => link.close());
  return link;
}

/** A harness HTTP target closed when the test ends. */
export async function httpTarget(t: TestContext, options?: HttpTargetOptions): Promise<HttpTarget> {
  const started = await startHttpTarget(options);
  teardown(t).defer(() => started.close());
  return started;
}

/** Runs an experiment (YAML text) on the link, as the CLI would, with a short report interval. */
export function run(link: FakeLink, yaml: string, reportIntervalMs = 500): Promise<ResultDocument> {
  return runExperiment(experiment(yaml), { link, logger: silentLogger(), reportIntervalMs });
}
