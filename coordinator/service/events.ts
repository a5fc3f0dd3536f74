/**
 * Watch plumbing: every experiment has an EventChannel that numbers its events (1, 2, 3, ...),
 * keeps a bounded ring of recent ones for resuming, and fans them out to watchers. Each watcher
 * has its own bounded queue: a slow watcher never slows the experiment or other watchers; when
 * its queue overflows it is sent the latest snapshot (flag `skipped`) instead of what it missed.
 */
import type { api } from "../../core/index.js";

/** An event before it is numbered: exactly one kind set. */
export type EventBody = Omit<api.WatchEvent, "seq" | "timeMs" | "snapshot">;

/** A numbered event as stored in the ring and sent to watchers. */
export interface NumberedEvent extends api.WatchEvent {
  seq: number;
  timeMs: number;
}

/** Where a watcher's messages go: a gRPC server stream in production, an array in tests. */
export interface WatchSink {
  /** Returns false when the sink wants no more until `onDrain` fires (backpressure). */
  write(event: api.WatchEvent): boolean;
  onDrain(listener: () => void): void;
  end(): void;
}

export interface EventChannelOptions {
  /** Events kept for resuming (default 1024). */
  readonly ringSize?: number;
  /** Events queued per watcher before it skips to a snapshot (default 256). */
  readonly watcherBuffer?: number;
  /** Builds the current snapshot (its seq is the channel's last seq). */
  readonly snapshot: (skipped: boolean) => api.Snapshot;
  readonly now?: () => number;
}

export class EventChannel {
  private readonly ring: NumberedEvent[] = [];
  private readonly ringSize: number;
  private readonly watcherBuffer: number;
  private readonly watchers = new Set<Watcher>();
  private seq = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: EventChannelOptions, firstSeq = 0) {
    this.ringSize = options.ringSize ?? 1024;
    this.watcherBuffer = options.watcherBuffer ?? 256;
    this.now = options.now ?? Date.now;
    this.seq = firstSeq;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  publish(body: EventBody): NumberedEvent {
    const event: NumberedEvent = { ...body, seq: ++this.seq, timeMs: this.now() };
    this.ring.push(event);
    if (this.ring.length > this.ringSize) this.ring.shift();
    for (const watcher of this.watchers) watcher.enqueue(event);
    return event;
  }

  /** A snapshot message at the current seq. */
  snapshotEvent(skipped: boolean): api.WatchEvent {
    return { seq: this.seq, timeMs: this.now(), snapshot: this.options.snapshot(skipped) };
  }

  /**
   * Adds a watcher. fromSeq 0: a snapshot, then live events. fromSeq N: the events from N on when
   * the ring still holds them (then live), else a snapshot marked `skipped`.
   * After close(), the watcher gets what it asked for and its stream ends.
   */
  watch(sink: WatchSink, fromSeq = 0): Watcher {
    const watcher = new Watcher(this, sink, this.watcherBuffer);
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (fromSeq > 0 && fromSeq >= oldest && fromSeq <= this.seq + 1) {
      for (const event of this.ring) if (event.seq >= fromSeq) watcher.enqueue(event);
    } else {
      watcher.enqueueSnapshot(fromSeq > 0 && fromSeq <= this.seq);
    }
    if (this.closed) watcher.finish();
    else this.watchers.add(watcher);
    watcher.pump();
    return watcher;
  }

  /** Ends every watcher's stream once it has sent what is queued. */
  close(): void {
    this.closed = true;
    for (const watcher of this.watchers) watcher.finish();
    this.watchers.clear();
  }

  /** @internal */
  remove(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }
}

export class Watcher {
  private queue: api.WatchEvent[] = [];
  private writable = true;
  private finishing = false;
  private ended = false;
  /** Times this watcher fell behind and was sent a snapshot instead. */
  skips = 0;

  constructor(
    private readonly channel: EventChannel,
    private readonly sink: WatchSink,
    private readonly limit: number,
  ) {
    sink.onDrain(() => {
      this.writable = true;
      this.pump();
    });
  }

  enqueue(event: api.WatchEvent): void {
    if (this.ended) return;
    if (this.queue.length >= this.limit) {
      this.skips++;
      this.queue = [];
      this.enqueueSnapshot(true);
    } else {
      this.queue.push(event);
    }
    this.pump();
  }

  enqueueSnapshot(skipped: boolean): void {
    this.queue.push(this.channel.snapshotEvent(skipped));
  }

  finish(): void {
    this.finishing = true;
    this.pump();
  }

  /** The client went away. */
  cancel(): void {
    this.ended = true;
    this.queue = [];
    this.channel.remove(this);
  }

  pump(): void {
    while (this.writable && !this.ended && this.queue.length > 0) {
      const next = this.queue.shift();
      if (next) this.writable = this.sink.write(next);
    }
    if (this.finishing && !this.ended && this.queue.length === 0) {
      this.ended = true;
      this.sink.end();
    }
  }
}
