/**
 * A load run's plan: which agents take part, and how every series is split over them into shards
 * whose shares sum exactly to the totals (or, for a run resumed after a coordinator restart, the
 * shards of its stored plan). Protocol-independent: a series' target and the protocol's ShardSpec
 * fields come from its SeriesSpec.
 */
import { ConfigurationError, ErrorCode, pb } from "../../core/index.js";
import type { AgentInfo, AgentSelection, SeriesLoadInit, ShardSpecInit } from "../../core/index.js";
import type { StoredRun } from "./options.js";
import type { LoadShape, PlannedSeries, ShardOptions } from "./series.js";
import { participants, splitInteger, splitRate } from "./sharding.js";

/** One agent's shard: every series' share for that agent. */
export interface PlannedShard {
  readonly agent: AgentInfo;
  readonly shardId: string;
  readonly spec: ShardSpecInit;
}

let runCounter = 0;

/** A run id unique in this process and across restarts: name, pid, time, counter. */
export function newRunId(experimentName: string): string {
  return `${sanitize(experimentName)}-${process.pid}-${Date.now().toString(36)}-${++runCounter}`;
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40) || "experiment";
}

/** The agents a task may use, per its `agents:` field (a count or a label selector). */
export function selectAgents(available: readonly AgentInfo[], selection: AgentSelection | undefined): AgentInfo[] {
  const sorted = [...available].sort((a, b) => a.id.localeCompare(b.id));
  if (sorted.length === 0) {
    throw new ConfigurationError(ErrorCode.NoAgents, "no agents are available to generate load", {
      suggestion: "start agents with `assay agent --nats URL`, or run without --nats to use local agents",
    });
  }
  if (!selection) return sorted;
  if (selection.kind === "count") {
    if (selection.count > sorted.length) {
      throw new ConfigurationError(ErrorCode.NoAgents, `the task asks for ${selection.count} agents but only ${sorted.length} are available`);
    }
    return sorted.slice(0, selection.count);
  }
  const matching = sorted.filter((agent) => Object.entries(selection.labels).every(([key, value]) => agent.labels[key] === value));
  if (matching.length === 0) {
    const wanted = Object.entries(selection.labels).map(([k, v]) => `${k}=${v}`).join(",");
    throw new ConfigurationError(ErrorCode.NoAgents, `no agent matches the selector ${wanted} (${sorted.length} agents available)`);
  }
  return matching;
}

/**
 * Splits every series across agents: requests, warm-up requests and connections as integers that
 * sum exactly to the totals, rates in proportion to capacity. Series are rotated over the agents so
 * that small series do not all land on the first agent.
 */
export function planLoadShards(
  shape: LoadShape,
  series: readonly PlannedSeries[],
  agents: readonly AgentInfo[],
  runId: string,
  shardSettings: { readonly reportIntervalMs: number; readonly options: ShardOptions },
): PlannedShard[] {
  const perAgent = new Map<string, SeriesLoadInit[]>();
  series.forEach((item, index) => {
    const own = item.load ? { ...shape, ...item.load } : shape;
    const count = participants(agents.length, own.connections, own.numRequests);
    const chosen = Array.from({ length: count }, (_, k) => agents[(index + k) % agents.length]).filter(
      (agent): agent is AgentInfo => agent !== undefined,
    );
    for (const [agentId, load] of splitSeries(own, item, chosen)) {
      const list = perAgent.get(agentId) ?? [];
      list.push(load);
      perAgent.set(agentId, list);
    }
  });
  const stagesDurationMs = shape.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  const durationMs = shape.numRequests !== undefined ? 0 : (shape.durationMs ?? stagesDurationMs);
  return agents
    .filter((agent) => perAgent.has(agent.id))
    .map((agent) => ({
      agent,
      shardId: `${runId}/${agent.id}`,
      spec: {
        series: perAgent.get(agent.id) ?? [],
        durationMs,
        warmupDurationMs: shape.warmupDurationMs ?? 0,
        reportIntervalMs: shardSettings.reportIntervalMs,
        ...shardSettings.options,
      },
    }));
}

/** One series' shares for the agents `chosen` for it; an agent whose request share is 0 gets none. */
function splitSeries(shape: LoadShape, item: PlannedSeries, chosen: readonly AgentInfo[]): [string, SeriesLoadInit][] {
  const weights = chosen.map((agent) => Math.max(1, agent.capacity));
  const requestShares = shape.numRequests === undefined ? undefined : splitInteger(shape.numRequests, weights);
  const active = chosen.filter((_, k) => requestShares === undefined || (requestShares[k] ?? 0) > 0);
  const activeWeights = active.map((agent) => Math.max(1, agent.capacity));
  const activeRequests = requestShares?.filter((share) => share > 0);
  const warmupShares = shape.warmupNumRequests ? splitInteger(shape.warmupNumRequests, activeWeights) : undefined;
  const connectionShares = splitInteger(shape.connections - active.length, activeWeights).map((extra) => extra + 1);
  const rateShares = splitRate(shape.qps, activeWeights);
  const stageShares = shape.stages.map((stage) => splitRate(stage.qps, activeWeights));
  return active.map((agent, k) => [
    agent.id,
    {
      version: item.version,
      endpoint: item.endpoint,
      ...item.target,
      model:
        shape.loadModel === "open"
          ? { open: { qps: rateShares[k] ?? 0, stages: shape.stages.map((stage, s) => ({ durationMs: stage.durationMs, qps: stageShares[s]?.[k] ?? 0 })) } }
          : { closed: { maxQps: rateShares[k] ?? 0 } },
      numRequests: activeRequests?.[k] ?? 0,
      warmupNumRequests: warmupShares?.[k] ?? 0,
      connections: connectionShares[k] ?? 1,
    },
  ]);
}

/** The shards of a stored plan; agents not registered (yet) get a placeholder AgentInfo. */
export function restoreShards(stored: StoredRun, agents: readonly AgentInfo[]): PlannedShard[] {
  const byId = new Map(agents.map((a) => [a.id, a]));
  return stored.shards.map((s) => ({
    agent: byId.get(s.agentId) ?? { id: s.agentId, capacity: 1, labels: {}, version: "" },
    shardId: s.shardId,
    spec: pb.ShardSpec.toObject(pb.ShardSpec.decode(Buffer.from(s.spec, "base64")), { defaults: false }),
  }));
}
