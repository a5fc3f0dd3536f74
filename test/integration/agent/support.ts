/**
 * Helpers for the agent tests: drive an AgentRuntime exactly as the coordinator does (encoded
 * Assign → reply, Start → reports → ShardDone) and check conservation on what came back.
 */
import assert from "node:assert/strict";
import { AgentRuntime } from "../../../agent/index.js";
import { decodeHistogram, pb, silentLogger } from "../../../core/index.js";
import type { HttpClientFactory } from "../../../agent/index.js";
import type { ControlInit, ControlReply, IntervalReport, SeriesStats, SeriesLoadInit, ShardDone, ShardSpecInit } from "../../../core/index.js";
import { waitUntil } from "../../harness/index.js";

export interface CollectedShard {
  reports: IntervalReport[];
  done: ShardDone;
}

export class TestAgent {
  readonly reports: IntervalReport[] = [];
  readonly dones: ShardDone[] = [];
  readonly runtime: AgentRuntime;

  /** `clientFactory`: the HTTP client per series (default: the runtime's choice). */
  constructor(agentId = "test-agent", clientFactory?: HttpClientFactory) {
    this.runtime = new AgentRuntime({
      agentId,
      ...(clientFactory ? { clientFactory } : {}),
      logger: silentLogger(),
      port: {
        sendReport: (payload) => {
          this.reports.push(pb.IntervalReport.decode(payload));
          return Promise.resolve();
        },
        sendDone: (payload) => {
          this.dones.push(pb.ShardDone.decode(payload));
          return Promise.resolve();
        },
      },
    });
  }

  async control(control: ControlInit): Promise<ControlReply> {
    const reply = await this.runtime.handleControl(pb.Control.encode(control).finish());
    return pb.ControlReply.decode(reply);
  }

  async assignAndStart(runId: string, shardId: string, shard: ShardSpecInit): Promise<void> {
    const assigned = await this.control({ assign: { runId, shardId, shard } });
    assert.equal(assigned.ok, true, `assign failed: ${assigned.errorCode} ${assigned.errorMessage}`);
    const started = await this.control({ start: { runId, shardId, startAtMs: Date.now() } });
    assert.equal(started.ok, true, `start failed: ${started.errorCode} ${started.errorMessage}`);
  }

  async waitDone(shardId: string, timeoutMs = 20_000): Promise<CollectedShard> {
    await waitUntil(() => this.dones.some((d) => d.shardId === shardId), { timeoutMs, what: `ShardDone of ${shardId}` });
    const done = this.dones.find((d) => d.shardId === shardId);
    assert.ok(done);
    return { reports: this.reports.filter((r) => r.shardId === shardId), done };
  }

  /** Assign, start now, wait for ShardDone, check conservation. */
  async run(shard: ShardSpecInit, shardId = "s1", timeoutMs = 20_000): Promise<CollectedShard> {
    await this.assignAndStart("run-1", shardId, shard);
    const collected = await this.waitDone(shardId, timeoutMs);
    assertConservation(collected);
    return collected;
  }
}

/** A series with sensible defaults for tests. */
export function series(url: string, overrides: Partial<SeriesLoadInit> = {}): SeriesLoadInit {
  return {
    version: "v1",
    request: { url, method: "GET" },
    model: { closed: { maxQps: 0 } },
    connections: 4,
    ...overrides,
  };
}

function histogramCount(bytes: Uint8Array): number {
  const h = decodeHistogram(bytes);
  const count = h.totalCount;
  h.destroy();
  return count;
}

/** Decoded nested messages are full SeriesStats instances (protobufjs types them as plain properties). */
function statsOf(list: IntervalReport["series"]): SeriesStats[] {
  return list as SeriesStats[];
}

/** Sum of interval reports per series equals ShardDone totals; seqs are 1..lastSeq. */
export function assertConservation({ reports, done }: CollectedShard): void {
  assert.deepEqual(
    reports.map((r) => r.seq),
    Array.from({ length: done.lastSeq }, (_, i) => i + 1),
    "reports carry seq 1..lastSeq",
  );
  for (const total of statsOf(done.totals)) {
    const parts = reports.flatMap((r) => statsOf(r.series).filter((s) => s.version === total.version && s.endpoint === total.endpoint));
    const sum = (pick: (s: SeriesStats) => number): number => parts.reduce((acc, s) => acc + pick(s), 0);
    for (const field of ["requests", "errors", "dropped", "connectionErrors", "timeouts", "bytesReceived", "bytesSent"] as const) {
      assert.equal(sum((s) => s[field]), total[field], `sum of interval ${field} equals the total`);
    }
    for (let i = 0; i < 5; i++) {
      assert.equal(sum((s) => s.statusClasses[i] ?? 0), total.statusClasses[i] ?? 0, `status class ${i + 1}xx adds up`);
    }
    assert.equal(sum((s) => histogramCount(s.latencyHistogram)), histogramCount(total.latencyHistogram), "latency histogram counts add up");
    assert.equal(histogramCount(total.latencyHistogram), total.requests, "every counted request is in the latency histogram");
    assert.equal(
      total.statusClasses.reduce((a, b) => a + b, 0),
      total.requests - total.connectionErrors - total.timeouts,
      "every response has a status class",
    );
  }
}

/** Requests per second of the series in each interval report. */
export function intervalRates(reports: IntervalReport[]): number[] {
  return reports.map((r) => {
    const seconds = (Number(r.intervalEndMs) - Number(r.intervalStartMs)) / 1000;
    const n = statsOf(r.series).reduce((acc, s) => acc + s.requests + s.dropped, 0);
    return seconds > 0 ? n / seconds : 0;
  });
}

export function totalOf(done: ShardDone, version = "v1"): SeriesStats {
  const total = statsOf(done.totals).find((t) => t.version === version);
  assert.ok(total, `totals of ${version}`);
  return total;
}
