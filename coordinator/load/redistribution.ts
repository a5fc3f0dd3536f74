/**
 * Redistribution: when an agent is lost mid-run (or drains and hands its shard back), the part of
 * its shards it did not do goes to the surviving agents of the run as new shards. numRequests
 * series: exactly the requests its merged reports did not count; duration series: its rate and
 * connections for the time left. Totals stay exact because the lost shard is closed with what its
 * merged reports counted, and reports it sends later are not counted (the merger tallies them).
 */
import type { AgentInfo, AgentLink, Logger, SeriesLoadInit, SeriesStatsInit, ShardSpecInit } from "../../core/index.js";
import type { RunBooks } from "./books.js";
import { seriesKey } from "./merger.js";
import type { PlannedShard } from "./plan.js";
import type { SeriesTarget } from "./series.js";
import { splitInteger, splitRate } from "./sharding.js";
import type { ShardControl } from "./start.js";

/** What a redistribution needs from the run beyond its books. */
export interface RedistributionHooks {
  /** Stores the plan (it gained shards). */
  save(): Promise<void>;
  /** Wakes the run's wait for completion (a redistribution settled). */
  notify(): void;
}

/** Hands the unfinished share of lost or departed agents to the surviving agents of the run. */
export class Redistribution {
  private readonly background = new Set<Promise<void>>();

  constructor(
    private readonly books: RunBooks,
    private readonly shardControl: ShardControl,
    private readonly link: AgentLink,
    private readonly log: Logger,
    private readonly hooks: RedistributionHooks,
  ) {}

  /** An agent of this run is gone: record it, close its shards with what was merged, hand on the rest. */
  onLost(agentId: string, reason: string): void {
    const books = this.books;
    if (!books.shards.some((s) => s.agent.id === agentId) || books.lostAgents.has(agentId)) return;
    books.lostAgents.add(agentId);
    books.event("agent-lost", reason, agentId);
    this.log.warn({ agentId, reason }, "agent lost during run");
    if (!books.started) return;
    // Best effort: if the agent is only cut off, stop its shards (its dead-man switch would too).
    const orphans = books.shards.filter((s) => s.agent.id === agentId && !books.merger.doneOf(agentId, s.shardId) && !books.abandoned.has(s.shardId));
    for (const shard of orphans) {
      void this.shardControl.cancel(shard, "declared lost", 1000).catch(() => undefined);
      books.abandon(shard);
    }
    if (orphans.length > 0) this.track(this.redistribute(orphans));
  }

  /**
   * An agent stopped a shard the coordinator did not cancel (it is draining on SIGTERM): its final
   * report and ShardDone hold exactly what it did, and the rest goes to the other agents, like a
   * lost agent's share, so the totals stay exact.
   */
  onHandedBack(agentId: string, shardId: string, reason: string): void {
    const books = this.books;
    const shard = books.shards.find((s) => s.agent.id === agentId && s.shardId === shardId);
    if (!shard || !books.started) return;
    books.departed.add(agentId);
    books.event("agent-drained", `agent handed back shard ${shardId}${reason ? ` (${reason})` : ""}`, agentId);
    this.log.info({ agentId, shardId }, "agent handed back its shard");
    this.track(this.redistribute([shard]));
  }

  /** Resolves once every redistribution started so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.log.error({ err: error }, "redistribution failed"))
      .finally(() => {
        this.background.delete(tracked);
        this.hooks.notify();
      });
    this.background.add(tracked);
  }

  /** Gives the unfinished part of `lost` shards to the surviving agents of this run, as new shards. */
  private async redistribute(lost: readonly PlannedShard[]): Promise<void> {
    const books = this.books;
    const alive = new Set(this.link.agents().map((a) => a.id));
    const survivors = [
      ...new Map(books.shards.filter((s) => !books.lostAgents.has(s.agent.id) && !books.departed.has(s.agent.id) && alive.has(s.agent.id)).map((s) => [s.agent.id, s.agent])).values(),
    ];
    if (survivors.length === 0) {
      books.event("degraded", "no surviving agent to take over the lost share");
      return;
    }
    const nowMs = Date.now();
    const fresh: PlannedShard[] = [];
    for (const shard of lost) {
      const counted = books.merger.mergedCounts(shard.agent.id, shard.shardId).bySeries;
      // A shard that itself took over a share started later than the run: its own start counts.
      const parts = remainderShards(shard.spec, counted, survivors, { startAtMs: books.shardStartAtMs.get(shard.shardId) ?? books.startAtMs, nowMs });
      parts.forEach((part) => {
        books.redistributions++;
        fresh.push({ agent: part.agent, shardId: `${shard.shardId}~r${books.redistributions}`, spec: part.spec });
      });
      const what = parts.length === 0 ? "nothing left to redistribute" : `${describeRemainder(shard.spec, counted, nowMs - books.startAtMs)} moved to ${parts.map((p) => p.agent.id).join(", ")}`;
      books.event("redistributed", `shard ${shard.shardId}: ${what}`, shard.agent.id);
    }
    books.addShards(fresh);
    if (fresh.length === 0) return;
    await this.hooks.save();
    await Promise.all(fresh.map((shard) => this.launch(shard)));
    this.log.info({ shards: fresh.map((s) => s.shardId) }, "lost share redistributed");
  }

  /** Assigns and starts one redistributed shard; a shard no survivor takes is abandoned and said so. */
  private async launch(shard: PlannedShard): Promise<void> {
    try {
      await this.shardControl.assign(shard);
      const shardStartMs = this.shardControl.nextStartAtMs();
      this.books.shardStartAtMs.set(shard.shardId, shardStartMs);
      await this.shardControl.start(shard, shardStartMs);
    } catch (error) {
      if (this.books.lostAgents.has(shard.agent.id)) return;
      this.books.abandon(shard);
      const message = `agent ${shard.agent.id} did not take over shard ${shard.shardId} (${error instanceof Error ? error.message : String(error)}); its share is missing from the result`;
      this.books.event("degraded", message, shard.agent.id);
      this.log.error({ err: error, agentId: shard.agent.id }, "redistributed shard could not start");
    }
  }
}

type Counted = ReadonlyMap<string, SeriesStatsInit> | undefined;

/** Sends (requests + dropped, as the engine counts numRequests) a shard's merged reports counted for one series. */
function sentOf(counted: Counted, load: SeriesLoadInit): number {
  const stats = counted?.get(seriesKey(load.version ?? "", load.endpoint ?? ""));
  return Number(stats?.requests ?? 0) + Number(stats?.dropped ?? 0);
}

/**
 * The unfinished part of a lost shard, split over `survivors` by capacity. numRequests series: the
 * requests its merged reports did not count, split exactly. Duration series: the lost rate and
 * connections for the time left (`startAtMs` + warm-up + duration − now); ramps keep the stages
 * still to come.
 */
export function remainderShards(
  spec: ShardSpecInit,
  counted: Counted,
  survivors: readonly AgentInfo[],
  timing: { readonly startAtMs: number; readonly nowMs: number },
): { agent: AgentInfo; spec: ShardSpecInit }[] {
  const weights = survivors.map((a) => Math.max(1, a.capacity));
  const perAgent = survivors.map((): SeriesLoadInit[] => []);
  const durationMs = Number(spec.durationMs ?? 0);
  // Measurement began after the warm-up: a duration, or a request count at the series' rate.
  const warmupMs = Math.max(
    Number(spec.warmupDurationMs ?? 0),
    ...(spec.series ?? []).map((load) => {
      const count = Number(load.warmupNumRequests ?? 0);
      const rate = modelRate(load) || Number(load.model?.open?.stages?.[0]?.qps ?? 0);
      return count > 0 && rate > 0 ? (count / rate) * 1000 : 0;
    }),
  );
  const elapsedMs = timing.nowMs - timing.startAtMs - warmupMs;
  const remainingMs = durationMs > 0 ? Math.max(0, durationMs - Math.max(0, elapsedMs)) : 0;
  for (const load of spec.series ?? []) {
    const total = Number(load.numRequests ?? 0);
    const base = { version: load.version ?? "", endpoint: load.endpoint ?? "", ...targetOf(load), warmupNumRequests: 0 };
    const connections = Math.max(1, Number(load.connections ?? 1));
    if (total > 0) {
      const remaining = Math.max(0, total - sentOf(counted, load));
      if (remaining === 0) continue;
      const shares = splitInteger(remaining, weights);
      const connectionShares = splitInteger(connections, weights);
      const rateShares = splitRate(modelRate(load), weights);
      shares.forEach((share, k) => {
        if (share > 0) perAgent[k]?.push({ ...base, model: scaledModel(load, rateShares[k] ?? 0, weights, k, 0), numRequests: share, connections: Math.max(1, connectionShares[k] ?? 1) });
      });
    } else {
      if (remainingMs < 100) continue;
      const connectionShares = splitInteger(connections, weights);
      const rateShares = splitRate(modelRate(load), weights);
      survivors.forEach((_, k) => {
        perAgent[k]?.push({ ...base, model: scaledModel(load, rateShares[k] ?? 0, weights, k, Math.max(0, elapsedMs)), numRequests: 0, connections: Math.max(1, connectionShares[k] ?? 1) });
      });
    }
  }
  return survivors.flatMap((agent, k) => {
    const series = perAgent[k] ?? [];
    if (series.length === 0) return [];
    return [{ agent, spec: { ...spec, series, durationMs: remainingMs, warmupDurationMs: 0 } }];
  });
}

/** The series' target (what one request is, whatever the protocol): every field but the shares. */
function targetOf(load: SeriesLoadInit): SeriesTarget {
  const { version: _version, endpoint: _endpoint, model: _model, numRequests: _numRequests, warmupNumRequests: _warmup, connections: _connections, ...target } = load;
  return target;
}

function modelRate(load: SeriesLoadInit): number {
  return Number(load.model?.open?.qps ?? load.model?.closed?.maxQps ?? 0);
}

/** The lost series' model with its rate (and ramp stages still to come) scaled to one survivor's share. */
function scaledModel(load: SeriesLoadInit, rateQps: number, weights: readonly number[], k: number, elapsedMs: number): NonNullable<SeriesLoadInit["model"]> {
  const open = load.model?.open;
  if (!open) return { closed: { maxQps: rateQps } };
  const stages = open.stages ?? [];
  const remaining: { durationMs: number; qps: number }[] = [];
  let offsetMs = 0;
  let previousQps = 0;
  for (const stage of stages) {
    const stageMs = Number(stage.durationMs ?? 0);
    const endMs = offsetMs + stageMs;
    const qps = splitRate(Number(stage.qps ?? 0), weights)[k] ?? 0;
    if (endMs > elapsedMs) {
      if (remaining.length === 0 && elapsedMs > offsetMs && stageMs > 0) {
        // The engine ramps a first stage up from 0: start the remainder with a zero-length step to
        // the rate this stage had reached, so the ramp goes on from where it was.
        const reachedQps = previousQps + ((qps - previousQps) * (elapsedMs - offsetMs)) / stageMs;
        remaining.push({ durationMs: 0, qps: reachedQps });
      }
      remaining.push({ durationMs: endMs - Math.max(offsetMs, elapsedMs), qps });
    }
    previousQps = qps;
    offsetMs = endMs;
  }
  return { open: { qps: rateQps, stages: remaining } };
}

function describeRemainder(spec: ShardSpecInit, counted: Counted, elapsedMs: number): string {
  const parts = (spec.series ?? []).map((load) => {
    const name = `${load.version ?? ""}${load.endpoint ? `/${load.endpoint}` : ""}`;
    const total = Number(load.numRequests ?? 0);
    if (total > 0) return `${name}: ${Math.max(0, total - sentOf(counted, load))} of ${total} requests`;
    return `${name}: ${modelRate(load).toFixed(2)} qps for the remaining ${Math.max(0, Number(spec.durationMs ?? 0) - elapsedMs)} ms`;
  });
  return parts.join("; ");
}
