/**
 * One load task as a distributed run, for any protocol (its SeriesSpec, series.ts): plan the shards
 * (plan.ts), pass the start barrier (start.ts), merge the agents' reports as they arrive, hand a
 * lost agent's share to the survivors (redistribution.ts), wait until every shard is done, and
 * record the results (results.ts). With a RunStateStore the plan is stored, so a restarted
 * coordinator re-attaches to the same run and rebuilds the merge by replaying the run's reports.
 * When the link goes down (closed, or NATS unreachable beyond its grace) the run ends at once with
 * a TransportError; what was merged is kept in the result, marked incomplete.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, decodeMessage, pb } from "../../core/index.js";
import type { AgentEvent, AgentEventHandler, AgentLink, Logger } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { RunBooks } from "./books.js";
import { loadRunSettings } from "./options.js";
import type { LoadRunnerOptions, LoadRunSettings, StoredRun } from "./options.js";
import { newRunId, planLoadShards, restoreShards, selectAgents } from "./plan.js";
import { RunProgress } from "./progress.js";
import { Redistribution } from "./redistribution.js";
import { loadOutcome, recordResults } from "./results.js";
import type { LoadShape, SeriesSpec } from "./series.js";
import { ShardControl } from "./start.js";

/**
 * Runs one load task of any protocol to its end: resumes the run stored for this task when there is
 * one, else plans a new one.
 */
export async function runLoad<S extends LoadShape>(seriesSpec: SeriesSpec<S>, spec: S, context: TaskContext, options: LoadRunnerOptions): Promise<TaskOutcome> {
  const stateKey = stateKeyOf(options, context);
  const stored = options.state && stateKey ? await options.state.store.load(stateKey) : undefined;
  return new LoadRun(seriesSpec, spec, context, options, stored).execute();
}

/** Where a task's plan is stored: `<key>.t<task index>`. */
function stateKeyOf(options: LoadRunnerOptions, context: TaskContext): string | undefined {
  return options.state ? `${options.state.key}.t${context.entry.index}` : undefined;
}

/** A load run: planned (or restored) when constructed; `execute()` runs it. */
export class LoadRun<S extends LoadShape> {
  readonly runId: string;
  readonly books: RunBooks;
  private readonly settings: LoadRunSettings;
  private readonly link: AgentLink;
  private readonly log: Logger;
  private readonly seriesCount: number;
  private readonly shardControl: ShardControl;
  private readonly redistribution: Redistribution;
  private readonly stateKey: string | undefined;
  private wake: (() => void) | undefined;
  /** Why the agent link went down during the run, if it did. */
  private linkDown: string | undefined;

  constructor(
    private readonly seriesSpec: SeriesSpec<S>,
    private readonly spec: S,
    private readonly context: TaskContext,
    private readonly options: LoadRunnerOptions,
    private readonly stored: StoredRun | undefined,
  ) {
    this.settings = loadRunSettings(options);
    this.link = options.link;
    this.stateKey = stateKeyOf(options, context);
    this.runId = stored?.runId ?? newRunId(context.experiment.name);
    this.log = context.logger.child({ runId: this.runId, task: context.entry.index });
    for (const version of spec.versions) context.addVersion(version.name);
    const series = seriesSpec.series(spec);
    this.seriesCount = series.length;
    const shards = stored
      ? restoreShards(stored, this.link.agents())
      : planLoadShards(spec, series, selectAgents(this.link.agents(), spec.agents), this.runId, {
          reportIntervalMs: this.settings.reportIntervalMs,
          // Agents check every connection (target, redirects) against the service's allow-list.
          options: { ...seriesSpec.shardOptions(spec), allowedTargets: [...(context.policy.egress?.guard.allowList.patterns ?? [])] },
        });
    this.books = new RunBooks(this.runId, shards, stored);
    if (stored) {
      this.books.event("info", `coordinator restarted: resumed run ${this.runId}`);
      this.log.info({ shards: shards.length }, "resuming a stored run");
    }
    this.shardControl = new ShardControl(this.link, this.runId, this.settings);
    this.redistribution = new Redistribution(this.books, this.shardControl, this.link, this.log, {
      save: () => this.saveState("running"),
      notify: () => this.notify(),
    });
  }

  /** Runs the load to its end and records the results; see loadOutcome for how it fails. */
  async execute(): Promise<TaskOutcome> {
    // While the run is claimed, the link's heartbeat replies keep its shards alive on the agents.
    const unclaim = this.link.claimRun?.(this.runId) ?? ((): void => undefined);
    const unsubscribeEvents = this.link.subscribe(this.onEvent);
    const unsubscribe = (): void => {
      unclaim();
      unsubscribeEvents();
    };
    const progress = new RunProgress(this.books.merger, this.context, this.spec, this.seriesCount);
    let stopReplay: (() => void) | undefined;
    let resumeTimer: NodeJS.Timeout | undefined;
    let interrupted = false;
    try {
      if (this.stored) {
        stopReplay = await this.options.state?.store.replay(this.runId, this.onEvent);
        resumeTimer = this.expectResumedAgents();
      } else {
        this.books.startAtMs = await this.shardControl.startTogether(this.books.shards);
        this.books.started = true;
        await this.saveState("running");
        this.log.debug({ agents: this.books.shards.length, startAtMs: this.books.startAtMs }, "run started");
      }
      progress.start(this.settings.reportIntervalMs);
      try {
        interrupted = await this.waitForCompletion();
      } finally {
        progress.stop();
      }
    } catch (error) {
      clearTimeout(resumeTimer);
      await this.cancelAll("run failed to start").catch(() => undefined);
      stopReplay?.();
      unsubscribe();
      throw error;
    }
    clearTimeout(resumeTimer);
    await this.redistribution.settled();
    progress.final(!interrupted && this.linkDown === undefined);
    stopReplay?.();
    unsubscribe();
    // A plan left "running" when the link went down can still be resumed by a coordinator that
    // reaches NATS again with the same state id.
    if (this.linkDown === undefined) await this.saveState("finished");
    const durationMs = recordResults(this.books, { spec: this.spec, seriesSpec: this.seriesSpec, context: this.context, startedMs: progress.startedMs, log: this.log });
    if (this.linkDown !== undefined) this.context.setResultField("incomplete", true);
    return loadOutcome(this.books, { seriesCount: this.seriesCount, durationMs, interrupted, linkDown: this.linkDown, warmup: this.spec.warmup === true });
  }

  /** Agents of a resumed plan that do not come back after the restart are lost like any other. */
  private expectResumedAgents(): NodeJS.Timeout {
    return setTimeout(() => {
      const present = new Set(this.link.agents().map((a) => a.id));
      for (const { agentId } of this.books.merger.pendingShards()) {
        if (!present.has(agentId)) this.redistribution.onLost(agentId, "did not re-register after the coordinator restarted");
      }
      this.notify();
    }, this.settings.resumeGraceMs);
  }

  private notify(): void {
    this.wake?.();
  }

  private readonly onEvent: AgentEventHandler = (event: AgentEvent) => {
    switch (event.type) {
      case "report":
        this.onReport(event);
        break;
      case "done":
        this.onDone(event);
        break;
      case "lost":
        this.redistribution.onLost(event.agentId, event.reason);
        break;
      case "link-down":
        this.onLinkDown(event.reason);
        break;
      case "joined":
        break;
    }
    this.notify();
  };

  private onLinkDown(reason: string): void {
    if (this.linkDown !== undefined) return;
    this.linkDown = reason;
    this.books.event("degraded", `lost the link to the agents (${reason}); the run ends with what was merged`);
    this.log.error({ reason }, "agent link down: ending the run with what was merged");
  }

  private onReport(event: Extract<AgentEvent, { type: "report" }>): void {
    if (event.runId !== undefined && event.runId !== this.runId) {
      event.ack(); // another run's report: not ours to decode (acked as before)
      return;
    }
    const report = this.decodeOrNull(() => decodeMessage(pb.IntervalReport, "IntervalReport", event.payload), event.agentId);
    if (report?.runId === this.runId) {
      const { merger } = this.books;
      const wasDone = merger.doneOf(report.agentId, report.shardId) !== undefined;
      // "after-abandon": the agent was declared lost but kept sending; that share was re-run by
      // others, so the report is not merged (the merger tallies it for the late-report event).
      const outcome = merger.mergeReport(report);
      if (outcome === "merged") {
        this.options.telemetry?.reportMerged(Math.max(0, Date.now() - Number(report.intervalEndMs)));
        if (wasDone) this.books.event("late-report", `report ${report.seq} arrived after its shard finished; folded into the totals`, report.agentId);
      } else if (outcome === "duplicate") {
        this.options.telemetry?.duplicateReport();
      }
    }
    event.ack();
  }

  private onDone(event: Extract<AgentEvent, { type: "done" }>): void {
    if (event.runId !== undefined && event.runId !== this.runId) {
      event.ack();
      return;
    }
    const done = this.decodeOrNull(() => decodeMessage(pb.ShardDone, "ShardDone", event.payload), event.agentId);
    if (done?.runId === this.runId) {
      const { books } = this;
      books.merger.recordDone(done);
      if (done.outcome === "cancelled" && !books.coordinatorCancelled && !books.abandoned.has(done.shardId)) {
        this.redistribution.onHandedBack(done.agentId, done.shardId, done.errorMessage);
      }
    }
    event.ack();
  }

  /** Resolves true when the wait ended because the experiment was cancelled. */
  private async waitForCompletion(): Promise<boolean> {
    const { signal } = this.context;
    const { merger, lostAgents } = this.books;
    let cancelledAtMs: number | undefined;
    let allDoneAtMs: number | undefined;
    const onAbort = (): void => this.notify();
    signal.addEventListener("abort", onAbort);
    try {
      for (;;) {
        if (merger.isComplete()) return cancelledAtMs !== undefined;
        if (this.linkDown !== undefined) return cancelledAtMs !== undefined || signal.aborted;
        const pending = merger.pendingShards();
        const pendingAlive = pending.filter((s) => !lostAgents.has(s.agentId));
        if (pendingAlive.length === 0 && pending.length > 0) return cancelledAtMs !== undefined;
        // Every shard is done but some reports have not arrived: wait a little, then let the
        // conservation check name what is missing rather than hang.
        if (pending.length === 0) {
          allDoneAtMs ??= Date.now();
          if (Date.now() - allDoneAtMs > this.settings.missingReportGraceMs) return cancelledAtMs !== undefined;
        }
        if (signal.aborted && cancelledAtMs === undefined) {
          cancelledAtMs = Date.now();
          await this.cancelAll("experiment cancelled").catch((error: unknown) => this.log.warn({ err: error }, "cancel failed"));
        }
        if (cancelledAtMs !== undefined && Date.now() - cancelledAtMs > this.settings.cancelGraceMs) return true;
        await this.pause(cancelledAtMs === undefined && allDoneAtMs === undefined ? 1000 : 100);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Sleeps `ms`, or less when an agent event (or an abort) wakes the run. */
  private async pause(ms: number): Promise<void> {
    const woken = new AbortController();
    this.wake = () => woken.abort();
    await sleep(ms, undefined, { signal: woken.signal }).catch(() => undefined);
    this.wake = undefined;
  }

  private async cancelAll(reason: string): Promise<void> {
    this.books.coordinatorCancelled = true;
    await Promise.all(
      this.books.runningShards().map((shard) =>
        this.shardControl.cancel(shard, reason).catch((error: unknown) => this.log.warn({ err: error, agentId: shard.agent.id }, "cancel not acknowledged")),
      ),
    );
  }

  private async saveState(status: StoredRun["status"]): Promise<void> {
    if (!this.options.state || !this.stateKey) return;
    await this.options.state.store.save(this.stateKey, this.books.stored(status)).catch((error: unknown) => this.log.error({ err: error }, "could not store the run state"));
  }

  private decodeOrNull<T>(decode: () => T, agentId: string): T | null {
    try {
      return decode();
    } catch (error) {
      this.log.warn({ err: error, agentId, code: ErrorCode.MalformedMessage }, "dropping a malformed message from an agent");
      return null;
    }
  }
}
