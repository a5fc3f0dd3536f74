/**
 * The `http` task as a distributed run: pick agents, split every series into shards that sum
 * exactly to the totals, assign, agree on a start time, merge interval reports as they arrive, and
 * turn the merged aggregates into Iter8's built-in metrics.
 */
import {
  CancelledError,
  ConfigurationError,
  ErrorCode,
  TransportError,
  ValidationError,
  pb,
} from "../../core/index.js";
import type {
  AgentEvent,
  AgentInfo,
  AgentLink,
  AgentSelection,
  ControlInit,
  HttpRequestSpec,
  HttpTaskSpec,
  LoadEvent,
  LoadSummary,
  SeriesHistograms,
  SeriesLoadInit,
  ShardSpecInit,
} from "../../core/index.js";
import type { TaskContext, TaskOutcome, TaskRunner } from "../tasks/types.js";
import { computeSeriesMetrics } from "./builtin-metrics.js";
import { RunMerger } from "./merger.js";
import { versionSnapshots } from "./snapshot.js";
import type { LoadSnapshotData } from "./snapshot.js";
import { participants, splitInteger, splitRate } from "./sharding.js";

export interface LoadRunnerOptions {
  readonly link: AgentLink;
  /** Interval between agents' reports (default 1000 ms). */
  readonly reportIntervalMs?: number;
  /** How long an agent has to answer a control message (default 5000 ms). */
  readonly controlTimeoutMs?: number;
  /** How far in the future the common start time is set (default 150 ms). */
  readonly startLeadMs?: number;
  /** After a cancel, how long to wait for agents' final reports (default 3000 ms). */
  readonly cancelGraceMs?: number;
  /** Once every shard is done, how long to wait for reports still in flight (default 5000 ms). */
  readonly missingReportGraceMs?: number;
}

/** One stream of requests: a version, or one endpoint of a version. */
interface Series {
  readonly version: string;
  readonly endpoint: string;
  readonly request: HttpRequestSpec;
}

interface PlannedShard {
  readonly agent: AgentInfo;
  readonly shardId: string;
  readonly spec: ShardSpecInit;
}

let runCounter = 0;

export function createHttpLoadRunner(options: LoadRunnerOptions): TaskRunner<HttpTaskSpec> {
  return (spec, context) => runHttpLoad(spec, context, options);
}

async function runHttpLoad(spec: HttpTaskSpec, context: TaskContext, options: LoadRunnerOptions): Promise<TaskOutcome> {
  const { link } = options;
  const reportIntervalMs = options.reportIntervalMs ?? 1000;
  const controlTimeoutMs = options.controlTimeoutMs ?? 5000;
  const runId = `${sanitize(context.experiment.name)}-${process.pid}-${Date.now().toString(36)}-${++runCounter}`;
  const log = context.logger.child({ runId, task: context.entry.index });

  for (const version of spec.versions) context.addVersion(version.name);
  const series = listSeries(spec);
  const agents = selectAgents(link.agents(), spec.agents);
  const shards = planShards(spec, series, agents, runId, reportIntervalMs);

  const merger = new RunMerger();
  const events: LoadEvent[] = [];
  const lostAgents = new Set<string>();
  for (const shard of shards) merger.expectShard(shard.agent.id, shard.shardId);

  let wake: (() => void) | undefined;
  const notify = (): void => wake?.();
  const unsubscribe = link.subscribe((event: AgentEvent) => {
    switch (event.type) {
      case "report": {
        const report = decodeOrNull(() => pb.IntervalReport.decode(event.payload), log, event.agentId);
        if (report?.runId === runId) {
          if (merger.doneOf(report.agentId, report.shardId)) {
            events.push({ time: new Date().toISOString(), type: "late-report", agentId: report.agentId, message: `report ${report.seq} arrived after its shard finished; folded into the totals` });
          }
          merger.mergeReport(report);
          emitProgress();
        }
        event.ack();
        break;
      }
      case "done": {
        const done = decodeOrNull(() => pb.ShardDone.decode(event.payload), log, event.agentId);
        if (done?.runId === runId) merger.recordDone(done);
        event.ack();
        break;
      }
      case "lost": {
        if (shards.some((s) => s.agent.id === event.agentId) && !lostAgents.has(event.agentId)) {
          lostAgents.add(event.agentId);
          events.push({ time: new Date().toISOString(), type: "agent-lost", agentId: event.agentId, message: event.reason });
          log.warn({ agentId: event.agentId, reason: event.reason }, "agent lost during run");
        }
        break;
      }
      case "joined":
        break;
    }
    notify();
  });

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

  let snapshotAtReports = -1;
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
  try {
    await Promise.all(
      shards.map((shard) =>
        control(link, shard.agent.id, { assign: { runId, shardId: shard.shardId, shard: shard.spec } }, controlTimeoutMs),
      ),
    );
    const startAtMs = Date.now() + (options.startLeadMs ?? 150);
    await Promise.all(
      shards.map((shard) => control(link, shard.agent.id, { start: { runId, shardId: shard.shardId, startAtMs } }, controlTimeoutMs)),
    );
    log.debug({ agents: shards.length, startAtMs }, "run started");

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
    await cancelAll("run failed to start").catch(() => undefined);
    unsubscribe();
    throw error;
  }
  unsubscribe();

  // Results: what was measured, merged.
  const span = merger.timeSpan();
  const durationMs = span ? span.endMs - span.startMs : Date.now() - startedMs;
  const histograms: Record<string, Record<string, SeriesHistograms>> = { ...(context.result.histograms ?? {}) };
  const errorsByVersion: Record<string, Record<string, number>> = {};
  for (const aggregate of merger.series.values()) {
    const metrics = computeSeriesMetrics(aggregate, {
      percentiles: spec.percentiles,
      durationMs,
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

  const conservation = merger.checkConservation();
  if (!conservation.ok) log.error({ mismatches: conservation.mismatches }, "conservation check failed");
  const summary: LoadSummary = {
    agents: shards.map((s) => s.agent.id),
    startSkewMs: merger.startSkewMs(),
    durationMs,
    conservation,
    errors: errorsByVersion,
    events,
    reportsMerged: merger.progress().reportsMerged,
  };
  context.setResultField("load", summary);

  if (lostAgents.size > 0 && lostAgents.size === shards.length) {
    throw new TransportError(ErrorCode.AgentLost, `all ${shards.length} agents were lost during the run`);
  }
  if (interrupted) {
    throw new CancelledError(ErrorCode.Interrupted, "load interrupted; the requests measured so far are kept");
  }
  const progress = merger.progress();
  return {
    detail: {
      runId,
      agents: shards.length,
      series: series.length,
      requests: progress.requests,
      errors: progress.errors,
      durationMs,
      ...(lostAgents.size > 0 ? { lostAgents: [...lostAgents] } : {}),
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

  async function cancelAll(reason: string): Promise<void> {
    await Promise.all(
      shards
        .filter((shard) => !merger.doneOf(shard.agent.id, shard.shardId) && !lostAgents.has(shard.agent.id))
        .map((shard) =>
          control(link, shard.agent.id, { cancel: { runId, shardId: shard.shardId, reason } }, controlTimeoutMs).catch((error: unknown) =>
            log.warn({ err: error, agentId: shard.agent.id }, "cancel not acknowledged"),
          ),
        ),
    );
  }
}

function listSeries(spec: HttpTaskSpec): Series[] {
  return spec.versions.flatMap((version) => {
    const endpoints = Object.entries(version.endpoints);
    if (endpoints.length === 0) return [{ version: version.name, endpoint: "", request: version.request }];
    return endpoints.map(([endpoint, request]) => ({ version: version.name, endpoint, request }));
  });
}

/** The agents a task may use, per its `agents:` field (a count or a label selector). */
export function selectAgents(available: readonly AgentInfo[], selection: AgentSelection | undefined): AgentInfo[] {
  const sorted = [...available].sort((a, b) => a.id.localeCompare(b.id));
  if (sorted.length === 0) {
    throw new ConfigurationError(ErrorCode.NoAgents, "no agents are available to generate load", {
      suggestion: "start agents with `assay agent --nats URL`, or run without --nats to use local agents",
    });
  }
  if (!selection) return sorted;
  if (selection.kind === "count") {
    if (selection.count > sorted.length) {
      throw new ConfigurationError(ErrorCode.NoAgents, `the task asks for ${selection.count} agents but only ${sorted.length} are available`);
    }
    return sorted.slice(0, selection.count);
  }
  const matching = sorted.filter((agent) => Object.entries(selection.labels).every(([key, value]) => agent.labels[key] === value));
  if (matching.length === 0) {
    const wanted = Object.entries(selection.labels).map(([k, v]) => `${k}=${v}`).join(",");
    throw new ConfigurationError(ErrorCode.NoAgents, `no agent matches the selector ${wanted} (${sorted.length} agents available)`);
  }
  return matching;
}

/**
 * Splits every series across agents: requests, warm-up requests and connections as integers that
 * sum exactly to the totals, rates in proportion to capacity. Series are rotated over the agents so
 * that small series do not all land on the first agent.
 */
export function planShards(
  spec: HttpTaskSpec,
  series: readonly Series[],
  agents: readonly AgentInfo[],
  runId: string,
  reportIntervalMs: number,
): PlannedShard[] {
  const perAgent = new Map<string, SeriesLoadInit[]>();
  series.forEach((item, index) => {
    const count = participants(agents.length, spec.connections, spec.numRequests);
    const chosen = Array.from({ length: count }, (_, k) => agents[(index + k) % agents.length]).filter(
      (agent): agent is AgentInfo => agent !== undefined,
    );
    const weights = chosen.map((agent) => Math.max(1, agent.capacity));
    const requestShares = spec.numRequests === undefined ? undefined : splitInteger(spec.numRequests, weights);
    const active = chosen.filter((_, k) => requestShares === undefined || (requestShares[k] ?? 0) > 0);
    const activeWeights = active.map((agent) => Math.max(1, agent.capacity));
    const activeRequests = requestShares?.filter((share) => share > 0);
    const warmupShares = spec.warmupNumRequests ? splitInteger(spec.warmupNumRequests, activeWeights) : undefined;
    const connectionShares = splitInteger(spec.connections - active.length, activeWeights).map((extra) => extra + 1);
    const rateShares = splitRate(spec.qps, activeWeights);
    const stageShares = spec.stages.map((stage) => splitRate(stage.qps, activeWeights));
    active.forEach((agent, k) => {
      const load: SeriesLoadInit = {
        version: item.version,
        endpoint: item.endpoint,
        request: {
          url: item.request.url,
          method: item.request.method,
          headers: Object.entries(item.request.headers).map(([name, value]) => ({ name, value })),
          ...(item.request.body ? { body: item.request.body } : {}),
          ...(item.request.contentType ? { contentType: item.request.contentType } : {}),
        },
        model:
          spec.loadModel === "open"
            ? { open: { qps: rateShares[k] ?? 0, stages: spec.stages.map((stage, s) => ({ durationMs: stage.durationMs, qps: stageShares[s]?.[k] ?? 0 })) } }
            : { closed: { maxQps: rateShares[k] ?? 0 } },
        numRequests: activeRequests?.[k] ?? 0,
        warmupNumRequests: warmupShares?.[k] ?? 0,
        connections: connectionShares[k] ?? 1,
      };
      const list = perAgent.get(agent.id) ?? [];
      list.push(load);
      perAgent.set(agent.id, list);
    });
  });
  const stagesDurationMs = spec.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  const durationMs = spec.numRequests !== undefined ? 0 : (spec.durationMs ?? stagesDurationMs);
  return agents
    .filter((agent) => perAgent.has(agent.id))
    .map((agent) => ({
      agent,
      shardId: `${runId}/${agent.id}`,
      spec: {
        series: perAgent.get(agent.id) ?? [],
        durationMs,
        warmupDurationMs: spec.warmupDurationMs ?? 0,
        reportIntervalMs,
        requestTimeoutMs: spec.timeoutMs,
        insecureSkipVerify: spec.insecureSkipVerify,
        followRedirects: spec.followRedirects,
        maxRedirects: spec.followRedirects ? 10 : 0,
        errorRanges: spec.errorRanges.map((range) => ({ lower: range.lower ?? 0, upper: range.upper ?? 0 })),
      },
    }));
}

async function control(link: AgentLink, agentId: string, message: ControlInit, timeoutMs: number): Promise<void> {
  const replyBytes = await link.control(agentId, pb.Control.encode(message).finish(), timeoutMs);
  const reply = pb.ControlReply.decode(replyBytes);
  if (!reply.ok) {
    const what = Object.keys(message)[0] ?? "control";
    const text = `agent ${agentId} refused ${what}: ${reply.errorMessage || reply.errorCode}`;
    if (reply.errorCode.startsWith("EXPERIMENT_")) throw new ValidationError(reply.errorCode, text);
    throw new TransportError(reply.errorCode || ErrorCode.ControlTimeout, text);
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

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40) || "experiment";
}
