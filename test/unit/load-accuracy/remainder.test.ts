/**
 * Review: what remainderShards hands to survivors in duration mode. The reference for "what was
 * left" is the lost shard's own schedule as the agent runs it (StagedRate / ConstantRate).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { StagedRate } from "../../../agent/index.js";
import { remainderShards } from "../../../coordinator/index.js";
import type { AgentInfo, ShardSpecInit } from "../../../core/index.js";

const agent = (id: string): AgentInfo => ({ id, capacity: 1, labels: {}, version: "t" });
const url = { url: "http://127.0.0.1:1/" };

/** Intended sends of an open series' stages over [0, ms). */
function intendedOver(stages: readonly { durationMs?: number | null; qps?: number | null }[], ms: number): number {
  return new StagedRate(stages.map((s) => ({ durationMs: Number(s.durationMs ?? 0), qps: Number(s.qps ?? 0) }))).countBefore(ms);
}

test("stages: a shard lost on a flat stage hands on the flat rate, not a ramp from 0", () => {
  // 10 s ramp 0 -> 100 qps, then 20 s flat at 100 qps. Lost at 15 s: 15 s at 100 qps = 1500 left.
  const stages = [
    { durationMs: 10_000, qps: 100 },
    { durationMs: 20_000, qps: 100 },
  ];
  const spec: ShardSpecInit = { durationMs: 30_000, series: [{ version: "v1", request: url, model: { open: { qps: 100, stages } }, connections: 4 }] };
  const original = intendedOver(stages, 30_000) - intendedOver(stages, 15_000);
  assert.equal(original, 1500);
  const parts = remainderShards(spec, undefined, [agent("b")], { startAtMs: 0, nowMs: 15_000 });
  assert.equal(parts.length, 1);
  const part = parts[0];
  assert.ok(part);
  const handedOn = intendedOver(part.spec.series?.[0]?.model?.open?.stages ?? [], Number(part.spec.durationMs));
  assert.equal(handedOn, original, `survivor should send the 1500 the lost shard had left, its stages ${JSON.stringify(part.spec.series?.[0]?.model?.open?.stages)} send ${handedOn}`);
});

test("stages: a shard lost half-way up a ramp hands on the rest of the ramp from the current rate", () => {
  // 0 -> 100 qps over 10 s; lost at 5 s (rate 50): 375 intended sends left.
  const stages = [{ durationMs: 10_000, qps: 100 }];
  const spec: ShardSpecInit = { durationMs: 10_000, series: [{ version: "v1", request: url, model: { open: { qps: 100, stages } }, connections: 4 }] };
  const original = intendedOver(stages, 10_000) - intendedOver(stages, 5_000);
  assert.equal(original, 375);
  const parts = remainderShards(spec, undefined, [agent("b")], { startAtMs: 0, nowMs: 5_000 });
  const part = parts[0];
  assert.ok(part);
  const handedOn = intendedOver(part.spec.series?.[0]?.model?.open?.stages ?? [], Number(part.spec.durationMs));
  assert.equal(handedOn, original);
});

test("duration: a redistributed shard that is lost in turn still hands on its time left", () => {
  // The run starts at 0 with 10 s. Agent a is lost at 4 s: b takes 6 s (shard r1, started ~4 s).
  const spec: ShardSpecInit = { durationMs: 10_000, series: [{ version: "v1", request: url, model: { closed: { maxQps: 40 } }, connections: 4 }] };
  const [r1] = remainderShards(spec, undefined, [agent("b")], { startAtMs: 0, nowMs: 4_000 });
  assert.ok(r1);
  assert.equal(Number(r1.spec.durationMs), 6_000);
  // b is lost at 7 s: r1 has 3 s left. The load task passes each shard's own start (r1: 4 s), not
  // the run's, for shards that took over a share (redistribute(): shardStartAtMs).
  const again = remainderShards(r1.spec, undefined, [agent("c")], { startAtMs: 4_000, nowMs: 7_000 });
  assert.equal(again.length, 1, "r1's last 3 s should go to c");
  assert.equal(Number(again[0]?.spec.durationMs), 3_000);
});

test("duration: the warm-up by request count delays the measured window, so more time is left", () => {
  // Open model, 10 qps, warm-up 100 requests (10 s at the warm-up rate), then 30 s measured: the
  // shard's schedule ends at 40 s. Lost at 20 s: 20 s of measurement are left.
  const spec: ShardSpecInit = {
    durationMs: 30_000,
    series: [{ version: "v1", request: url, model: { open: { qps: 10 } }, warmupNumRequests: 100, connections: 2 }],
  };
  const [part] = remainderShards(spec, undefined, [agent("b")], { startAtMs: 0, nowMs: 20_000 });
  assert.ok(part);
  assert.equal(Number(part.spec.durationMs), 20_000);
});
