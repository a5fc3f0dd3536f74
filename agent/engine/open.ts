/**
 * Open model: requests are sent at intended times (a constant qps, or linear stages), whatever the
 * target's speed, and measured from those times (coordinated-omission corrected).
 *
 * - A timer loop computes intended times from the phase start and the request index (no drift) and
 *   emits every request that is due. A due request goes out on a free connection at once; if all
 *   `connections` are busy it waits in a FIFO queue (ShardSpec.max_queue entries) and goes out when
 *   a connection frees; when the queue is full it is counted in `dropped`.
 * - Connections (slots) are created on demand, up to `connections`.
 * - latency = response end − intended time; serviceTime = response end − actual send;
 *   scheduleLag = actual send − intended time.
 * - numRequests > 0: exactly that many intended sends (requests + dropped = numRequests).
 *   Otherwise the schedule ends at the shard duration (or, with no duration, at the end of the
 *   stages). Queued requests then still go out for up to one request timeout; what is left is
 *   counted as dropped. A cancel (stop) ends at once: requests still queued are not counted.
 * - Warm-up (warmupNumRequests, else warmupDurationMs) runs first at the constant qps (or the first
 *   non-zero stage rate) and is not recorded; the measured schedule starts where the warm-up ends.
 */
import { performance } from "node:perf_hooks";
import { LoadBase } from "./load.js";
import type { SeriesLoadOptions, SeriesShare } from "./load.js";
import { ConstantRate, StagedRate } from "./schedule.js";
import type { RateSchedule } from "./schedule.js";
import type { Slot } from "./slot.js";

interface Phase {
  readonly counted: boolean;
  schedule: RateSchedule;
  /** Intended sends in this phase; Infinity = bounded by endOffsetMs. */
  limit: number;
  /** Offset after which nothing is due; Infinity = bounded by limit. */
  endOffsetMs: number;
}

export class OpenLoad extends LoadBase {
  private readonly phases: Phase[] = [];
  private phaseNumber = 0;
  private phaseStartMs = 0;
  private index = 0;
  /** Measured intended sends before the current schedule (an Adjust rebases the schedule). */
  private measuredBefore = 0;
  private slotLimit: number;
  private draining = false;
  private readonly free: Slot[] = [];
  private readonly queueAtMs: Float64Array;
  private readonly queueCounted: Uint8Array;
  private queueHead = 0;
  private queueSize = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly tick = (): void => this.emitDue();

  constructor(options: SeriesLoadOptions) {
    super(options);
    const { series, shard } = options;
    if (series.model.kind !== "open") throw new TypeError("OpenLoad needs an open-model series");
    const { qps, stages } = series.model;
    const measured: RateSchedule = stages.length > 0 ? new StagedRate(stages) : new ConstantRate(qps);
    const warmQps = stages.length > 0 ? (stages.find((s) => s.qps > 0)?.qps ?? 0) : qps;
    if (series.warmupNumRequests > 0) {
      this.phases.push({ counted: false, schedule: new ConstantRate(warmQps), limit: series.warmupNumRequests, endOffsetMs: Number.POSITIVE_INFINITY });
    } else if (shard.warmupDurationMs > 0) {
      this.phases.push({ counted: false, schedule: new ConstantRate(warmQps), limit: Number.POSITIVE_INFINITY, endOffsetMs: shard.warmupDurationMs });
    }
    let endOffsetMs = Number.POSITIVE_INFINITY;
    if (series.numRequests === 0) {
      endOffsetMs = shard.durationMs > 0 ? shard.durationMs : measured instanceof StagedRate ? measured.durationMs : 0;
    }
    this.phases.push({ counted: true, schedule: measured, limit: series.numRequests > 0 ? series.numRequests : Number.POSITIVE_INFINITY, endOffsetMs });
    this.slotLimit = series.connections;
    this.queueAtMs = new Float64Array(shard.maxQueue);
    this.queueCounted = new Uint8Array(shard.maxQueue);
  }

  start(): void {
    this.phaseStartMs = performance.now();
    this.startSweeper();
    this.emitDue();
  }

  /**
   * A cancel: requests still queued were never sent and are not counted at all (not as dropped:
   * the queue was not full). A drained agent's coordinator hands them to the other agents.
   */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.queueHead = 0;
    this.queueSize = 0;
    this.maybeFinish();
  }

  completed(slot: Slot, statusCode: number, bodyBytes: number, error: Error | null): void {
    this.inFlight -= 1;
    this.record(slot, statusCode, bodyBytes, error, true);
    if (this.queueSize > 0 && !this.stopped) {
      const at = this.queueAtMs[this.queueHead] ?? 0;
      const counted = this.queueCounted[this.queueHead] === 1;
      this.queueHead = (this.queueHead + 1) % this.queueAtMs.length;
      this.queueSize -= 1;
      this.inFlight += 1;
      slot.fire(counted, at);
      return;
    }
    this.free.push(slot);
    this.maybeFinish();
  }

  adjust(share: SeriesShare): void {
    // Connections only grow here: after a loss, survivors take more.
    if (share.connections > this.slotLimit) this.slotLimit = share.connections;
    const last = this.phases.length - 1;
    const measured = this.phases[last];
    if (measured === undefined || this.draining || this.stopped) return;
    const inMeasured = this.phaseNumber === last;
    if (share.rateQps !== null && share.rateQps > 0) {
      if (inMeasured) {
        // Rebase: the new rate starts now; what was already sent stays sent.
        const now = performance.now();
        if (Number.isFinite(measured.endOffsetMs)) measured.endOffsetMs = Math.max(0, measured.endOffsetMs - (now - this.phaseStartMs));
        if (Number.isFinite(measured.limit)) measured.limit = Math.max(0, measured.limit - this.index);
        this.measuredBefore += this.index;
        this.index = 0;
        this.phaseStartMs = now;
      }
      measured.schedule = new ConstantRate(share.rateQps);
    }
    if (share.numRequests > 0 && Number.isFinite(measured.limit)) {
      measured.limit = Math.max(0, share.numRequests - (inMeasured ? this.measuredBefore : 0));
    }
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.emitDue();
  }

  private emitDue(): void {
    this.timer = null;
    this.immediate = null;
    if (this.stopped || this.draining) return;
    const now = performance.now();
    for (;;) {
      const phase = this.phases[this.phaseNumber];
      if (phase === undefined) {
        this.startDrain();
        return;
      }
      const offsetMs = this.index < phase.limit ? phase.schedule.offsetMs(this.index) : Number.POSITIVE_INFINITY;
      // The epsilon keeps float error in the stage maths from adding a request at the very end.
      if (offsetMs >= phase.endOffsetMs - 1e-6 || !Number.isFinite(offsetMs)) {
        // The next phase starts where this one's schedule ended, not when we noticed.
        const endedAtOffsetMs = Number.isFinite(phase.endOffsetMs) ? phase.endOffsetMs : phase.schedule.offsetMs(this.index);
        this.phaseStartMs += Number.isFinite(endedAtOffsetMs) ? endedAtOffsetMs : now - this.phaseStartMs;
        this.phaseNumber += 1;
        this.index = 0;
        continue;
      }
      const dueMs = this.phaseStartMs + offsetMs;
      if (dueMs > now) {
        const delayMs = dueMs - now;
        if (delayMs < 1) this.immediate = setImmediate(this.tick);
        else this.timer = setTimeout(this.tick, delayMs);
        return;
      }
      this.index += 1;
      this.emit(dueMs, phase.counted);
    }
  }

  private emit(intendedAtMs: number, counted: boolean): void {
    let slot = this.free.pop();
    if (slot === undefined && this.slots.length < this.slotLimit) slot = this.newSlot();
    if (slot !== undefined) {
      this.inFlight += 1;
      slot.fire(counted, intendedAtMs);
      return;
    }
    const capacity = this.queueAtMs.length;
    if (this.queueSize < capacity) {
      const tail = (this.queueHead + this.queueSize) % capacity;
      this.queueAtMs[tail] = intendedAtMs;
      this.queueCounted[tail] = counted ? 1 : 0;
      this.queueSize += 1;
    } else if (counted) {
      this.options.recorder.drop();
    }
  }

  private startDrain(): void {
    this.draining = true;
    if (this.queueSize > 0) {
      this.drainTimer = setTimeout(() => {
        this.drainTimer = null;
        this.dropQueued();
        this.maybeFinish();
      }, this.options.shard.requestTimeoutMs);
    }
    this.maybeFinish();
  }

  private dropQueued(): void {
    let dropped = 0;
    for (let i = 0; i < this.queueSize; i++) {
      if (this.queueCounted[(this.queueHead + i) % this.queueAtMs.length] === 1) dropped += 1;
    }
    if (dropped > 0) this.options.recorder.drop(dropped);
    this.queueHead = 0;
    this.queueSize = 0;
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.timer = null;
    this.immediate = null;
    this.drainTimer = null;
  }

  private maybeFinish(): void {
    if ((this.draining || this.stopped) && this.inFlight === 0 && this.queueSize === 0) {
      this.clearTimers();
      this.finish();
    }
  }
}
