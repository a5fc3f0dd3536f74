/**
 * The experiments of a long-running coordinator: checked at submit, queued in submission order,
 * run `concurrency` at a time against the agent link, persisted at every state change, followed
 * live through per-experiment event channels, cancelled on request.
 */
import { randomBytes } from "node:crypto";
import {
  ErrorCode,
  ValidationError,
  api,
  parseExperimentText,
  toAssayError,
  withDeadline,
} from "../../core/index.js";
import type { AgentEvent, AgentLink, Experiment, Logger, ResolveAll, ResultDocument } from "../../core/index.js";
import { IsolatedParser } from "../isolation/index.js";
import type { IsolatedParseLimits } from "../isolation/index.js";
import { checkRunnable, runExperiment } from "../runner/run-experiment.js";
import type { RunEvent } from "../runner/run-experiment.js";
import { createHttpLoadRunner } from "../load/load-task.js";
import type { LoadTelemetry, RunStateStore } from "../load/options.js";
import { createAssessRunner } from "../tasks/assess.js";
import type { BayesianAssessor } from "../tasks/assess.js";
import type { RunnerPolicy, TaskRunners } from "../tasks/types.js";
import { loopPlanOf } from "../runner/schedule.js";
import type { LoopSettings } from "../runner/schedule.js";
import type { CoordinatorConfig } from "./config.js";
import { EventChannel } from "./events.js";
import type { EventBody, WatchSink, Watcher } from "./events.js";
import { completedTasks, watchEventOf, withAssessmentEvent } from "./feed.js";
import { countRestart } from "./poison.js";
import { claimStoredRuns } from "./resume-claims.js";
import { createServicePolicy } from "./service-policy.js";
import type { ServiceConfig, ServicePolicy } from "./service-policy.js";
import { LoopSlots } from "./scheduler.js";
import type { ExperimentRecord, ExperimentStore } from "./store.js";

const State = api.ExperimentState;
type State = api.ExperimentState__Output;

const TERMINAL: readonly State[] = [State.EXPERIMENT_STATE_COMPLETED, State.EXPERIMENT_STATE_FAILED, State.EXPERIMENT_STATE_CANCELLED];

export interface ExperimentManagerOptions {
  readonly link: AgentLink;
  readonly store: ExperimentStore;
  readonly config: ServiceConfig & Pick<CoordinatorConfig, "concurrency"> & Partial<Pick<CoordinatorConfig, "parseTimeoutMs" | "maxRestarts">>;
  readonly logger: Logger;
  /** How the allow-list resolves names (tests); default dns.lookup. */
  readonly resolve?: ResolveAll;
  /** Runners for tasks beyond http and assess (actions, custom metrics). */
  readonly runners?: TaskRunners;
  readonly bayesian?: BayesianAssessor;
  readonly policy?: Partial<RunnerPolicy>;
  /** Agents' report interval (default 1000 ms): one metrics event per interval. */
  readonly reportIntervalMs?: number;
  /** Events kept per experiment for resuming watchers (default 1024). */
  readonly ringSize?: number;
  /** Events queued per watcher before it skips to a snapshot (default 256). */
  readonly watcherBuffer?: number;
  /** How long Cancel waits for a running experiment to stop (default 5000 ms). */
  readonly cancelWaitMs?: number;
  /**
   * Where load tasks store their run plans (NATS key-value). With it, an experiment that was
   * running when the coordinator stopped is resumed after a restart (its load task re-attaches to
   * the run in flight and replays the reports stream) instead of being marked failed.
   */
  readonly runState?: RunStateStore;
  /** Operator metrics: merged reports and experiments finished, by outcome. */
  readonly telemetry?: ManagerTelemetry;
  /** Restarts of the coordinator during one experiment after which it is failed, not resumed (default 3). */
  readonly maxRestarts?: number;
  /** Budget of parsing a submitted (or restored) experiment in its worker thread (coordinator/isolation). */
  readonly parseLimits?: Partial<IsolatedParseLimits>;
}

export interface ManagerTelemetry extends LoadTelemetry {
  experimentFinished(outcome: "completed" | "failed" | "cancelled"): void;
}

export interface SubmitInput {
  readonly experimentYaml: string;
  readonly sourceName: string;
  readonly overrides: readonly string[];
  readonly submittedBy: string;
  /** `--loops`, `--interval`, `--schedule` (scheduler.ts); absent = one run. */
  readonly loops?: LoopSettings | undefined;
}

interface Entry {
  record: ExperimentRecord;
  experiment: Experiment | undefined;
  channel: EventChannel;
  tasks: api.TaskState[];
  metrics: api.MetricsSnapshot | undefined;
  /** The runner's live result document while running. */
  liveResult: ResultDocument | undefined;
  controller: AbortController | undefined;
  cancelRequested: boolean;
  done: Promise<void> | undefined;
  /** A loop's result being stored (the final store waits for it: both write one file). */
  storingLoop?: Promise<void>;
}

export class ExperimentManager {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: Entry[] = [];
  private readonly running = new Set<Entry>();
  private nextOrder = 1;
  private stopping = false;
  private unsubscribe: (() => void) | undefined;
  private readonly runners: TaskRunners;
  private readonly log: Logger;
  private readonly parser: IsolatedParser;
  /** Runs of resumed experiments, claimed from the restore until the experiment ends. */
  private readonly resumeClaims = new Map<Entry, () => void>();
  private readonly service: ServicePolicy;
  private readonly slots: LoopSlots;

  private constructor(private readonly options: ExperimentManagerOptions) {
    this.log = options.logger.child({ component: "experiments" });
    this.parser = new IsolatedParser(options.parseLimits);
    this.service = createServicePolicy(options.config, options.policy, options.resolve ? { resolve: options.resolve } : {});
    this.slots = new LoopSlots(options.config.concurrency, () => this.running.size, () => this.pump());
    this.runners = {
      http: createHttpLoadRunner({
        link: options.link,
        ...(options.reportIntervalMs ? { reportIntervalMs: options.reportIntervalMs } : {}),
        ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      }),
      assess: withAssessmentEvent(createAssessRunner(options.bayesian)),
      ...options.runners,
    };
  }

  /** Experiments running now (for the operator's metrics). */
  runningCount(): number {
    let running = 0;
    for (const entry of this.entries.values()) if (entry.record.state === State.EXPERIMENT_STATE_RUNNING) running++;
    return running;
  }

  /** With a run-state store, each experiment's load tasks keep their plan under its id. */
  private runnersFor(id: string): TaskRunners {
    const runState = this.options.runState;
    if (!runState || this.options.runners?.http) return this.runners;
    const http = createHttpLoadRunner({
      link: this.options.link,
      state: { store: runState, key: id },
      ...(this.options.telemetry ? { telemetry: this.options.telemetry } : {}),
      ...(this.options.reportIntervalMs ? { reportIntervalMs: this.options.reportIntervalMs } : {}),
    });
    return { ...this.runners, http };
  }

  /** Loads what the store holds: finished ones as they were, queued ones back in the queue. */
  static async open(options: ExperimentManagerOptions): Promise<ExperimentManager> {
    const manager = new ExperimentManager(options);
    await manager.restore();
    manager.unsubscribe = options.link.subscribe((event) => manager.onAgentEvent(event));
    manager.pump();
    return manager;
  }

  private async restore(): Promise<void> {
    const records = (await this.options.store.list()).sort((a, b) => a.order - b.order);
    for (const record of records) {
      this.nextOrder = Math.max(this.nextOrder, record.order + 1);
      const running = record.state === State.EXPERIMENT_STATE_RUNNING;
      const verdict = running && this.options.runState !== undefined ? countRestart(record, this.options.maxRestarts) : undefined;
      const resume = verdict?.resume === true;
      if (running && !resume) {
        record.state = State.EXPERIMENT_STATE_FAILED;
        record.failure = verdict?.resume === false ? verdict.failure : "coordinator restarted while the experiment ran";
        record.finishedAtMs = Date.now();
        this.log.warn({ id: record.id, restarts: record.restarts }, record.failure);
      }
      if (running) await this.options.store.put(record);
      const entry = this.newEntry(record, undefined);
      this.entries.set(record.id, entry);
      if (resume && this.options.runState) {
        this.resumeClaims.set(entry, await claimStoredRuns(this.options.link, this.options.runState, record.id, record.numTasks));
        // Runs again from its first task; its load task finds the stored plan and re-attaches.
        try {
          entry.experiment = await this.parseOffLoop(record.experimentYaml, record.source, record.overrides);
          this.queue.unshift(entry);
          this.log.info({ id: record.id }, "resuming an experiment that was running when the coordinator stopped");
        } catch (error) {
          this.resumeClaims.get(entry)?.();
          this.resumeClaims.delete(entry);
          await this.finishWithoutRun(entry, State.EXPERIMENT_STATE_FAILED, `cannot parse after restart: ${toAssayError(error).message}`);
        }
      } else if (record.state === State.EXPERIMENT_STATE_QUEUED) {
        try {
          entry.experiment = await this.parseOffLoop(record.experimentYaml, record.source, record.overrides);
          this.queue.push(entry);
        } catch (error) {
          await this.finishWithoutRun(entry, State.EXPERIMENT_STATE_FAILED, `cannot parse after restart: ${toAssayError(error).message}`);
        }
      } else {
        entry.channel.close();
      }
    }
    if (records.length > 0) this.log.info({ experiments: records.length, queued: this.queue.length }, "experiments restored");
  }

  private parse(text: string, source: string, overrides: readonly string[]): Experiment {
    return parseExperimentText(text, source || "<submitted>", { overrides, baseDir: process.cwd(), ...this.service.parseOptions });
  }

  /** What anyone submitted is parsed in a worker thread within a budget: it never blocks the service. */
  private parseOffLoop(text: string, source: string, overrides: readonly string[]): Promise<Experiment> {
    return this.parser.parse(text, source || "<submitted>", { overrides, baseDir: process.cwd(), ...this.service.parseOptions });
  }

  /** Parses and checks an experiment, stores it and queues it. */
  async submit(input: SubmitInput): Promise<api.ExperimentSummary> {
    if (this.stopping) throw new ValidationError(ErrorCode.LinkClosed, "the coordinator is shutting down; submit again after it restarted");
    const experiment = await this.parseOffLoop(input.experimentYaml, input.sourceName, input.overrides);
    checkRunnable(experiment, this.runners);
    await this.service.check(experiment);
    loopPlanOf(input.loops ?? {});
    const record: ExperimentRecord = {
      id: `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`,
      order: this.nextOrder++,
      name: experiment.name,
      source: input.sourceName,
      experimentYaml: input.experimentYaml,
      overrides: [...input.overrides],
      state: State.EXPERIMENT_STATE_QUEUED,
      submittedAtMs: Date.now(),
      startedAtMs: 0,
      finishedAtMs: 0,
      failure: "",
      submittedBy: input.submittedBy,
      numTasks: experiment.tasks.length,
      numCompletedTasks: 0,
      ...(input.loops ? { loops: input.loops } : {}),
    };
    await this.options.store.put(record);
    const entry = this.newEntry(record, experiment);
    this.entries.set(record.id, entry);
    this.queue.push(entry);
    this.log.info({ id: record.id, name: record.name, by: input.submittedBy }, "experiment queued");
    this.pump();
    return this.summary(entry);
  }

  get(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry) throw new ValidationError(ErrorCode.NotFound, `no experiment with id ${id}`, { field: "id" });
    return entry;
  }

  async describe(id: string): Promise<{ summary: api.ExperimentSummary; result: ResultDocument | undefined; record: ExperimentRecord }> {
    const entry = this.get(id);
    const result = entry.liveResult ?? (TERMINAL.includes(entry.record.state) ? await this.options.store.getResult(id) : undefined);
    return { summary: this.summary(entry), result, record: entry.record };
  }

  list(states: readonly State[], limit: number): api.ExperimentSummary[] {
    return [...this.entries.values()]
      .filter((entry) => states.length === 0 || states.includes(entry.record.state))
      .sort((a, b) => b.record.order - a.record.order)
      .slice(0, limit)
      .map((entry) => this.summary(entry));
  }

  /** Cancels a queued experiment at once, a running one within a second (what it measured is kept). */
  async cancel(id: string, reason: string): Promise<{ summary: api.ExperimentSummary; alreadyFinished: boolean }> {
    const entry = this.get(id);
    if (TERMINAL.includes(entry.record.state)) return { summary: this.summary(entry), alreadyFinished: true };
    const why = reason || "cancelled through the API";
    if (entry.record.state === State.EXPERIMENT_STATE_QUEUED) {
      const index = this.queue.indexOf(entry);
      if (index >= 0) this.queue.splice(index, 1);
      await this.finishWithoutRun(entry, State.EXPERIMENT_STATE_CANCELLED, why);
      return { summary: this.summary(entry), alreadyFinished: false };
    }
    entry.cancelRequested = true;
    entry.record.failure = why;
    entry.controller?.abort(new Error(why));
    await withDeadline(entry.done ?? Promise.resolve(), this.options.cancelWaitMs ?? 5000);
    return { summary: this.summary(entry), alreadyFinished: false };
  }

  watch(id: string, sink: WatchSink, fromSeq: number): Watcher {
    return this.get(id).channel.watch(sink, fromSeq);
  }

  agents(): api.AgentSummary[] {
    return this.options.link.agents().map((agent) => ({ id: agent.id, capacity: agent.capacity, labels: { ...agent.labels }, version: agent.version }));
  }

  /** Stops taking work; running experiments are stopped (kept as failed: "coordinator shut down"). */
  async close(graceMs = 5000): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    for (const entry of this.running) entry.controller?.abort(new Error("coordinator shutting down"));
    await withDeadline(Promise.all([...this.running].map((entry) => entry.done ?? Promise.resolve())), graceMs);
    for (const entry of this.entries.values()) entry.channel.close();
    await this.parser.close();
    await this.service.close();
  }

  // ------------------------------------------------------------------------------- running

  private pump(): void {
    while (!this.stopping) {
      // A looped experiment whose next loop is due goes before the queue.
      if (this.slots.resumeDue()) continue;
      if (!this.slots.free() || this.queue.length === 0) break;
      const entry = this.queue.shift();
      if (!entry) break;
      this.running.add(entry);
      entry.done = this.run(entry)
        .catch((error: unknown) => this.log.error({ err: error, id: entry.record.id }, "experiment bookkeeping failed"))
        .finally(() => {
          this.resumeClaims.get(entry)?.();
          this.resumeClaims.delete(entry);
          this.running.delete(entry);
          this.pump();
        });
    }
  }

  private async run(entry: Entry): Promise<void> {
    const { record } = entry;
    const experiment = entry.experiment ?? this.parse(record.experimentYaml, record.source, record.overrides);
    entry.controller = new AbortController();
    record.state = State.EXPERIMENT_STATE_RUNNING;
    record.startedAtMs = Date.now();
    await this.options.store.put(record);
    entry.channel.publish({ stateChanged: { state: record.state } });
    const log = this.log.child({ id: record.id, name: record.name });
    log.info("experiment started");

    let result: ResultDocument | undefined;
    let failure = "";
    try {
      result = await runExperiment(experiment, {
        link: this.options.link,
        logger: log,
        signal: entry.controller.signal,
        runners: this.runnersFor(record.id),
        ...(this.options.bayesian ? { bayesian: this.options.bayesian } : {}),
        policy: this.service.runnerPolicy,
        secrets: this.service.secretResolver(),
        ...(this.options.reportIntervalMs ? { reportIntervalMs: this.options.reportIntervalMs } : {}),
        loops: this.slots.planFor(entry, record.loops),
        onEvent: (event) => this.onRunEvent(entry, event),
      });
    } catch (error) {
      failure = toAssayError(error).describe();
      log.warn({ err: error }, "experiment could not run");
    }
    entry.liveResult = undefined;
    record.finishedAtMs = Date.now();
    if (result) {
      record.numCompletedTasks = result.numCompletedTasks;
      await entry.storingLoop;
      await this.options.store.putResult(record.id, result);
    }
    if (this.stopping && !entry.cancelRequested) {
      record.state = State.EXPERIMENT_STATE_FAILED;
      record.failure = "coordinator shut down while the experiment ran; measurements so far are kept";
    } else if (entry.cancelRequested) {
      record.state = State.EXPERIMENT_STATE_CANCELLED;
    } else if (result && result.completed && result.failure === null) {
      record.state = State.EXPERIMENT_STATE_COMPLETED;
      record.failure = "";
    } else {
      record.state = State.EXPERIMENT_STATE_FAILED;
      record.failure = result?.failure ?? failure;
    }
    await this.options.store.put(record);
    this.options.telemetry?.experimentFinished(
      record.state === State.EXPERIMENT_STATE_COMPLETED ? "completed" : record.state === State.EXPERIMENT_STATE_CANCELLED ? "cancelled" : "failed",
    );
    entry.channel.publish({ completed: { experiment: this.summary(entry) } });
    entry.channel.close();
    log.info({ state: record.state }, "experiment finished");
  }

  private async finishWithoutRun(entry: Entry, state: State, failure: string): Promise<void> {
    entry.record.state = state;
    entry.record.failure = failure;
    entry.record.finishedAtMs = Date.now();
    await this.options.store.put(entry.record);
    entry.channel.publish({ completed: { experiment: this.summary(entry) } });
    entry.channel.close();
  }

  private onRunEvent(entry: Entry, event: RunEvent): void {
    const body = watchEventOf(entry, event);
    if (event.type === "task-finished") entry.record.numCompletedTasks = completedTasks(entry);
    if (event.type === "experiment-started") entry.liveResult = event.result;
    // Each loop's history is stored as it ends, so `get` after a restart still shows it.
    const live = entry.liveResult;
    if (event.type === "loop-finished" && live) {
      entry.storingLoop = (entry.storingLoop ?? Promise.resolve())
        .then(() => this.options.store.putResult(entry.record.id, live))
        .catch((error: unknown) => this.log.warn({ err: error, id: entry.record.id }, "could not store the loop's result"));
    }
    if (body) entry.channel.publish(body);
  }

  private onAgentEvent(event: AgentEvent): void {
    let body: EventBody | undefined;
    if (event.type === "joined") {
      const agent = event.agent;
      body = { agentJoined: { agent: { id: agent.id, capacity: agent.capacity, labels: { ...agent.labels }, version: agent.version } } };
    } else if (event.type === "lost") {
      body = { agentLost: { agentId: event.agentId, reason: event.reason } };
    }
    if (body) for (const entry of this.running) entry.channel.publish(body);
  }

  // ------------------------------------------------------------------------------- views

  private newEntry(record: ExperimentRecord, experiment: Experiment | undefined): Entry {
    const entry: Entry = {
      record,
      experiment,
      tasks: (experiment?.tasks ?? []).map((task) => ({ index: task.index, task: task.spec.task, status: "pending" })),
      metrics: undefined,
      liveResult: undefined,
      controller: undefined,
      cancelRequested: false,
      done: undefined,
      channel: undefined as unknown as EventChannel,
    };
    entry.channel = new EventChannel({
      ...(this.options.ringSize ? { ringSize: this.options.ringSize } : {}),
      ...(this.options.watcherBuffer ? { watcherBuffer: this.options.watcherBuffer } : {}),
      snapshot: (skipped) => ({
        experiment: this.summary(entry),
        tasks: entry.tasks.map((t) => ({ ...t })),
        ...(entry.metrics ? { metrics: entry.metrics } : {}),
        skipped,
      }),
    });
    return entry;
  }

  summary(entry: Entry): api.ExperimentSummary {
    const { record } = entry;
    const queuePosition = record.state === State.EXPERIMENT_STATE_QUEUED ? this.queue.indexOf(entry) + 1 : 0;
    return {
      id: record.id,
      name: record.name,
      state: record.state,
      source: record.source,
      submittedAtMs: record.submittedAtMs,
      startedAtMs: record.startedAtMs,
      finishedAtMs: record.finishedAtMs,
      failure: record.failure,
      queuePosition: Math.max(0, queuePosition),
      numTasks: record.numTasks,
      numCompletedTasks: record.numCompletedTasks,
      submittedBy: record.submittedBy,
    };
  }
}
