/**
 * Per-series measurements: counters, exact latency moments and HDR histograms for the current
 * interval, folded into whole-shard totals each time an interval is taken. Nothing per request is
 * kept, so memory stays flat however long the run.
 *
 * Invariants (what the coordinator's conservation check relies on): every interval taken is added
 * to the totals exactly once, so the sum of the intervals' counters and histograms equals the
 * totals; and every counted request is recorded in each histogram of its model exactly once
 * (latency always; service time and schedule lag in the open model), so histogram counts equal
 * `requests`. Dropped requests (open model) were never sent and are in no histogram.
 */
import { createHistogram, encodeHistogram, recordMicros } from "../../core/index.js";
import type { Histogram, SeriesStatsInit } from "../../core/index.js";
import { RETRIED_KEY_PREFIX, errorKey, isTimeoutError } from "./client.js";

/** Distinct error messages kept per interval (and in the totals); the rest count under "other". */
export const MAX_ERROR_MESSAGES = 20;
export const OTHER_ERRORS_KEY = "other";

function addBounded(map: Map<string, number>, key: string, count: number): void {
  const current = map.get(key);
  if (current !== undefined) map.set(key, current + count);
  else if (map.size < MAX_ERROR_MESSAGES) map.set(key, count);
  else map.set(OTHER_ERRORS_KEY, (map.get(OTHER_ERRORS_KEY) ?? 0) + count);
}

class Accumulator {
  requests = 0;
  errors = 0;
  dropped = 0;
  connectionErrors = 0;
  timeouts = 0;
  readonly statusClasses = [0, 0, 0, 0, 0];
  bytesReceived = 0;
  bytesSent = 0;
  latencySumUs = 0;
  latencySumSqUs = 0;
  latencyMinUs = Number.POSITIVE_INFINITY;
  latencyMaxUs = 0;
  readonly statusCodes = new Map<number, number>();
  readonly errorMessages = new Map<string, number>();
  readonly latency: Histogram = createHistogram();
  readonly serviceTime: Histogram | null;
  readonly scheduleLag: Histogram | null;

  constructor(open: boolean) {
    this.serviceTime = open ? createHistogram() : null;
    this.scheduleLag = open ? createHistogram() : null;
  }

  addFrom(other: Accumulator): void {
    this.requests += other.requests;
    this.errors += other.errors;
    this.dropped += other.dropped;
    this.connectionErrors += other.connectionErrors;
    this.timeouts += other.timeouts;
    for (let i = 0; i < 5; i++) this.statusClasses[i] = (this.statusClasses[i] ?? 0) + (other.statusClasses[i] ?? 0);
    this.bytesReceived += other.bytesReceived;
    this.bytesSent += other.bytesSent;
    this.latencySumUs += other.latencySumUs;
    this.latencySumSqUs += other.latencySumSqUs;
    if (other.latencyMinUs < this.latencyMinUs) this.latencyMinUs = other.latencyMinUs;
    if (other.latencyMaxUs > this.latencyMaxUs) this.latencyMaxUs = other.latencyMaxUs;
    for (const [code, count] of other.statusCodes) this.statusCodes.set(code, (this.statusCodes.get(code) ?? 0) + count);
    for (const [key, count] of other.errorMessages) addBounded(this.errorMessages, key, count);
    if (other.latency.totalCount > 0) this.latency.add(other.latency);
    if (this.serviceTime && other.serviceTime && other.serviceTime.totalCount > 0) this.serviceTime.add(other.serviceTime);
    if (this.scheduleLag && other.scheduleLag && other.scheduleLag.totalCount > 0) this.scheduleLag.add(other.scheduleLag);
  }

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.dropped = 0;
    this.connectionErrors = 0;
    this.timeouts = 0;
    this.statusClasses.fill(0);
    this.bytesReceived = 0;
    this.bytesSent = 0;
    this.latencySumUs = 0;
    this.latencySumSqUs = 0;
    this.latencyMinUs = Number.POSITIVE_INFINITY;
    this.latencyMaxUs = 0;
    this.statusCodes.clear();
    this.errorMessages.clear();
    this.latency.reset();
    this.serviceTime?.reset();
    this.scheduleLag?.reset();
  }

  toStats(version: string, endpoint: string): SeriesStatsInit {
    const empty = new Uint8Array(0);
    return {
      version,
      endpoint,
      requests: this.requests,
      errors: this.errors,
      dropped: this.dropped,
      connectionErrors: this.connectionErrors,
      timeouts: this.timeouts,
      statusClasses: [...this.statusClasses],
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      latencySumUs: this.latencySumUs,
      latencySumSqUs: this.latencySumSqUs,
      latencyMinUs: this.requests === 0 ? 0 : this.latencyMinUs,
      latencyMaxUs: this.latencyMaxUs,
      latencyHistogram: encodeHistogram(this.latency),
      serviceTimeHistogram: this.serviceTime ? encodeHistogram(this.serviceTime) : empty,
      scheduleLagHistogram: this.scheduleLag ? encodeHistogram(this.scheduleLag) : empty,
      statusCodes: Object.fromEntries(this.statusCodes),
      errorMessages: Object.fromEntries(this.errorMessages),
    };
  }

  destroy(): void {
    this.latency.destroy();
    this.serviceTime?.destroy();
    this.scheduleLag?.destroy();
  }
}

/** Records one series' requests. Not thread-safe: one event loop owns it. */
export class SeriesRecorder {
  private readonly interval: Accumulator;
  private readonly totals: Accumulator;
  /** Measured span (performance.now() ms): first counted send to last counted end. */
  private spanFromPerfMs = Number.POSITIVE_INFINITY;
  private spanUntilPerfMs = 0;

  constructor(
    readonly version: string,
    readonly endpoint: string,
    readonly open: boolean,
  ) {
    this.interval = new Accumulator(open);
    this.totals = new Accumulator(open);
  }

  private recordLatency(latencyUs: number): void {
    const a = this.interval;
    const us = latencyUs < 1 ? 1 : Math.round(latencyUs);
    recordMicros(a.latency, us);
    a.latencySumUs += us;
    a.latencySumSqUs += us * us;
    if (us < a.latencyMinUs) a.latencyMinUs = us;
    if (us > a.latencyMaxUs) a.latencyMaxUs = us;
  }

  /** A response was received in full. */
  response(statusCode: number, bodyBytes: number, bytesSent: number, isError: boolean, latencyUs: number): void {
    const a = this.interval;
    a.requests += 1;
    if (isError) a.errors += 1;
    // RFC 9110 §15: a code outside 100–599 is processed as a 5xx (llhttp passes 600–999 through).
    const statusClass = statusCode >= 600 ? 4 : Math.floor(statusCode / 100) - 1;
    if (statusClass >= 0 && statusClass < 5) a.statusClasses[statusClass] = (a.statusClasses[statusClass] ?? 0) + 1;
    a.statusCodes.set(statusCode, (a.statusCodes.get(statusCode) ?? 0) + 1);
    a.bytesReceived += bodyBytes;
    a.bytesSent += bytesSent;
    this.recordLatency(latencyUs);
  }

  /** The request got no complete response (always an error). */
  failure(error: Error, bytesSent: number, latencyUs: number): void {
    const a = this.interval;
    a.requests += 1;
    a.errors += 1;
    if (isTimeoutError(error)) a.timeouts += 1;
    else a.connectionErrors += 1;
    a.bytesSent += bytesSent;
    addBounded(a.errorMessages, errorKey(error), 1);
    this.recordLatency(latencyUs);
  }

  /**
   * A request was sent a second time because its reused connection turned out closed (see
   * RETRY_METHODS). Not a request and not an error: counted under `retried, not an error: <why>`
   * in errorMessages, so the result shows how often a target closes keep-alive connections early.
   */
  retry(reason: Error): void {
    addBounded(this.interval.errorMessages, RETRIED_KEY_PREFIX + errorKey(reason), 1);
  }

  /** Open model: service time (from the actual send) and schedule lag of a counted request. */
  openTimes(serviceUs: number, lagUs: number): void {
    if (this.interval.serviceTime) recordMicros(this.interval.serviceTime, serviceUs);
    if (this.interval.scheduleLag) recordMicros(this.interval.scheduleLag, lagUs);
  }

  /** Widens the measured span with one counted request (its send, or intended send, and its end). */
  span(fromPerfMs: number, untilPerfMs: number): void {
    if (fromPerfMs < this.spanFromPerfMs) this.spanFromPerfMs = fromPerfMs;
    if (untilPerfMs > this.spanUntilPerfMs) this.spanUntilPerfMs = untilPerfMs;
  }

  /** The measured span on the performance.now() clock, or undefined when nothing was counted. */
  measuredSpan(): { fromPerfMs: number; untilPerfMs: number } | undefined {
    return this.spanUntilPerfMs > 0 ? { fromPerfMs: this.spanFromPerfMs, untilPerfMs: this.spanUntilPerfMs } : undefined;
  }

  /** Open model: an intended request that could not be sent. */
  drop(count = 1): void {
    this.interval.dropped += count;
  }

  /** Counted requests so far (current interval and before). */
  get requestsSoFar(): number {
    return this.totals.requests + this.interval.requests;
  }

  /** The current interval's stats; the interval is folded into the totals and starts afresh. */
  takeInterval(): SeriesStatsInit {
    const stats = this.interval.toStats(this.version, this.endpoint);
    this.totals.addFrom(this.interval);
    this.interval.reset();
    return stats;
  }

  /** Whole-shard totals of every interval taken so far. */
  totalStats(): SeriesStatsInit {
    return this.totals.toStats(this.version, this.endpoint);
  }

  destroy(): void {
    this.interval.destroy();
    this.totals.destroy();
  }
}
