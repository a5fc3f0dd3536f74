/**
 * The `http` task as a distributed run: pick agents, split every series into shards that sum
 * exactly to the totals, assign, agree on a start time, merge interval reports as they arrive, and
 * turn the merged aggregates into Iter8's built-in metrics.
 *
 * When an agent is lost mid-run its unfinished share goes to the survivors as new shards: in
 * numRequests mode exactly the requests its merged reports did not count, in duration mode its rate
 * for the time left. With a RunStateStore the plan is stored, so a restarted coordinator re-attaches
 * to the same run and rebuilds the merge by replaying the run's reports.
 */
import { CancelledError, ErrorCode, TransportError, pb } from "../../core/index.js";
import type {
  AgentEvent,
  AgentEventHandler,
  HttpTaskSpec,
  LoadEvent,
  LoadSummary,
  SeriesHistograms,
  ShardDoneInit,
} from "../../core/index.js";
import type { TaskContext, TaskOutcome, TaskRunner } from "../tasks/types.js";
import { computeSeriesMetrics } from "./builtin-metrics.js";
import { httpSeriesSpec } from "./http-series.js";
import { RunMerger } from "./merger.js";
import type { LoadRunnerOptions, StoredRun } from "./options.js";
import { newRunId, planLoadShards, restoreShards, selectAgents } from "./plan.js";
import type { PlannedShard } from "./plan.js";
import { versionSnapshots } from "./snapshot.js";
import type { LoadSnapshotData } from "./snapshot.js";
import { describeRemainder, remainderShards } from "./redistribution.js";
import { control } from "./start.js";

export function createHttpLoadRunner(options: LoadRunnerOptions): TaskRunner<HttpTaskSpec> {
  return (spec, context) => runHttpLoad(spec, context, options);
}

async function runHttpLoad(spec: HttpTaskSpec, context: TaskContext, options: LoadRunnerOptions): Promise<TaskOutcome> {
  const { link } = options;
  const reportIntervalMs = options.reportIntervalMs ?? 1000;
  const controlTimeoutMs = options.controlTimeoutMs ?? 5000;
  const stateKey = options.state ? `${options.state.key}.t${context.entry.index}` : undefined;
  const stored = options.state && stateKey ? await options.state.store.load(stateKey) : undefined;
  const runId = stored?.runId ?? newRunId(context.experiment.name);
  const log = context.logger.child({ runId, task: context.entry.index });

  for (const version of spec.versions) context.addVersion(version.name);
  const series = httpSeriesSpec.series(spec);
  const shards: PlannedShard[] = stored
    ? restoreShards(stored, link.agents())
    : planLoadShards(spec, series, selectAgents(link.agents(), spec.agents), runId, { reportIntervalMs, options: httpSeriesSpec.shardOptions(spec) });

  const merger = new RunMerger();
  const events: LoadEvent[] = stored ? [...stored.events] : [];
  const lostAgents = new Set<string>();
  /** Agents that handed their shards back (draining); they get no share of a redistribution. */
  const departed = new Set<string>();
  /** Start times (coordinator clock) of shards started after the run, i.e. redistributed ones. */
  const shardStartAtMs = new Map<string, number>();
  let coordinatorCancelled = false;
  const abandoned = new Set<string>(stored ? stored.shards.filter((s) => s.abandoned).map((s) => s.shardId) : []);
  const background = new Set<Promise<void>>();
  let started = stored !== undefined;
  let startAtMs = stored?.startAtMs ?? 0;
  let redistributions = 0;
  for (const shard of shards) merger.expectShard(shard.agent.id, shard.shardId);
  const originalShards = [...shards];
  for (const shard of stored?.shards ?? []) {
    if (!shard.abandoned) continue;
    merger.abandonShard(shard.agentId, shard.shardId, shard.abandonedAfterSeq ?? Number.MAX_SAFE_INTEGER);
    merger.recordDone(pb.ShardDone.create({ runId, agentId: shard.agentId, shardId: shard.shardId, lastSeq: shard.abandonedAfterSeq ?? 0, outcome: "lost" }));
  }
  if (stored) {
    events.push({ time: new Date().toISOString(), type: "info", message: `coordinator restarted: resumed run ${runId}` });
    log.info({ shards: shards.length }, "resuming a stored run");
  }

  let wake: (() => void) | undefined;
  const notify = (): void => wake?.();
  const onEvent: AgentEventHandler = (event: AgentEvent) => {
    switch (event.type) {
      case "report": {
        if (event.runId !== undefined && event.runId !== runId) {
          event.ack(); // another run's report: not ours to decode (acked as before)
          break;
        }
        const report = decodeOrNull(() => pb.IntervalReport.decode(event.payload), log, event.agentId);
        if (report?.runId === runId) {
          const wasDone = merger.doneOf(report.agentId, report.shardId) !== undefined;
          // "after-abandon": the agent was declared lost but kept sending; that share was re-run by
          // others, so the report is not merged (the merger tallies it for the late-report event).
          const outcome = merger.mergeReport(report);
          if (outcome === "merged") {
            options.telemetry?.reportMerged(Math.max(0, Date.now() - Number(report.intervalEndMs)));
            if (wasDone) {
              events.push({ time: new Date().toISOString(), type: "late-report", agentId: report.agentId, message: `report ${report.seq} arrived after its shard finished; folded into the totals` });
            }
          } else if (outcome === "duplicate") {
            options.telemetry?.duplicateReport();
          }
          // Progress goes out on the 250 ms ticker, not per report: with 1,000 agents a per-report
          // event would cost more than the merge itself.
        }
        event.ack();
        break;
      }
      case "done": {
        if (event.runId !== undefined && event.runId !== runId) {
          event.ack();
          break;
        }
        const done = decodeOrNull(() => pb.ShardDone.decode(event.payload), log, event.agentId);
        if (done?.runId === runId) {
          merger.recordDone(done);
          if (done.outcome === "cancelled" && !coordinatorCancelled && !abandoned.has(done.shardId)) onHandedBack(done.agentId, done.shardId, done.errorMessage);
        }
        event.ack();
        break;
      }
      case "lost": {
        onLost(event.agentId, event.reason);
        break;
      }
      case "joined":
        break;
    }
    notify();
  };
  const unsubscribe = link.subscribe(onEvent);
  let stopReplay: (() => void) | undefined;

  const expectedRequests = spec.numRequests === undefined ? undefined : spec.numRequests * series.length;
  const expectedDurationMs = spec.numRequests === undefined ? (spec.durationMs ?? 0) : spec.qps > 0 ? (spec.numRequests / spec.qps) * 1000 : undefined;
  const startedMs = Date.now();
  function emitProgress(): void {
    const progress = merger.progress();
    context.emit({
      type: "progress",
      message: `${progress.requests} requests`,
      data: { ...progress, elapsedMs: Date.now() - startedMs, totalRequests: expectedRequests, totalMs: expectedDurationMs },
    });
  }

  let snapshotAtReports = 0;
  /** Once per report interval (and at the end): merged per-version metrics for watchers. */
  function emitSnapshot(force: boolean): void {
    const reportsMerged = merger.progress().reportsMerged;
    if (!force && reportsMerged === snapshotAtReports) return;
    snapshotAtReports = reportsMerged;
    const data: LoadSnapshotData = {
      elapsedMs: Date.now() - startedMs,
      ...(expectedRequests !== undefined ? { totalRequests: expectedRequests } : {}),
      ...(expectedDurationMs !== undefined ? { totalMs: expectedDurationMs } : {}),
      versions: versionSnapshots(merger.series.values()),
    };
    context.emit({ type: "snapshot", message: `${reportsMerged} reports merged`, data: data as unknown as Record<string, unknown> });
  }

  let interrupted = false;
  let resumeTimer: NodeJS.Timeout | undefined;
  try {
    if (stored) {
      stopReplay = await options.state?.store.replay(runId, onEvent);
      // Agents of the plan that do not come back after the restart are lost like any other.
      resumeTimer = setTimeout(() => {
        const present = new Set(link.agents().map((a) => a.id));
        for (const { agentId } of merger.pendingShards()) {
          if (!present.has(agentId)) onLost(agentId, "did not re-register after the coordinator restarted");
        }
        notify();
      }, options.state?.resumeGraceMs ?? 5000);
    } else {
      await Promise.all(
        shards.map((shard) =>
          control(link, shard.agent.id, { assign: { runId, shardId: shard.shardId, shard: shard.spec } }, controlTimeoutMs),
        ),
      );
      startAtMs = Date.now() + (options.startLeadMs ?? 150);
      await Promise.all(
        shards.map((shard) => control(link, shard.agent.id, { start: { runId, shardId: shard.shardId, startAtMs } }, controlTimeoutMs)),
      );
      started = true;
      await saveState("running");
      log.debug({ agents: shards.length, startAtMs }, "run started");
    }

    const ticker = setInterval(emitProgress, 250);
    const snapshotTicker = setInterval(() => emitSnapshot(false), reportIntervalMs);
    try {
      interrupted = await waitForCompletion();
    } finally {
      clearInterval(ticker);
      clearInterval(snapshotTicker);
      emitSnapshot(true);
    }
  } catch (error) {
    clearTimeout(resumeTimer);
    await cancelAll("run failed to start").catch(() => undefined);
    stopReplay?.();
    unsubscribe();
    throw error;
  }
  clearTimeout(resumeTimer);
  await Promise.allSettled([...background]);
  stopReplay?.();
  unsubscribe();
  await saveState("finished");

  // Results: what was measured, merged.
  const span = merger.timeSpan();
  const durationMs = span ? span.endMs - span.startMs : Date.now() - startedMs;
  const histograms: Record<string, Record<string, SeriesHistograms>> = { ...(context.result.histograms ?? {}) };
  const errorsByVersion: Record<string, Record<string, number>> = {};
  for (const aggregate of merger.series.values()) {
    const metrics = computeSeriesMetrics(aggregate, {
      percentiles: spec.percentiles,
      // Throughput over this series' own measured span (warm-up excluded, agents' clocks aligned).
      durationMs: merger.measuredSpanMs(aggregate.version, aggregate.endpoint) ?? durationMs,
      openModel: spec.loadModel === "open",
    });
    for (const [name, value] of Object.entries(metrics.values)) {
      const info = metrics.info[name];
      if (info) context.setMetric(aggregate.version, name, value, info);
    }
    for (const [name, info] of Object.entries(metrics.info)) {
      if (!(name in metrics.values) && info.type !== "histogram") context.setMetricError(aggregate.version, name, "no requests completed");
    }
    for (const [name, sample] of Object.entries(metrics.samples)) context.setMetricSample(aggregate.version, name, sample);
    histograms[aggregate.version] = { ...(histograms[aggregate.version] ?? {}), [metrics.prefix]: metrics.histograms };
    const errorsOfVersion = (errorsByVersion[aggregate.version] ??= {});
    for (const [message, count] of aggregate.errorMessages) errorsOfVersion[message] = (errorsOfVersion[message] ?? 0) + count;
  }
  context.setResultField("histograms", histograms);

  for (const ignored of merger.ignoredAfterAbandon()) {
    events.push({
      time: new Date().toISOString(),
      type: "late-report",
      agentId: ignored.agentId,
      message: `shard ${ignored.shardId}: ${ignored.requests} requests reported after the agent was declared lost were not counted (that share was re-run by other agents)`,
    });
  }
  const conservation = merger.checkConservation();
  if (!conservation.ok) log.error({ mismatches: conservation.mismatches }, "conservation check failed");
  const summary: LoadSummary = {
    agents: [...new Set(shards.map((s) => s.agent.id))],
    startSkewMs: redistributions > 0 ? originalSkewMs() : merger.startSkewMs(),
    durationMs,
    conservation,
    errors: errorsByVersion,
    events,
    reportsMerged: merger.progress().reportsMerged,
  };
  context.setResultField("load", summary);

  const participating = new Set(shards.map((s) => s.agent.id));
  if (lostAgents.size > 0 && [...participating].every((id) => lostAgents.has(id))) {
    throw new TransportError(ErrorCode.AgentLost, `all ${participating.size} agents were lost during the run; the requests measured before are kept in the result`);
  }
  if (interrupted) {
    throw new CancelledError(ErrorCode.Interrupted, "load interrupted; the requests measured so far are kept");
  }
  const progress = merger.progress();
  return {
    detail: {
      runId,
      agents: participating.size,
      series: series.length,
      requests: progress.requests,
      errors: progress.errors,
      durationMs,
      ...(lostAgents.size > 0 ? { lostAgents: [...lostAgents], redistributions } : {}),
    },
  };

  /** Resolves true when the wait ended because the experiment was cancelled. */
  async function waitForCompletion(): Promise<boolean> {
    const signal = context.signal;
    let cancelledAtMs: number | undefined;
    let allDoneAtMs: number | undefined;
    const onAbort = (): void => notify();
    signal.addEventListener("abort", onAbort);
    try {
      for (;;) {
        if (merger.isComplete()) return cancelledAtMs !== undefined;
        const pending = merger.pendingShards();
        const pendingAlive = pending.filter((s) => !lostAgents.has(s.agentId));
        if (pendingAlive.length === 0 && pending.length > 0) return cancelledAtMs !== undefined;
        // Every shard is done but some reports have not arrived: wait a little, then let the
        // conservation check name what is missing rather than hang.
        if (pending.length === 0) {
          allDoneAtMs ??= Date.now();
          if (Date.now() - allDoneAtMs > (options.missingReportGraceMs ?? 5000)) return cancelledAtMs !== undefined;
        }
        if (signal.aborted && cancelledAtMs === undefined) {
          cancelledAtMs = Date.now();
          await cancelAll("experiment cancelled").catch((error: unknown) => log.warn({ err: error }, "cancel failed"));
        }
        if (cancelledAtMs !== undefined && Date.now() - cancelledAtMs > (options.cancelGraceMs ?? 3000)) return true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, cancelledAtMs === undefined && allDoneAtMs === undefined ? 1000 : 100);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * An agent stopped a shard the coordinator did not cancel (it is draining on SIGTERM): its final
   * report and ShardDone hold exactly what it did, and the rest goes to the other agents, like a
   * lost agent's share, so the totals stay exact.
   */
  function onHandedBack(agentId: string, shardId: string, reason: string): void {
    const shard = shards.find((s) => s.agent.id === agentId && s.shardId === shardId);
    if (!shard || !started) return;
    departed.add(agentId);
    events.push({ time: new Date().toISOString(), type: "agent-drained", agentId, message: `agent handed back shard ${shardId}${reason ? ` (${reason})` : ""}` });
    log.info({ agentId, shardId }, "agent handed back its shard");
    track(redistribute([shard]));
  }

  async function cancelAll(reason: string): Promise<void> {
    coordinatorCancelled = true;
    await Promise.all(
      shards
        .filter((shard) => !merger.doneOf(shard.agent.id, shard.shardId) && !lostAgents.has(shard.agent.id) && !abandoned.has(shard.shardId))
        .map((shard) =>
          control(link, shard.agent.id, { cancel: { runId, shardId: shard.shardId, reason } }, controlTimeoutMs).catch((error: unknown) =>
            log.warn({ err: error, agentId: shard.agent.id }, "cancel not acknowledged"),
          ),
        ),
    );
  }

  /** Start skew of the shards planned at the start (redistributed shards start later by design). */
  function originalSkewMs(): number {
    const starts = originalShards
      .map((s) => merger.doneOf(s.agent.id, s.shardId))
      .filter((done) => Number(done?.startedAtMs ?? 0) > 0)
      .map((done) => Number(done?.startedAtMs) + Number(done?.clockOffsetMs ?? 0));
    return starts.length < 2 ? 0 : Math.max(...starts) - Math.min(...starts);
  }

  /** An agent of this run is gone: record it, close its shards with what was merged, hand on the rest. */
  function onLost(agentId: string, reason: string): void {
    if (!shards.some((s) => s.agent.id === agentId) || lostAgents.has(agentId)) return;
    lostAgents.add(agentId);
    events.push({ time: new Date().toISOString(), type: "agent-lost", agentId, message: reason });
    log.warn({ agentId, reason }, "agent lost during run");
    if (!started) return;
    // Best effort: if the agent is only cut off, stop its shards (its dead-man switch would too).
    const orphans = shards.filter((s) => s.agent.id === agentId && !merger.doneOf(agentId, s.shardId) && !abandoned.has(s.shardId));
    for (const shard of orphans) {
      void control(link, agentId, { cancel: { runId, shardId: shard.shardId, reason: "declared lost" } }, 1000).catch(() => undefined);
      abandon(shard);
    }
    if (orphans.length > 0) track(redistribute(orphans));
  }

  /** Closes a shard with a synthetic ShardDone holding exactly what its merged reports counted. */
  function abandon(shard: PlannedShard): void {
    abandoned.add(shard.shardId);
    const merged = merger.mergedCounts(shard.agent.id, shard.shardId);
    merger.abandonShard(shard.agent.id, shard.shardId, merged.maxSeq);
    const done: ShardDoneInit = {
      runId,
      agentId: shard.agent.id,
      shardId: shard.shardId,
      lastSeq: merged.maxSeq,
      totals: [...merged.bySeries.values()],
      outcome: "lost",
    };
    merger.recordDone(pb.ShardDone.create(done));
  }

  function track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => log.error({ err: error }, "redistribution failed"))
      .finally(() => {
        background.delete(tracked);
        notify();
      });
    background.add(tracked);
  }

  /** Gives the unfinished part of `lost` shards to the surviving agents of this run, as new shards. */
  async function redistribute(lost: readonly PlannedShard[]): Promise<void> {
    const alive = new Set(link.agents().map((a) => a.id));
    const survivors = [
      ...new Map(shards.filter((s) => !lostAgents.has(s.agent.id) && !departed.has(s.agent.id) && alive.has(s.agent.id)).map((s) => [s.agent.id, s.agent])).values(),
    ];
    if (survivors.length === 0) {
      events.push({ time: new Date().toISOString(), type: "degraded", message: "no surviving agent to take over the lost share" });
      return;
    }
    const nowMs = Date.now();
    const fresh: PlannedShard[] = [];
    for (const shard of lost) {
      const counted = merger.mergedCounts(shard.agent.id, shard.shardId).bySeries;
      // A shard that itself took over a share started later than the run: its own start counts.
      const parts = remainderShards(shard.spec, counted, survivors, { startAtMs: shardStartAtMs.get(shard.shardId) ?? startAtMs, nowMs });
      parts.forEach((part) => {
        redistributions++;
        fresh.push({ agent: part.agent, shardId: `${shard.shardId}~r${redistributions}`, spec: part.spec });
      });
      const what = parts.length === 0 ? "nothing left to redistribute" : `${describeRemainder(shard.spec, counted, nowMs - startAtMs)} moved to ${parts.map((p) => p.agent.id).join(", ")}`;
      events.push({ time: new Date().toISOString(), type: "redistributed", agentId: shard.agent.id, message: `shard ${shard.shardId}: ${what}` });
    }
    for (const shard of fresh) {
      merger.expectShard(shard.agent.id, shard.shardId);
      shards.push(shard);
    }
    if (fresh.length === 0) return;
    await saveState("running");
    const launch = async (shard: PlannedShard): Promise<void> => {
      try {
        await control(link, shard.agent.id, { assign: { runId, shardId: shard.shardId, shard: shard.spec } }, controlTimeoutMs);
        const shardStartMs = Date.now() + (options.startLeadMs ?? 150);
        shardStartAtMs.set(shard.shardId, shardStartMs);
        await control(link, shard.agent.id, { start: { runId, shardId: shard.shardId, startAtMs: shardStartMs } }, controlTimeoutMs);
      } catch (error) {
        if (lostAgents.has(shard.agent.id)) return;
        abandon(shard);
        const message = `agent ${shard.agent.id} did not take over shard ${shard.shardId} (${error instanceof Error ? error.message : String(error)}); its share is missing from the result`;
        events.push({ time: new Date().toISOString(), type: "degraded", agentId: shard.agent.id, message });
        log.error({ err: error, agentId: shard.agent.id }, "redistributed shard could not start");
      }
    };
    await Promise.all(fresh.map(launch));
    log.info({ shards: fresh.map((s) => s.shardId) }, "lost share redistributed");
  }

  async function saveState(status: StoredRun["status"]): Promise<void> {
    if (!options.state || !stateKey) return;
    const run: StoredRun = {
      runId,
      startAtMs,
      status,
      shards: shards.map((s) => ({
        agentId: s.agent.id,
        shardId: s.shardId,
        spec: Buffer.from(pb.ShardSpec.encode(s.spec).finish()).toString("base64"),
        ...(abandoned.has(s.shardId) ? { abandoned: true, abandonedAfterSeq: merger.mergedCounts(s.agent.id, s.shardId).maxSeq } : {}),
      })),
      events,
    };
    await options.state.store.save(stateKey, run).catch((error: unknown) => log.error({ err: error }, "could not store the run state"));
  }
}


function decodeOrNull<T>(decode: () => T, log: TaskContext["logger"], agentId: string): T | null {
  try {
    return decode();
  } catch (error) {
    log.warn({ err: error, agentId, code: ErrorCode.MalformedMessage }, "dropping a malformed message from an agent");
    return null;
  }
}
