/**
 * A slot is one request in flight at a time on a reusable Exchange: the unit both load models
 * schedule. It remembers when its request was intended and actually sent, and whether it counts
 * (warm-up requests do not).
 */
import { performance } from "node:perf_hooks";
import type { Exchange, ExchangeListener, HttpClient } from "./client.js";

export interface SlotOwner {
  /** The slot's request ended (status 0 and an error when it failed). Called asynchronously. */
  completed(slot: Slot, statusCode: number, bodyBytes: number, error: Error | null): void;
  /** The slot's request is being sent again on a fresh connection (not an outcome). */
  retried(slot: Slot, reason: Error): void;
}

export class Slot implements ExchangeListener {
  private readonly exchange: Exchange;
  busy = false;
  counted = false;
  /** performance.now() of the intended and the actual send. */
  intendedAtMs = 0;
  sentAtMs = 0;
  /** performance.now() when the request ended (set just before `completed`). */
  endedAtMs = 0;
  /** Set when the request timeout aborted the request; its failure is then reported as this. */
  private timeoutError: Error | null = null;
  /** A pending rate-cap timer before the next send (closed model). */
  waitTimer: NodeJS.Timeout | null = null;
  private firing = false;

  constructor(
    client: HttpClient,
    private readonly owner: SlotOwner,
  ) {
    this.exchange = client.createExchange(this);
  }

  /** Sends now; `intendedAtMs` defaults to now (closed model). */
  fire(counted: boolean, intendedAtMs = -1): void {
    this.busy = true;
    this.timeoutError = null;
    this.counted = counted;
    this.sentAtMs = performance.now();
    this.intendedAtMs = intendedAtMs < 0 ? this.sentAtMs : intendedAtMs;
    this.firing = true;
    try {
      this.exchange.send();
    } catch (error) {
      this.onFailure(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.firing = false;
    }
  }

  /** Aborts the request in flight as timed out (once). */
  abortForTimeout(reason: Error): void {
    if (!this.busy || this.timeoutError) return;
    this.timeoutError = reason;
    this.exchange.abort(reason);
  }

  onResponse(statusCode: number, bodyBytes: number): void {
    this.finish(statusCode, bodyBytes, null);
  }

  onFailure(error: Error): void {
    this.finish(0, 0, error);
  }

  /** The send times stay those of the first attempt: latency includes the lost attempt. */
  onRetry(reason: Error): void {
    if (this.busy) this.owner.retried(this, reason);
  }

  private finish(statusCode: number, bodyBytes: number, error: Error | null): void {
    if (!this.busy) return;
    this.endedAtMs = performance.now();
    this.busy = false;
    if (error && this.timeoutError) error = this.timeoutError;
    // A synchronous failure inside send() must not recurse into the owner's send loop.
    if (this.firing) setImmediate(() => this.owner.completed(this, statusCode, bodyBytes, error));
    else this.owner.completed(this, statusCode, bodyBytes, error);
  }
}
