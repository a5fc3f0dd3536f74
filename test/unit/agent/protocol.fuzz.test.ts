/**
 * Fuzzing the agent protocol (issue 13, "Figures"): every NATS message kind decoded from arbitrary
 * bytes and from mutated valid messages (decodeMessage: a message, or a TransportError
 * MALFORMED_MESSAGE), and the agent's control handler fed arbitrary bytes and
 * generated Control messages. Whatever arrives: no crash, no hang; a decode either yields a message
 * that re-encodes to something that decodes again, or fails; the control handler always answers
 * with a ControlReply whose error code is one of core/errors.ts. Seeded (ASSAY_FUZZ_SEED).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AgentRuntime } from "../../../agent/runtime.js";
import { ErrorCode, TransportError, decodeMessage, isErrorCode, pb, silentLogger } from "../../../core/index.js";
import type { ControlInit, CoordinatorPort } from "../../../core/index.js";
import { recordMeasurement } from "../../harness/index.js";

const SEED = Number(process.env["ASSAY_FUZZ_SEED"] ?? 20_251_201);
const MAX_CASE_MS = 1000;

interface Codec<M> {
  decode(bytes: Uint8Array): M;
  encode(message: M): { finish(): Uint8Array };
  toObject(message: M, options: { longs: NumberConstructor }): object;
}

/** Decodes, re-encodes and decodes again: the two plain forms (they must be equal). */
function roundTrip<M>(codec: Codec<M>): (bytes: Uint8Array) => [object, object] {
  return (bytes) => {
    const decoded = decodeMessage(codec, "fuzzed", bytes);
    const again = codec.decode(codec.encode(decoded).finish());
    return [codec.toObject(again, { longs: Number }), codec.toObject(decoded, { longs: Number })];
  };
}

/** Every message that crosses a NATS subject or reply inbox (core/subjects.ts). */
const KINDS = {
  Hello: roundTrip(pb.Hello),
  Heartbeat: roundTrip(pb.Heartbeat),
  HeartbeatReply: roundTrip(pb.HeartbeatReply),
  Control: roundTrip(pb.Control),
  ControlReply: roundTrip(pb.ControlReply),
  IntervalReport: roundTrip(pb.IntervalReport),
  ShardDone: roundTrip(pb.ShardDone),
} as const;
type Kind = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as Kind[];

/** A valid sample of each kind, for mutation. */
const SAMPLES: Record<Kind, Uint8Array> = {
  Hello: pb.Hello.encode({ agentId: "a1", capacity: 2, labels: { zone: "z" }, version: "1.0.0", pid: 7, hostname: "h" }).finish(),
  Heartbeat: pb.Heartbeat.encode({ agentId: "a1", sentAtMs: 1_700_000_000_000, runIds: ["r1", "r2"] }).finish(),
  HeartbeatReply: pb.HeartbeatReply.encode({ coordinatorTimeMs: 1_700_000_000_001, ownerId: "assay-coordinator", runIds: ["r1"], agentSentAtMs: 1_700_000_000_000 }).finish(),
  Control: pb.Control.encode({
    assign: {
      runId: "r1",
      shardId: "s1",
      ownerId: "o",
      shard: { reportIntervalMs: 1000, series: [{ version: "v1", request: { url: "http://127.0.0.1:1/x", method: "GET" }, numRequests: 5, connections: 1 }] },
    },
  }).finish(),
  ControlReply: pb.ControlReply.encode({ ok: false, errorCode: ErrorCode.BadShard, errorMessage: "no" }).finish(),
  IntervalReport: pb.IntervalReport.encode({ runId: "r1", shardId: "s1", agentId: "a1", seq: 3, series: [{ version: "v1", requests: 10, errors: 1, statusClasses: [0, 9, 0, 0, 1] }] }).finish(),
  ShardDone: pb.ShardDone.encode({ runId: "r1", shardId: "s1", agentId: "a1", outcome: "completed", lastSeq: 3 }).finish(),
};

/** Decodes `bytes` as `kind`: a message that survives a re-encode, or a thrown Error (never a hang). */
function checkDecode(kind: Kind, bytes: Uint8Array): void {
  const started = performance.now();
  let forms: [object, object];
  try {
    forms = KINDS[kind](bytes);
  } catch (error) {
    assert.ok(error instanceof TransportError && error.code === ErrorCode.MalformedMessage, `${kind}: not a typed MALFORMED_MESSAGE: ${String(error)}`);
    return;
  }
  // What decoded must be a message the receiver can use as such: encodable, and the same again.
  assert.deepEqual(forms[0], forms[1], kind);
  assert.ok(performance.now() - started < MAX_CASE_MS, `${kind}: decoding took too long`);
}

/** A valid message with bytes flipped, inserted, removed or cut off. */
const mutated = fc
  .record({
    kind: fc.constantFrom(...KIND_NAMES),
    edits: fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom("flip", "insert", "delete", "truncate"), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
  })
  .map(({ kind, edits }) => {
    const bytes = [...SAMPLES[kind]];
    for (const edit of edits) {
      const at = bytes.length === 0 ? 0 : edit.at % bytes.length;
      if (edit.op === "flip") bytes[at] = edit.byte;
      else if (edit.op === "insert") bytes.splice(at, 0, edit.byte);
      else if (edit.op === "delete") bytes.splice(at, 1);
      else bytes.length = at;
    }
    return { kind, bytes: Uint8Array.from(bytes) };
  });

const port: CoordinatorPort = { sendReport: () => Promise.resolve(), sendDone: () => Promise.resolve() };

/** A fresh runtime per case, so no generated Start can find an Assign to start: nothing is sent. */
async function checkControl(bytes: Uint8Array): Promise<void> {
  const runtime = new AgentRuntime({ agentId: "fuzz", port, logger: silentLogger() });
  const started = performance.now();
  const replyBytes = await runtime.handleControl(bytes);
  const reply = pb.ControlReply.decode(replyBytes);
  if (!reply.ok) assert.ok(isErrorCode(reply.errorCode), `untyped refusal: ${reply.errorCode} ${reply.errorMessage}`);
  assert.ok(performance.now() - started < MAX_CASE_MS, "the control handler took too long");
  await runtime.stopAll("fuzz case done");
  assert.deepEqual(runtime.runIds(), []);
}

const text = fc.oneof(fc.constantFrom("", "r1", "s1", "http://127.0.0.1:1/x", "http://[::1", "ftp://x", "GET", "P O S T", "\u0000", "a\r\nb"), fc.string({ maxLength: 10 }));
const count = fc.oneof(fc.constantFrom(0, 1, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER), fc.nat());
const real = fc.oneof(fc.constantFrom(0, -1, Number.NaN, Infinity, -Infinity, 1e300), fc.double());
const seriesLoad = fc.record(
  {
    version: text,
    endpoint: text,
    request: fc.record({ url: text, method: text, headers: fc.array(fc.record({ name: text, value: text }), { maxLength: 3 }), body: fc.uint8Array({ maxLength: 8 }), contentType: text }, { requiredKeys: [] }),
    model: fc.oneof(
      fc.record({ open: fc.record({ qps: real, stages: fc.array(fc.record({ durationMs: count, qps: real }), { maxLength: 3 }) }, { requiredKeys: [] }) }),
      fc.record({ closed: fc.record({ maxQps: real }, { requiredKeys: [] }) }),
    ),
    numRequests: count,
    warmupNumRequests: count,
    connections: count,
  },
  { requiredKeys: [] },
);
const shard = fc.record(
  {
    series: fc.array(seriesLoad, { maxLength: 3 }),
    durationMs: count,
    warmupDurationMs: count,
    reportIntervalMs: count,
    requestTimeoutMs: count,
    maxRedirects: count,
    errorRanges: fc.array(fc.record({ lower: count, upper: count }), { maxLength: 3 }),
    maxQueue: count,
  },
  { requiredKeys: [] },
);
const ids = { runId: text, shardId: text };
const control: fc.Arbitrary<ControlInit> = fc.oneof(
  fc.record({ assign: fc.record({ ...ids, ownerId: text, shard }, { requiredKeys: [] }) }),
  fc.record({ start: fc.record({ ...ids, startAtMs: count }, { requiredKeys: [] }) }),
  fc.record({ cancel: fc.record({ ...ids, reason: text }, { requiredKeys: [] }) }),
  fc.record({ adjust: fc.record({ ...ids, series: fc.array(seriesLoad, { maxLength: 2 }) }, { requiredKeys: [] }) }),
  fc.record({ timeProbe: fc.record({ coordinatorTimeMs: count }, { requiredKeys: [] }) }),
  fc.constant({}),
);

const suiteStarted = performance.now();

void describe("fuzz: agent protocol messages never crash a receiver", () => {
  void it("every message kind decoded from arbitrary bytes (7 kinds x 1000 cases)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KIND_NAMES), fc.uint8Array({ maxLength: 256 }), (kind, bytes) => checkDecode(kind, bytes)),
      { seed: SEED, numRuns: 7000 },
    );
  });

  void it("every message kind decoded from mutated valid messages (3000 cases)", () => {
    fc.assert(fc.property(mutated, ({ kind, bytes }) => checkDecode(kind, bytes)), { seed: SEED + 1, numRuns: 3000 });
  });

  void it("the agent's control handler answers arbitrary and mutated bytes with a typed ControlReply (1500 cases)", async () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated.filter((m) => m.kind === "Control").map((m) => m.bytes));
    await fc.assert(fc.asyncProperty(bytes, (b) => checkControl(b)), { seed: SEED + 2, numRuns: 1500 });
  });

  void it("the agent's control handler answers generated Control messages with a typed ControlReply (1500 cases)", async () => {
    await fc.assert(fc.asyncProperty(control, (message) => checkControl(pb.Control.encode(message).finish())), { seed: SEED + 3, numRuns: 1500 });
  });
  void it("records what it ran", () => {
    recordMeasurement("protocol-fuzz", `13,000 cases (seed ${SEED}) in ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s, no crash`);
  });
});
