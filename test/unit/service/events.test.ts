import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventChannel } from "../../../coordinator/index.js";
import type { WatchSink } from "../../../coordinator/index.js";
import type { api } from "../../../core/index.js";

/** A sink that records what it is given; `blocked` makes write() report backpressure. */
function sink(options: { blocked?: boolean } = {}) {
  const events: api.WatchEvent[] = [];
  let drain: (() => void) | undefined;
  let ended = false;
  let blocked = options.blocked ?? false;
  const s: WatchSink = {
    write(event) {
      events.push(event);
      return !blocked;
    },
    onDrain(listener) {
      drain = listener;
    },
    end() {
      ended = true;
    },
  };
  return {
    s,
    events,
    ended: () => ended,
    unblock() {
      blocked = false;
      drain?.();
    },
  };
}

function channel(opts: { ringSize?: number; watcherBuffer?: number } = {}) {
  let state = "queued";
  const ch = new EventChannel({ ...opts, snapshot: (skipped) => ({ experiment: { state: state as api.ExperimentState }, skipped }) });
  return { ch, setState: (s: string) => (state = s) };
}

const seqs = (events: api.WatchEvent[]): number[] => events.map((e) => Number(e.seq));

describe("EventChannel", () => {
  it("numbers events and starts every new watcher with a snapshot at the current seq", () => {
    const { ch } = channel();
    ch.publish({ taskStarted: { index: 0, task: "http" } });
    ch.publish({ taskFinished: { index: 0, task: "http", status: "completed" } });
    const a = sink();
    ch.watch(a.s);
    ch.publish({ taskStarted: { index: 1, task: "assess" } });
    assert.ok(a.events[0]?.snapshot);
    assert.equal(a.events[0]?.seq, 2);
    assert.deepEqual(seqs(a.events), [2, 3]);
    assert.ok(a.events[1]?.taskStarted);
  });

  it("gives a late watcher the same subsequent events as early ones", () => {
    const { ch } = channel();
    const early = sink();
    ch.watch(early.s);
    for (let i = 0; i < 5; i++) ch.publish({ taskStarted: { index: i, task: "http" } });
    const late = sink();
    ch.watch(late.s);
    for (let i = 5; i < 8; i++) ch.publish({ taskStarted: { index: i, task: "http" } });
    const after = (events: api.WatchEvent[]) => events.filter((e) => !e.snapshot && Number(e.seq) > 5);
    assert.deepEqual(seqs(after(late.events)), seqs(after(early.events)));
    assert.deepEqual(seqs(after(late.events)), [6, 7, 8]);
    assert.equal(late.events[0]?.seq, 5);
  });

  it("resumes from a seq the ring still holds, and falls back to a skipped snapshot when it does not", () => {
    const { ch } = channel({ ringSize: 4 });
    for (let i = 0; i < 10; i++) ch.publish({ taskStarted: { index: i, task: "http" } });
    const resumed = sink();
    ch.watch(resumed.s, 8);
    assert.deepEqual(seqs(resumed.events), [8, 9, 10]);
    assert.ok(!resumed.events.some((e) => e.snapshot));
    const tooOld = sink();
    ch.watch(tooOld.s, 2);
    assert.equal(tooOld.events.length, 1);
    assert.equal(tooOld.events[0]?.snapshot?.skipped, true);
  });

  it("a blocked watcher skips to the latest snapshot without holding back others", () => {
    const { ch, setState } = channel({ watcherBuffer: 5 });
    const slow = sink({ blocked: true });
    const fast = sink();
    const slowWatcher = ch.watch(slow.s);
    ch.watch(fast.s);
    for (let i = 0; i < 50; i++) ch.publish({ taskStarted: { index: i, task: "http" } });
    setState("running");
    ch.publish({ stateChanged: { state: "EXPERIMENT_STATE_RUNNING" } });
    assert.equal(fast.events.length, 52);
    assert.equal(slow.events.length, 1, "only the first write went out before backpressure");
    assert.ok(slowWatcher.skips > 0);
    slow.unblock();
    const snapshot = slow.events.find((e, i) => i > 0 && e.snapshot);
    assert.ok(snapshot, "the slow watcher got a snapshot after falling behind");
    assert.equal(snapshot.snapshot?.skipped, true);
    const last = slow.events.at(-1);
    assert.equal(last?.seq, 51);
    assert.ok(slow.events.length < 52);
  });

  it("ends watchers after the queued events when the channel closes, and late watchers at once", () => {
    const { ch } = channel();
    const a = sink();
    ch.watch(a.s);
    ch.publish({ completed: { experiment: { id: "x" } } });
    ch.close();
    assert.equal(a.ended(), true);
    const b = sink();
    ch.watch(b.s);
    assert.equal(b.ended(), true);
    assert.ok(b.events[0]?.snapshot);
  });
});
