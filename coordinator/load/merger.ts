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
  firstIntervalStartMs: number;
  lastIntervalEndMs: number;
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

export class RunMerger {
  readonly series = new Map<string, SeriesAggregate>();
  private readonly shards = new Map<string, ShardLedger>();
  private reportsMerged = 0;
  private duplicates = 0;

  /** Registers a shard before its reports arrive (so a shard that never reports is noticed). */
  expectShard(agentId: string, shardId: string): void {
    this.ledger(agentId, shardId);
  }

  /** Merges one interval report; returns false when it was a duplicate (already merged). */
  mergeReport(report: IntervalReport): boolean {
    const ledger = this.ledger(report.agentId, report.shardId);
    const seq = Number(report.seq);
    if (ledger.seqs.has(seq)) {
      this.duplicates++;
      return false;
    }
    ledger.seqs.add(seq);
    ledger.firstIntervalStartMs = Math.min(ledger.firstIntervalStartMs, Number(report.intervalStartMs));
    ledger.lastIntervalEndMs = Math.max(ledger.lastIntervalEndMs, Number(report.intervalEndMs));
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
    return true;
  }

  recordDone(done: ShardDone): void {
    this.ledger(done.agentId, done.shardId).done = done;
  }

  /** True when every expected shard is done and every one of its reports has been merged. */
  isComplete(): boolean {
    for (const ledger of this.shards.values()) {
      if (!ledger.done) return false;
      if (ledger.seqs.size < Number(ledger.done.lastSeq)) return false;
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

  get duplicateReports(): number {
    return this.duplicates;
  }

  /** Earliest interval start and latest interval end across agents (agent clocks). */
  timeSpan(): { startMs: number; endMs: number } | undefined {
    let startMs = Number.POSITIVE_INFINITY;
    let endMs = 0;
    for (const ledger of this.shards.values()) {
      const done = ledger.done;
      const start = done && Number(done.startedAtMs) > 0 ? Number(done.startedAtMs) : ledger.firstIntervalStartMs;
      const end = done && Number(done.finishedAtMs) > 0 ? Number(done.finishedAtMs) : ledger.lastIntervalEndMs;
      startMs = Math.min(startMs, start);
      endMs = Math.max(endMs, end);
    }
    return Number.isFinite(startMs) && endMs >= startMs ? { startMs, endMs } : undefined;
  }

  /** Largest difference between shards' actual start times (ms). */
  startSkewMs(): number {
    const starts = [...this.shards.values()]
      .map((l) => Number(l.done?.startedAtMs ?? 0))
      .filter((t) => t > 0);
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
      for (let seq = 1; seq <= lastSeq; seq++) {
        if (!ledger.seqs.has(seq)) mismatches.push(`${name}: interval report ${seq} of ${lastSeq} missing`);
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
        firstIntervalStartMs: Number.POSITIVE_INFINITY,
        lastIntervalEndMs: 0,
      };
      this.shards.set(key, ledger);
    }
    return ledger;
  }
}
