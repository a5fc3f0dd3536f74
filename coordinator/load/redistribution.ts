/**
 * Redistribution: when an agent is lost mid-run (or drains and hands its shard back), the part of
 * its shards it did not do goes to the surviving agents of the run as new shards. numRequests
 * series: exactly the requests its merged reports did not count; duration series: its rate and
 * connections for the time left.
 */
import type { AgentInfo, SeriesLoadInit, SeriesStatsInit, ShardSpecInit } from "../../core/index.js";
import { seriesKey } from "./merger.js";
import type { SeriesTarget } from "./series.js";
import { splitInteger, splitRate } from "./sharding.js";

type Counted = ReadonlyMap<string, SeriesStatsInit> | undefined;

/** Sends (requests + dropped, as the engine counts numRequests) a shard's merged reports counted for one series. */
function sentOf(counted: Counted, load: SeriesLoadInit): number {
  const stats = counted?.get(seriesKey(load.version ?? "", load.endpoint ?? ""));
  return Number(stats?.requests ?? 0) + Number(stats?.dropped ?? 0);
}

/**
 * The unfinished part of a lost shard, split over `survivors` by capacity. numRequests series: the
 * requests its merged reports did not count, split exactly. Duration series: the lost rate and
 * connections for the time left (`startAtMs` + warm-up + duration − now); ramps keep the stages
 * still to come.
 */
export function remainderShards(
  spec: ShardSpecInit,
  counted: Counted,
  survivors: readonly AgentInfo[],
  timing: { readonly startAtMs: number; readonly nowMs: number },
): { agent: AgentInfo; spec: ShardSpecInit }[] {
  const weights = survivors.map((a) => Math.max(1, a.capacity));
  const perAgent = survivors.map((): SeriesLoadInit[] => []);
  const durationMs = Number(spec.durationMs ?? 0);
  // Measurement began after the warm-up: a duration, or a request count at the series' rate.
  const warmupMs = Math.max(
    Number(spec.warmupDurationMs ?? 0),
    ...(spec.series ?? []).map((load) => {
      const count = Number(load.warmupNumRequests ?? 0);
      const rate = modelRate(load) || Number(load.model?.open?.stages?.[0]?.qps ?? 0);
      return count > 0 && rate > 0 ? (count / rate) * 1000 : 0;
    }),
  );
  const elapsedMs = timing.nowMs - timing.startAtMs - warmupMs;
  const remainingMs = durationMs > 0 ? Math.max(0, durationMs - Math.max(0, elapsedMs)) : 0;
  for (const load of spec.series ?? []) {
    const total = Number(load.numRequests ?? 0);
    const base = { version: load.version ?? "", endpoint: load.endpoint ?? "", ...targetOf(load), warmupNumRequests: 0 };
    const connections = Math.max(1, Number(load.connections ?? 1));
    if (total > 0) {
      const remaining = Math.max(0, total - sentOf(counted, load));
      if (remaining === 0) continue;
      const shares = splitInteger(remaining, weights);
      const connectionShares = splitInteger(connections, weights);
      const rateShares = splitRate(modelRate(load), weights);
      shares.forEach((share, k) => {
        if (share > 0) perAgent[k]?.push({ ...base, model: scaledModel(load, rateShares[k] ?? 0, weights, k, 0), numRequests: share, connections: Math.max(1, connectionShares[k] ?? 1) });
      });
    } else {
      if (remainingMs < 100) continue;
      const connectionShares = splitInteger(connections, weights);
      const rateShares = splitRate(modelRate(load), weights);
      survivors.forEach((_, k) => {
        perAgent[k]?.push({ ...base, model: scaledModel(load, rateShares[k] ?? 0, weights, k, Math.max(0, elapsedMs)), numRequests: 0, connections: Math.max(1, connectionShares[k] ?? 1) });
      });
    }
  }
  return survivors.flatMap((agent, k) => {
    const series = perAgent[k] ?? [];
    if (series.length === 0) return [];
    return [{ agent, spec: { ...spec, series, durationMs: remainingMs, warmupDurationMs: 0 } }];
  });
}

/** The series' target (what one request is, whatever the protocol): every field but the shares. */
function targetOf(load: SeriesLoadInit): SeriesTarget {
  const { version: _version, endpoint: _endpoint, model: _model, numRequests: _numRequests, warmupNumRequests: _warmup, connections: _connections, ...target } = load;
  return target;
}

function modelRate(load: SeriesLoadInit): number {
  return Number(load.model?.open?.qps ?? load.model?.closed?.maxQps ?? 0);
}

/** The lost series' model with its rate (and ramp stages still to come) scaled to one survivor's share. */
function scaledModel(load: SeriesLoadInit, rateQps: number, weights: readonly number[], k: number, elapsedMs: number): NonNullable<SeriesLoadInit["model"]> {
  const open = load.model?.open;
  if (!open) return { closed: { maxQps: rateQps } };
  const stages = open.stages ?? [];
  const remaining: { durationMs: number; qps: number }[] = [];
  let offsetMs = 0;
  let previousQps = 0;
  for (const stage of stages) {
    const stageMs = Number(stage.durationMs ?? 0);
    const endMs = offsetMs + stageMs;
    const qps = splitRate(Number(stage.qps ?? 0), weights)[k] ?? 0;
    if (endMs > elapsedMs) {
      if (remaining.length === 0 && elapsedMs > offsetMs && stageMs > 0) {
        // The engine ramps a first stage up from 0: start the remainder with a zero-length step to
        // the rate this stage had reached, so the ramp goes on from where it was.
        const reachedQps = previousQps + ((qps - previousQps) * (elapsedMs - offsetMs)) / stageMs;
        remaining.push({ durationMs: 0, qps: reachedQps });
      }
      remaining.push({ durationMs: endMs - Math.max(offsetMs, elapsedMs), qps });
    }
    previousQps = qps;
    offsetMs = endMs;
  }
  return { open: { qps: rateQps, stages: remaining } };
}

export function describeRemainder(spec: ShardSpecInit, counted: Counted, elapsedMs: number): string {
  const parts = (spec.series ?? []).map((load) => {
    const name = `${load.version ?? ""}${load.endpoint ? `/${load.endpoint}` : ""}`;
    const total = Number(load.numRequests ?? 0);
    if (total > 0) return `${name}: ${Math.max(0, total - sentOf(counted, load))} of ${total} requests`;
    return `${name}: ${modelRate(load).toFixed(2)} qps for the remaining ${Math.max(0, Number(spec.durationMs ?? 0) - elapsedMs)} ms`;
  });
  return parts.join("; ");
}
