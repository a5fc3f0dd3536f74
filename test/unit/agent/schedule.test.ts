import assert from "node:assert/strict";
import { test } from "node:test";
import { ConstantRate, StagedRate } from "../../../agent/index.js";

test("constant rate: request i at i/qps, no drift", () => {
  const rate = new ConstantRate(200);
  assert.equal(rate.offsetMs(0), 0);
  assert.equal(rate.offsetMs(1), 5);
  assert.equal(rate.offsetMs(1_000_000), 5_000_000);
  assert.equal(rate.countBefore(1000), 200);
  assert.equal(rate.countBefore(1001), 201);
});

test("stages: the first stage ramps from 0, later ones from the previous rate", () => {
  const rate = new StagedRate([
    { durationMs: 2000, qps: 50 },
    { durationMs: 2000, qps: 200 },
  ]);
  assert.equal(rate.durationMs, 4000);
  // Integral of 0->50 over 2 s is 50; of 50->200 over 2 s is 250.
  assert.equal(rate.countBefore(2000), 50);
  assert.equal(rate.countBefore(4000), 300);
  // Ramp from 0: N(t) = 12.5 t^2, so request 50 is at t = 2 s and request 12.5 ~ at 1 s.
  assert.ok(Math.abs(rate.offsetMs(50) - 2000) < 1e-6);
  assert.ok(Math.abs(rate.offsetMs(12.5) - 1000) < 1e-6);
  // Offsets increase strictly and agree with countBefore.
  let previous = -1;
  for (let i = 0; i < 300; i++) {
    const offset = rate.offsetMs(i);
    assert.ok(offset > previous, `offset ${i}`);
    assert.equal(rate.countBefore((offset + rate.offsetMs(i + 1)) / 2), i + 1, `count before request ${i + 1}`);
    previous = offset;
  }
  // After the stages the last rate holds.
  assert.ok(Math.abs(rate.offsetMs(300 + 200) - 5000) < 1e-6);
});

test("stages ending at 0 qps never schedule beyond their end", () => {
  const rate = new StagedRate([
    { durationMs: 1000, qps: 100 },
    { durationMs: 1000, qps: 0 },
  ]);
  assert.equal(rate.countBefore(2000), 100);
  assert.equal(rate.offsetMs(100), Number.POSITIVE_INFINITY);
  assert.ok(rate.offsetMs(99) < 2000);
});

test("a zero-length stage is a step", () => {
  const rate = new StagedRate([
    { durationMs: 0, qps: 100 },
    { durationMs: 1000, qps: 100 },
  ]);
  assert.equal(rate.countBefore(1000), 100);
  assert.ok(Math.abs(rate.offsetMs(10) - 100) < 1e-6);
});

test("a zero-length stage is a step: {0s, 100} then {2s, 100} sends at 100 qps from the start", () => {
  const rate = new StagedRate([
    { durationMs: 0, qps: 100 },
    { durationMs: 2000, qps: 100 },
  ]);
  assert.equal(rate.durationMs, 2000);
  for (const i of [0, 1, 50, 199]) assert.ok(Math.abs(rate.offsetMs(i) - i * 10) < 1e-6, `request ${i} at ${rate.offsetMs(i)}ms`);
  assert.equal(rate.countBefore(1000), 100);
  assert.equal(rate.countBefore(2000), 200);
  const only = new StagedRate([{ durationMs: 0, qps: 100 }]);
  assert.ok(Math.abs(only.offsetMs(10) - 100) < 1e-6, "after the stages the step's rate holds");
});
