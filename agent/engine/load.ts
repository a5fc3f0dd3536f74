/**
 * What the two load models share: slots over one HttpClient, the request-timeout sweeper, recording
 * a finished request, and the stop / abandon / finished lifecycle.
 */
import { performance } from "node:perf_hooks";
import type { HttpClient } from "./client.js";
import { RequestTimeoutError } from "./client.js";
import { isErrorStatus } from "./plan.js";
import type { SeriesPlan, ShardPlan } from "./plan.js";
import type { SeriesRecorder } from "./recorder.js";
import { Slot } from "./slot.js";
import type { SlotOwner } from "./slot.js";

/** One series' load, as the shard runner drives it. */
export interface SeriesLoadRunner {
  /** Starts sending now. */
  start(): void;
  /** Stops issuing requests; requests in flight finish (bounded by the timeout) and are counted. */
  stop(): void;
  /** Stops, and aborts the requests in flight without counting them. Resolves when all ended. */
  abandon(): Promise<void>;
  /** Resolves when the series sent everything it will send and nothing is in flight. */
  readonly finished: Promise<void>;
  /** Requests in flight now. */
  readonly inFlight: number;
  /** Replaces the series' share while it runs (after another agent was lost). */
  adjust(share: SeriesShare): void;
}

/**
 * A new share of a running series (Adjust). `numRequests` is the new total for this shard's series,
 * requests already sent included (so a repeated Adjust is harmless); 0 leaves the count unchanged.
 * `connections` 0 leaves them unchanged. `rateQps` null leaves the rate unchanged; otherwise, open
 * model: the new constant rate from now on (> 0); closed model: the new max qps (0 = uncapped).
 */
export interface SeriesShare {
  readonly numRequests: number;
  readonly connections: number;
  readonly rateQps: number | null;
}

export interface SeriesLoadOptions {
  readonly series: SeriesPlan;
  readonly shard: ShardPlan;
  readonly client: HttpClient;
  readonly recorder: SeriesRecorder;
}

export abstract class LoadBase implements SlotOwner, SeriesLoadRunner {
  readonly finished: Promise<void>;
  inFlight = 0;
  protected stopped = false;
  protected abandoned = false;
  protected readonly slots: Slot[] = [];
  private resolveFinished!: () => void;
  private done = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly timeoutError: RequestTimeoutError;

  protected constructor(protected readonly options: SeriesLoadOptions) {
    this.finished = new Promise<void>((resolve) => {
      this.resolveFinished = resolve;
    });
    this.timeoutError = new RequestTimeoutError(options.shard.requestTimeoutMs);
  }

  abstract start(): void;
  abstract stop(): void;
  abstract adjust(share: SeriesShare): void;
  abstract completed(slot: Slot, statusCode: number, bodyBytes: number, error: Error | null): void;

  async abandon(): Promise<void> {
    this.abandoned = true;
    this.stop();
    if (this.inFlight > 0) await this.options.client.destroy();
    await this.finished;
  }

  protected newSlot(): Slot {
    const slot = new Slot(this.options.client, this);
    this.slots.push(slot);
    return slot;
  }

  protected startSweeper(): void {
    const timeoutMs = this.options.shard.requestTimeoutMs;
    const periodMs = Math.min(250, Math.max(10, Math.floor(timeoutMs / 10)));
    this.sweepTimer = setInterval(() => {
      const now = performance.now();
      for (const slot of this.slots) {
        if (slot.busy && now - slot.sentAtMs >= timeoutMs) slot.abortForTimeout(this.timeoutError);
      }
    }, periodMs);
    // A background check: the requests in flight keep the process alive, not the sweeper.
    this.sweepTimer.unref();
  }

  /** A counted request is sent again on a fresh connection: counted as a retry, not an error. */
  retried(slot: Slot, reason: Error): void {
    if (slot.counted && !this.abandoned) this.options.recorder.retry(reason);
  }

  /** Records a finished counted request (closed model latency: from the actual send). */
  protected record(slot: Slot, statusCode: number, bodyBytes: number, error: Error | null, fromIntended: boolean): void {
    if (!slot.counted || this.abandoned) return;
    const { recorder, series, shard } = this.options;
    const latencyUs = ((fromIntended ? slot.endedAtMs - slot.intendedAtMs : slot.endedAtMs - slot.sentAtMs) * 1000);
    if (error) recorder.failure(error, series.request.bodyBytes, latencyUs);
    else recorder.response(statusCode, bodyBytes, series.request.bodyBytes, isErrorStatus(shard.errorRanges, statusCode), latencyUs);
    if (fromIntended) recorder.openTimes((slot.endedAtMs - slot.sentAtMs) * 1000, (slot.sentAtMs - slot.intendedAtMs) * 1000);
    recorder.span(fromIntended ? slot.intendedAtMs : slot.sentAtMs, slot.endedAtMs);
  }

  protected finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.resolveFinished();
  }
}
