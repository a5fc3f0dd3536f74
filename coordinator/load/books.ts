/**
 * A load run's books: the shards planned and added, the merger that holds what they measured, which
 * agents were lost or handed their shards back, which shards were abandoned, and the events the
 * result will show. The start barrier, the redistribution and the results all read and write these
 * books, so they are one object rather than fifteen locals shared by closures.
 */
import { pb } from "../../core/index.js";
import type { LoadEvent, ShardDoneInit } from "../../core/index.js";
import { RunMerger } from "./merger.js";
import type { StoredRun } from "./options.js";
import type { PlannedShard } from "./plan.js";

export class RunBooks {
  readonly merger = new RunMerger();
  /** Every shard of the run: the planned ones first, then those a redistribution added. */
  readonly shards: PlannedShard[];
  /** The shards planned at the start. */
  readonly originalShards: readonly PlannedShard[];
  readonly events: LoadEvent[];
  readonly lostAgents = new Set<string>();
  /** Agents that handed their shards back (draining); they get no share of a redistribution. */
  readonly departed = new Set<string>();
  /** Shards closed by the coordinator with what their merged reports counted. */
  readonly abandoned: Set<string>;
  /** Start times (coordinator clock) of shards started after the run, i.e. redistributed ones. */
  readonly shardStartAtMs = new Map<string, number>();
  /** The coordinator cancelled the run's shards (a cancelled ShardDone is then no hand-back). */
  coordinatorCancelled = false;
  /** Every planned shard was started (or the run was resumed). */
  started: boolean;
  /** The common start time of the planned shards (coordinator clock). */
  startAtMs: number;
  /** Shards created by redistributions so far (they are named `<shard>~r<n>`). */
  redistributions = 0;

  constructor(
    readonly runId: string,
    shards: readonly PlannedShard[],
    stored: StoredRun | undefined,
  ) {
    this.shards = [...shards];
    this.originalShards = [...shards];
    this.events = stored ? [...stored.events] : [];
    this.abandoned = new Set(stored ? stored.shards.filter((s) => s.abandoned).map((s) => s.shardId) : []);
    this.started = stored !== undefined;
    this.startAtMs = stored?.startAtMs ?? 0;
    for (const shard of shards) this.merger.expectShard(shard.agent.id, shard.shardId);
    for (const shard of stored?.shards ?? []) {
      if (!shard.abandoned) continue;
      this.merger.abandonShard(shard.agentId, shard.shardId, shard.abandonedAfterSeq ?? Number.MAX_SAFE_INTEGER);
      this.merger.recordDone(pb.ShardDone.create({ runId, agentId: shard.agentId, shardId: shard.shardId, lastSeq: shard.abandonedAfterSeq ?? 0, outcome: "lost" }));
    }
  }

  /** Records an event for the result (`result.load.events`). */
  event(type: LoadEvent["type"], message: string, agentId?: string): void {
    this.events.push({ time: new Date().toISOString(), type, ...(agentId !== undefined ? { agentId } : {}), message });
  }

  /** Adds shards (a redistribution's) to the run. */
  addShards(shards: readonly PlannedShard[]): void {
    for (const shard of shards) {
      this.merger.expectShard(shard.agent.id, shard.shardId);
      this.shards.push(shard);
    }
  }

  /** Closes a shard with a synthetic ShardDone holding exactly what its merged reports counted. */
  abandon(shard: PlannedShard): void {
    this.abandoned.add(shard.shardId);
    const merged = this.merger.mergedCounts(shard.agent.id, shard.shardId);
    this.merger.abandonShard(shard.agent.id, shard.shardId, merged.maxSeq);
    const done: ShardDoneInit = {
      runId: this.runId,
      agentId: shard.agent.id,
      shardId: shard.shardId,
      lastSeq: merged.maxSeq,
      totals: [...merged.bySeries.values()],
      outcome: "lost",
    };
    this.merger.recordDone(pb.ShardDone.create(done));
  }

  /** Shards still running on agents the coordinator can reach: neither done, lost nor abandoned. */
  runningShards(): PlannedShard[] {
    return this.shards.filter((shard) => !this.merger.doneOf(shard.agent.id, shard.shardId) && !this.lostAgents.has(shard.agent.id) && !this.abandoned.has(shard.shardId));
  }

  /** The agents that ran shards of this run. */
  participants(): Set<string> {
    return new Set(this.shards.map((s) => s.agent.id));
  }

  /** Start skew of the shards planned at the start (redistributed shards start later by design). */
  startSkewMs(): number {
    if (this.redistributions === 0) return this.merger.startSkewMs();
    const starts = this.originalShards
      .map((s) => this.merger.doneOf(s.agent.id, s.shardId))
      .filter((done) => Number(done?.startedAtMs ?? 0) > 0)
      .map((done) => Number(done?.startedAtMs) + Number(done?.clockOffsetMs ?? 0));
    return starts.length < 2 ? 0 : Math.max(...starts) - Math.min(...starts);
  }

  /** The plan as stored for a coordinator restart. */
  stored(status: StoredRun["status"]): StoredRun {
    return {
      runId: this.runId,
      startAtMs: this.startAtMs,
      status,
      shards: this.shards.map((s) => ({
        agentId: s.agent.id,
        shardId: s.shardId,
        spec: Buffer.from(pb.ShardSpec.encode(s.spec).finish()).toString("base64"),
        ...(this.abandoned.has(s.shardId) ? { abandoned: true, abandonedAfterSeq: this.merger.mergedCounts(s.agent.id, s.shardId).maxSeq } : {}),
      })),
      events: this.events,
    };
  }
}
