/**
 * Closed model: `connections` loops, each sending its next request when its last one completed.
 *
 * - Warm-up first (warmupNumRequests of the series, else the shard's warmupDurationMs): sent the
 *   same way, never recorded. Measurement starts once every warm-up request has completed.
 * - numRequests > 0: exactly that many counted requests (a slot claims one from a shared counter
 *   before sending). Otherwise slots stop issuing at the shard's duration after the measurement
 *   start; requests in flight then finish (bounded by the request timeout) and are counted.
 * - maxQps > 0 caps the rate like fortio/Iter8: request i of a phase is not sent before
 *   phaseStart + i/maxQps, shared by the series' connections.
 * - Latency is from the actual send to the end of the response body.
 */
import { performance } from "node:perf_hooks";
import { LoadBase } from "./load.js";
import type { SeriesLoadOptions, SeriesShare } from "./load.js";
import type { Slot } from "./slot.js";

export class ClosedLoad extends LoadBase {
  private phase: "warmup" | "measure" = "warmup";
  private warmupLeft = 0;
  private warmupEndMs = 0;
  private measureTotal = 0;
  private claimed = 0;
  private started = false;
  private slotLimit: number;
  private activeSlots = 0;
  private readonly retired: Slot[] = [];
  private measureEndMs = Number.POSITIVE_INFINITY;
  private phaseStartMs = 0;
  private phaseIndex = 0;
  private waiting = 0;
  private readonly idle: Slot[] = [];
  private gapMs: number;

  constructor(options: SeriesLoadOptions) {
    super(options);
    const maxQps = options.series.model.kind === "closed" ? options.series.model.maxQps : 0;
    this.gapMs = maxQps > 0 ? 1000 / maxQps : 0;
    this.slotLimit = options.series.connections;
    this.measureTotal = options.series.numRequests > 0 ? options.series.numRequests : Number.POSITIVE_INFINITY;
  }

  start(): void {
    const { series, shard } = this.options;
    const now = performance.now();
    this.started = true;
    for (let i = 0; i < series.connections; i++) this.newSlot();
    this.activeSlots = this.slots.length;
    this.phaseStartMs = now;
    if (series.warmupNumRequests > 0) {
      this.warmupLeft = series.warmupNumRequests;
      this.warmupEndMs = Number.POSITIVE_INFINITY;
    } else if (shard.warmupDurationMs > 0) {
      this.warmupLeft = Number.POSITIVE_INFINITY;
      this.warmupEndMs = now + shard.warmupDurationMs;
    } else {
      this.enterMeasure(now);
    }
    this.startSweeper();
    for (const slot of this.slots) this.next(slot);
  }

  stop(): void {
    this.stopped = true;
    for (const slot of this.slots) {
      if (slot.waitTimer) {
        clearTimeout(slot.waitTimer);
        slot.waitTimer = null;
        this.waiting -= 1;
        this.idle.push(slot);
      }
    }
    this.maybeFinish();
  }

  completed(slot: Slot, statusCode: number, bodyBytes: number, error: Error | null): void {
    this.inFlight -= 1;
    this.record(slot, statusCode, bodyBytes, error, false);
    this.next(slot);
  }

  adjust(share: SeriesShare): void {
    if (share.numRequests > 0 && Number.isFinite(this.measureTotal)) this.measureTotal = share.numRequests;
    const gapMs = share.rateQps === null ? this.gapMs : share.rateQps > 0 ? 1000 / share.rateQps : 0;
    if (gapMs !== this.gapMs) {
      this.gapMs = gapMs;
      this.phaseStartMs = performance.now();
      this.phaseIndex = 0;
    }
    if (share.connections > 0) this.slotLimit = share.connections;
    if (!this.started || this.stopped) return;
    const wake = this.idle.splice(0);
    while (this.activeSlots < this.slotLimit) {
      wake.push(this.retired.pop() ?? this.newSlot());
      this.activeSlots += 1;
    }
    for (const slot of wake) this.next(slot);
  }

  /** Measurement starts once no warm-up request is in flight or waiting. */
  private passWarmupBarrier(now: number): void {
    if (this.stopped || this.inFlight > 0 || this.waiting > 0) return;
    this.enterMeasure(now);
    for (const woken of this.idle.splice(0)) this.next(woken);
  }

  private enterMeasure(now: number): void {
    const { series, shard } = this.options;
    this.phase = "measure";
    this.claimed = 0;
    this.phaseStartMs = now;
    this.phaseIndex = 0;
    this.measureEndMs = series.numRequests > 0 ? Number.POSITIVE_INFINITY : now + shard.durationMs;
  }

  private next(slot: Slot): void {
    if (this.stopped) {
      this.idle.push(slot);
      this.maybeFinish();
      return;
    }
    if (this.activeSlots > this.slotLimit) {
      this.activeSlots -= 1;
      this.retired.push(slot);
      if (this.phase === "warmup") this.passWarmupBarrier(performance.now());
      else this.maybeFinish();
      return;
    }
    const now = performance.now();
    if (this.phase === "warmup") {
      if (this.warmupLeft > 0 && now < this.warmupEndMs) {
        this.warmupLeft -= 1;
        this.issue(slot, false, now);
        return;
      }
      this.idle.push(slot);
      this.passWarmupBarrier(now);
      return;
    }
    if (this.claimed < this.measureTotal && now < this.measureEndMs) {
      this.claimed += 1;
      this.issue(slot, true, now);
      return;
    }
    this.idle.push(slot);
    this.maybeFinish();
  }

  private issue(slot: Slot, counted: boolean, now: number): void {
    if (this.gapMs > 0) {
      const dueMs = this.phaseStartMs + this.phaseIndex * this.gapMs;
      this.phaseIndex += 1;
      if (dueMs - now >= 1) {
        this.waiting += 1;
        slot.waitTimer = setTimeout(() => {
          slot.waitTimer = null;
          this.waiting -= 1;
          if (counted && dueMs >= this.measureEndMs) {
            this.idle.push(slot);
            this.maybeFinish();
            return;
          }
          this.inFlight += 1;
          slot.fire(counted);
        }, dueMs - now);
        return;
      }
    }
    this.inFlight += 1;
    slot.fire(counted);
  }

  private maybeFinish(): void {
    if (!this.started) return;
    if ((this.phase === "measure" || this.stopped) && this.inFlight === 0 && this.waiting === 0) this.finish();
  }
}
