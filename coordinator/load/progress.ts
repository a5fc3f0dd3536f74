/**
 * What a running load task tells the experiment's observers: a progress event every 250 ms
 * (requests so far, elapsed, expected totals) and, once per report interval and at the end, a
 * snapshot of merged per-version metrics for watchers (not per report: with 1,000 agents a
 * per-report event would cost more than the merge itself).
 */
import type { TaskContext } from "../tasks/types.js";
import type { RunMerger } from "./merger.js";
import type { LoadShape } from "./series.js";
import { SnapshotBuilder } from "./snapshot.js";

const PROGRESS_INTERVAL_MS = 250;

export class RunProgress {
  /** When the run began (before the start barrier): elapsed time is counted from here. */
  readonly startedMs = Date.now();
  private readonly expectedRequests: number | undefined;
  private readonly expectedDurationMs: number | undefined;
  private snapshotAtReports = 0;
  private tickers: NodeJS.Timeout[] = [];
  private readonly snapshots = new SnapshotBuilder(this.startedMs);

  constructor(
    private readonly merger: RunMerger,
    private readonly context: TaskContext,
    shape: LoadShape,
    seriesCount: number,
  ) {
    this.expectedRequests = shape.numRequests === undefined ? undefined : shape.numRequests * seriesCount;
    this.expectedDurationMs = shape.numRequests === undefined ? (shape.durationMs ?? 0) : shape.qps > 0 ? (shape.numRequests / shape.qps) * 1000 : undefined;
  }

  /** Starts the progress and snapshot tickers. */
  start(reportIntervalMs: number): void {
    this.tickers = [setInterval(() => this.emitProgress(), PROGRESS_INTERVAL_MS), setInterval(() => this.emitSnapshot(false), reportIntervalMs)];
    for (const ticker of this.tickers) ticker.unref();
  }

  /**
   * The last progress event, sent once every report is merged: the same counts as the result
   * document's (all versions, all agents, final reports included). `complete` is false when the
   * run was interrupted or lost its link, so a display does not claim 100%.
   */
  final(complete: boolean): void {
    this.emitProgress({ final: true, complete });
  }

  /** Stops the tickers and sends the final snapshot. */
  stop(): void {
    for (const ticker of this.tickers) clearInterval(ticker);
    this.tickers = [];
    this.emitSnapshot(true);
    this.snapshots.close();
  }

  private emitProgress(end?: { final: true; complete: boolean }): void {
    const progress = this.merger.progress();
    this.context.emit({
      type: "progress",
      message: `${progress.requests} requests`,
      data: { ...progress, elapsedMs: Date.now() - this.startedMs, totalRequests: this.expectedRequests, totalMs: this.expectedDurationMs, ...end },
    });
  }

  /** Merged per-version metrics for watchers, when reports were merged since the last one (or `force`). */
  private emitSnapshot(force: boolean): void {
    const reportsMerged = this.merger.progress().reportsMerged;
    if (!force && reportsMerged === this.snapshotAtReports) return;
    this.snapshotAtReports = reportsMerged;
    const data = this.snapshots.next(this.merger, { totalRequests: this.expectedRequests, totalMs: this.expectedDurationMs });
    this.context.emit({ type: "snapshot", message: `${reportsMerged} reports merged`, data });
  }
}
