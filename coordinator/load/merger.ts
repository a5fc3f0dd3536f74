/**
 * Merges agents' interval reports into per-series aggregates: counters are added, histograms are
 * added bucket by bucket (exact HDR addition; percentiles are read from the merged histogram, never
 * averaged). Reports are idempotent by (agent, shard, seq); a late report is folded in like any
 * other. At the end, conservation is checked per shard: the sum of its interval counts must equal
 * the totals in its ShardDone.
 */
import { addEncoded, createHistogram } from "../../core/index.js";
import type { Histogram, IntervalReport, SeriesStatsInit, ShardDone } from "../../core/index.js";

const MAX_ERROR_MESSAGES = 20;

/** Counters that must be conserved between interval reports and shard totals. */
const CONSERVED = ["requests", "errors", "dropped", "connectionErrors", "timeouts", "bytesReceived", "bytesSent"] as const;
type Conserved = (typeof CONSERVED)[number];
type Counts = Record<Conserved, number>;

function zeroCounts(): Counts {
  return { requests: 0, errors: 0, dropped: 0, connectionErrors: 0, timeouts: 0, bytesReceived: 0, bytesSent: 0 };
}

export function seriesKey(version: string, endpoint: string): string {
  return `${version}\u0000${endpoint}`;
}

/** What mergeReport did with a report. */
export type MergeOutcome =
  | "merged"
  /** Already merged (a redelivery): merged once only. */
  | "duplicate"
  /** Its shard was abandoned before this report and its share re-run elsewhere: not merged. */
  | "after-abandon";

/** What the merged reports of one shard counted: its highest merged seq and per-series counters. */
export interface MergedShardCounts {
  readonly maxSeq: number;
  /** seriesKey -> counters, as SeriesStats (version and endpoint set). */
  readonly bySeries: ReadonlyMap<string, SeriesStatsInit>;
}

/** Everything merged for one series (a version, or one endpoint of a version). */
export class SeriesAggregate {
  readonly counts: Counts = zeroCounts();
  readonly statusClasses = [0, 0, 0, 0, 0];
  readonly statusCodes = new Map<number, number>();
  readonly errorMessages = new Map<string, number>();
  latencySumUs = 0;
  latencySumSqUs = 0;
  latencyMinUs = Number.POSITIVE_INFINITY;
  latencyMaxUs = 0;
  readonly latency: Histogram = createHistogram();
  serviceTime: Histogram | undefined;
  scheduleLag: Histogram | undefined;

  constructor(
    readonly version: string,
    readonly endpoint: string,
  ) {}

  add(stats: SeriesStatsInit): void {
    for (const name of CONSERVED) this.counts[name] += Number(stats[name] ?? 0);
    (stats.statusClasses ?? []).forEach((count, index) => {
      if (index < this.statusClasses.length) this.statusClasses[index] = (this.statusClasses[index] ?? 0) + Number(count);
    });
    for (const [code, count] of Object.entries(stats.statusCodes ?? {})) {
      this.statusCodes.set(Number(code), (this.statusCodes.get(Number(code)) ?? 0) + Number(count));
    }
    for (const [message, count] of Object.entries(stats.errorMessages ?? {})) {
      const key = this.errorMessages.has(message) || this.errorMessages.size < MAX_ERROR_MESSAGES ? message : "other";
      this.errorMessages.set(key, (this.errorMessages.get(key) ?? 0) + Number(count));
    }
    if (Number(stats.requests ?? 0) > 0) {
      this.latencySumUs += stats.latencySumUs ?? 0;
      this.latencySumSqUs += stats.latencySumSqUs ?? 0;
      this.latencyMinUs = Math.min(this.latencyMinUs, Number(stats.latencyMinUs));
      this.latencyMaxUs = Math.max(this.latencyMaxUs, Number(stats.latencyMaxUs));
    }
    if (stats.latencyHistogram) addEncoded(this.latency, stats.latencyHistogram);
    if (stats.serviceTimeHistogram && stats.serviceTimeHistogram.length > 0) {
      this.serviceTime ??= createHistogram();
      addEncoded(this.serviceTime, stats.serviceTimeHistogram);
    }
    if (stats.scheduleLagHistogram && stats.scheduleLagHistogram.length > 0) {
      this.scheduleLag ??= createHistogram();
      addEncoded(this.scheduleLag, stats.scheduleLagHistogram);
    }
  }
}

interface ShardLedger {
  readonly agentId: string;
  readonly shardId: string;
  readonly seqs: Set<number>;
  /** Sum of interval counts per series, for the conservation check. */
  readonly intervalCounts: Map<string, Counts>;
  done: ShardDone | undefined;
  /**
   * Set when the coordinator gave up on the shard (its agent was declared lost) and handed the
   * rest to other agents: reports after this seq are not merged, since that share was re-run.
   */
  abandonedAfterSeq: number | undefined;
  /** Requests in reports ignored because they came after the shard was abandoned. */
  ignoredRequests: number;
  /** Highest seq merged (reports ignored after abandonment excluded). */
  maxMergedSeq: number;
  firstIntervalStartMs: number;
  lastIntervalEndMs: number;
  /** When its last report was merged (coordinator clock); 0 before any. */
  lastMergedAtMs: number;
}

export interface ConservationCheck {
  ok: boolean;
  mismatches: string[];
}

/** Live progress of a run, for progress bars and watchers. */
export interface MergeProgress {
  requests: number;
  errors: number;
  dropped: number;
  reportsMerged: number;
}

/** One agent's share of a run, for watchers. */
export interface AgentShare {
  agentId: string;
  shards: number;
  shardsDone: number;
  requests: number;
  reportsMerged: number;
  /** When its last report was merged (epoch ms); 0 before any. */
  lastReportMs: number;
}

export class RunMerger {
  readonly series = new Map<string, SeriesAggregate>();
  /** Measured span per series, coordinator clock (from ShardDone totals). */
  private readonly spans = new Map<string, { fromMs: number; untilMs: number }>();
  private readonly shards = new Map<string, ShardLedger>();
  private reportsMerged = 0;
  private duplicates = 0;

  /** Registers a shard before its reports arrive (so a shard that never reports is noticed). */
  expectShard(agentId: string, shardId: string): void {
    this.ledger(agentId, shardId);
  }

  /**
   * Marks a shard as given up: its share after `lastSeq` was handed to other agents, so later
   * reports of it are ignored (counted in `ignoredAfterAbandon`) and its own ShardDone, if it ever
   * comes, does not replace the stand-in the coordinator recorded.
   */
  abandonShard(agentId: string, shardId: string, lastSeq: number): void {
    this.ledger(agentId, shardId).abandonedAfterSeq = lastSeq;
  }

  /** What the merged reports of a shard counted (the basis for handing its remainder on). */
  mergedCounts(agentId: string, shardId: string): MergedShardCounts {
    const ledger = this.shards.get(`${agentId}/${shardId}`);
    const bySeries = new Map<string, SeriesStatsInit>();
    for (const [key, counts] of ledger?.intervalCounts ?? []) {
      const [version = "", endpoint = ""] = key.split("\u0000");
      bySeries.set(key, { version, endpoint, ...counts });
    }
    return { maxSeq: ledger?.maxMergedSeq ?? 0, bySeries };
  }

  /** Requests reported by abandoned shards after they were given up (not merged). */
  ignoredAfterAbandon(): { agentId: string; shardId: string; requests: number }[] {
    return [...this.shards.values()]
      .filter((l) => l.ignoredRequests > 0)
      .map((l) => ({ agentId: l.agentId, shardId: l.shardId, requests: l.ignoredRequests }));
  }

  /** Merges one interval report, idempotently by (agent, shard, seq). */
  mergeReport(report: IntervalReport): MergeOutcome {
    const ledger = this.ledger(report.agentId, report.shardId);
    const seq = Number(report.seq);
    if (ledger.abandonedAfterSeq !== undefined && seq > ledger.abandonedAfterSeq) {
      if (!ledger.seqs.has(seq)) {
        ledger.seqs.add(seq);
        for (const stats of report.series) ledger.ignoredRequests += Number(stats.requests ?? 0);
      }
      return "after-abandon";
    }
    if (ledger.seqs.has(seq)) {
      this.duplicates++;
      return "duplicate";
    }
    ledger.seqs.add(seq);
    ledger.maxMergedSeq = Math.max(ledger.maxMergedSeq, seq);
    ledger.firstIntervalStartMs = Math.min(ledger.firstIntervalStartMs, Number(report.intervalStartMs));
    ledger.lastIntervalEndMs = Math.max(ledger.lastIntervalEndMs, Number(report.intervalEndMs));
    ledger.lastMergedAtMs = Date.now();
    for (const stats of report.series) {
      const version = stats.version ?? "";
      const endpoint = stats.endpoint ?? "";
      const key = seriesKey(version, endpoint);
      let aggregate = this.series.get(key);
      if (!aggregate) {
        aggregate = new SeriesAggregate(version, endpoint);
        this.series.set(key, aggregate);
      }
      aggregate.add(stats);
      const counts = ledger.intervalCounts.get(key) ?? zeroCounts();
      for (const name of CONSERVED) counts[name] += Number(stats[name] ?? 0);
      ledger.intervalCounts.set(key, counts);
    }
    this.reportsMerged++;
    return "merged";
  }

  recordDone(done: ShardDone): void {
    const ledger = this.ledger(done.agentId, done.shardId);
    // An abandoned shard keeps the coordinator's stand-in: its agent's own totals include work
    // that was re-run elsewhere.
    if (ledger.abandonedAfterSeq !== undefined && ledger.done) return;
    ledger.done = done;
    const offsetMs = Number(done.clockOffsetMs ?? 0);
    for (const totals of done.totals) {
      const from = Number(totals.measuredFromMs ?? 0);
      const until = Number(totals.measuredUntilMs ?? 0);
      if (from <= 0 || until <= 0) continue;
      const key = seriesKey(totals.version ?? "", totals.endpoint ?? "");
      const span = this.spans.get(key) ?? { fromMs: Number.POSITIVE_INFINITY, untilMs: 0 };
      span.fromMs = Math.min(span.fromMs, from + offsetMs);
      span.untilMs = Math.max(span.untilMs, until + offsetMs);
      this.spans.set(key, span);
    }
  }

  /**
   * How long a series was measured, on the coordinator's clock: from its first counted send on any
   * agent to its last counted response on any agent (warm-up excluded). The throughput divisor.
   */
  measuredSpanMs(version: string, endpoint: string): number | undefined {
    const span = this.spans.get(seriesKey(version, endpoint));
    return span && span.untilMs > span.fromMs ? span.untilMs - span.fromMs : undefined;
  }

  /** True when every expected shard is done and every one of its reports has been merged. */
  isComplete(): boolean {
    for (const ledger of this.shards.values()) {
      if (!ledger.done) return false;
      if (ledger.abandonedAfterSeq === undefined && ledger.seqs.size < Number(ledger.done.lastSeq)) return false;
    }
    return true;
  }

  /** Shards still running (no ShardDone yet). */
  pendingShards(): { agentId: string; shardId: string }[] {
    return [...this.shards.values()].filter((l) => !l.done).map(({ agentId, shardId }) => ({ agentId, shardId }));
  }

  doneOf(agentId: string, shardId: string): ShardDone | undefined {
    return this.shards.get(`${agentId}/${shardId}`)?.done;
  }

  progress(): MergeProgress {
    let requests = 0;
    let errors = 0;
    let dropped = 0;
    for (const aggregate of this.series.values()) {
      requests += aggregate.counts.requests;
      errors += aggregate.counts.errors;
      dropped += aggregate.counts.dropped;
    }
    return { requests, errors, dropped, reportsMerged: this.reportsMerged };
  }

  /** Per agent: its shards, how many are done, and what its merged reports counted. */
  agentShares(): AgentShare[] {
    const byAgent = new Map<string, AgentShare>();
    for (const ledger of this.shards.values()) {
      let share = byAgent.get(ledger.agentId);
      if (!share) {
        share = { agentId: ledger.agentId, shards: 0, shardsDone: 0, requests: 0, reportsMerged: 0, lastReportMs: 0 };
        byAgent.set(ledger.agentId, share);
      }
      share.shards++;
      if (ledger.done) share.shardsDone++;
      for (const counts of ledger.intervalCounts.values()) share.requests += counts.requests;
      share.reportsMerged += ledger.seqs.size;
      share.lastReportMs = Math.max(share.lastReportMs, ledger.lastMergedAtMs);
    }
    return [...byAgent.values()].sort((a, b) => a.agentId.localeCompare(b.agentId));
  }

  get duplicateReports(): number {
    return this.duplicates;
  }

  /** Earliest start and latest end across shards, on the coordinator's clock. */
  timeSpan(): { startMs: number; endMs: number } | undefined {
    let startMs = Number.POSITIVE_INFINITY;
    let endMs = 0;
    for (const ledger of this.shards.values()) {
      const done = ledger.done;
      const offsetMs = Number(done?.clockOffsetMs ?? 0);
      const start = done && Number(done.startedAtMs) > 0 ? Number(done.startedAtMs) + offsetMs : ledger.firstIntervalStartMs;
      const end = done && Number(done.finishedAtMs) > 0 ? Number(done.finishedAtMs) + offsetMs : ledger.lastIntervalEndMs;
      startMs = Math.min(startMs, start);
      endMs = Math.max(endMs, end);
    }
    return Number.isFinite(startMs) && endMs >= startMs ? { startMs, endMs } : undefined;
  }

  /** Largest difference between shards' actual start times, on the coordinator's clock (ms). */
  startSkewMs(): number {
    const starts = [...this.shards.values()]
      .filter((l) => Number(l.done?.startedAtMs ?? 0) > 0)
      .map((l) => Number(l.done?.startedAtMs) + Number(l.done?.clockOffsetMs ?? 0));
    return starts.length < 2 ? 0 : Math.max(...starts) - Math.min(...starts);
  }

  /**
   * Per shard: interval counts versus ShardDone totals, and every report 1..lastSeq present.
   * Then: merged series totals versus the sum of shard totals. Any difference is reported.
   */
  checkConservation(): ConservationCheck {
    const mismatches: string[] = [];
    const shardTotals = new Map<string, Counts>();
    for (const ledger of this.shards.values()) {
      const name = `agent ${ledger.agentId} shard ${ledger.shardId}`;
      const done = ledger.done;
      if (!done) {
        mismatches.push(`${name}: no ShardDone received`);
        continue;
      }
      const lastSeq = Number(done.lastSeq);
      // An abandoned shard's stand-in holds exactly what was merged before it was given up.
      if (ledger.abandonedAfterSeq === undefined) {
        for (let seq = 1; seq <= lastSeq; seq++) {
          if (!ledger.seqs.has(seq)) mismatches.push(`${name}: interval report ${seq} of ${lastSeq} missing`);
        }
      }
      if (ledger.abandonedAfterSeq !== undefined && done.totals.length === 0) {
        // A stand-in restored after a coordinator restart carries no totals: what was merged is its total.
        for (const [key, counts] of ledger.intervalCounts) {
          const sum = shardTotals.get(key) ?? zeroCounts();
          for (const counter of CONSERVED) sum[counter] += counts[counter];
          shardTotals.set(key, sum);
        }
      }
      for (const totals of done.totals) {
        const key = seriesKey(totals.version ?? "", totals.endpoint ?? "");
        const intervals = ledger.intervalCounts.get(key) ?? zeroCounts();
        const sum = shardTotals.get(key) ?? zeroCounts();
        for (const counter of CONSERVED) {
          const total = Number(totals[counter] ?? 0);
          sum[counter] += total;
          if (intervals[counter] !== total) {
            mismatches.push(
              `${name} ${totals.version ?? ""}${totals.endpoint ? `/${totals.endpoint}` : ""}: ${counter} intervals sum to ${intervals[counter]}, shard total is ${total}`,
            );
          }
        }
        shardTotals.set(key, sum);
      }
    }
    for (const [key, aggregate] of this.series) {
      const expected = shardTotals.get(key);
      if (!expected) continue;
      for (const counter of CONSERVED) {
        if (aggregate.counts[counter] !== expected[counter]) {
          mismatches.push(
            `${aggregate.version}${aggregate.endpoint ? `/${aggregate.endpoint}` : ""}: merged ${counter} ${aggregate.counts[counter]} differs from the sum of shard totals ${expected[counter]}`,
          );
        }
      }
    }
    return { ok: mismatches.length === 0, mismatches };
  }

  private ledger(agentId: string, shardId: string): ShardLedger {
    const key = `${agentId}/${shardId}`;
    let ledger = this.shards.get(key);
    if (!ledger) {
      ledger = {
        agentId,
        shardId,
        seqs: new Set(),
        intervalCounts: new Map(),
        done: undefined,
        abandonedAfterSeq: undefined,
        ignoredRequests: 0,
        maxMergedSeq: 0,
        firstIntervalStartMs: Number.POSITIVE_INFINITY,
        lastIntervalEndMs: 0,
        lastMergedAtMs: 0,
      };
      this.shards.set(key, ledger);
    }
    return ledger;
  }
}
