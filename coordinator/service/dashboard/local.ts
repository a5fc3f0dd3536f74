/**
 * The dashboard of `assay run --ui`: there is no coordinator service, so the one experiment of
 * the local run gets an EventChannel fed by the runner's events through the same translation the
 * service uses (feed.ts). The page sees the same watch events and, at the end, the very result
 * document `assay run -o json` prints.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, ValidationError, api } from "../../../core/index.js";
import type { AgentInfo, Experiment, ResultDocument } from "../../../core/index.js";
import type { RunEvent } from "../../runner/run-experiment.js";
import { createAssessRunner } from "../../tasks/assess.js";
import type { BayesianAssessor } from "../../tasks/assess.js";
import type { TaskRunners } from "../../tasks/types.js";
import { EventChannel } from "../events.js";
import type { WatchSink, Watcher } from "../events.js";
import { completedTasks, watchEventOf, withAssessmentEvent } from "../feed.js";
import type { FeedState } from "../feed.js";
import type { DashboardSource } from "./source.js";

const State = api.ExperimentState;

export interface LocalRunFeedOptions {
  /** The agents of the run (for the page's agent list). */
  readonly agents: () => readonly AgentInfo[];
  /** Shown as "submitted by" (default "local"). */
  readonly submittedBy?: string;
}

export class LocalRunFeed implements DashboardSource {
  readonly mode = "run" as const;
  readonly id = `run-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  private readonly state: FeedState;
  private readonly channel: EventChannel;
  private summaryState: api.ExperimentState__Output = State.EXPERIMENT_STATE_QUEUED;
  private readonly submittedAtMs = Date.now();
  private startedAtMs = 0;
  private finishedAtMs = 0;
  private failure = "";
  private result: ResultDocument | undefined;

  constructor(
    private readonly experiment: Experiment,
    private readonly options: LocalRunFeedOptions,
  ) {
    this.state = {
      tasks: experiment.tasks.map((task) => ({ index: task.index, task: task.spec.task, status: "pending" })),
      metrics: undefined,
    };
    this.channel = new EventChannel({
      snapshot: (skipped) => ({
        experiment: this.summary(),
        tasks: this.state.tasks.map((t) => ({ ...t })),
        ...(this.state.metrics ? { metrics: this.state.metrics } : {}),
        skipped,
      }),
    });
  }

  /**
   * The runners to give runExperiment: `assess` also publishes its outcome (as the service does).
   */
  runners(base: TaskRunners, bayesian?: BayesianAssessor): TaskRunners {
    return { assess: withAssessmentEvent(createAssessRunner(bayesian)), ...base };
  }

  /** Feeds one runner event to the page's stream. */
  onRunEvent(event: RunEvent): void {
    if (event.type === "experiment-started") {
      this.result = event.result;
      this.summaryState = State.EXPERIMENT_STATE_RUNNING;
      this.startedAtMs = Date.now();
      this.channel.publish({ stateChanged: { state: this.summaryState } });
      return;
    }
    if (event.type === "experiment-finished") {
      this.finish(event.result);
      return;
    }
    const body = watchEventOf(this.state, event);
    if (body) this.channel.publish(body);
  }

  /** The run ended (also when it threw: `result` undefined, `failure` says why). */
  finish(result: ResultDocument | undefined, failure = ""): void {
    if (this.channel.isClosed) return;
    if (result) this.result = result;
    this.finishedAtMs = Date.now();
    const final = result ?? this.result;
    if (final?.incomplete) this.summaryState = State.EXPERIMENT_STATE_CANCELLED;
    else if (final && final.completed && final.failure === null) this.summaryState = State.EXPERIMENT_STATE_COMPLETED;
    else this.summaryState = State.EXPERIMENT_STATE_FAILED;
    this.failure = final?.failure ?? failure;
    this.channel.publish({ completed: { experiment: this.summary() } });
    this.channel.close();
  }

  summary(): api.ExperimentSummary {
    return {
      id: this.id,
      name: this.experiment.name,
      state: this.summaryState,
      source: this.experiment.source,
      submittedAtMs: this.submittedAtMs,
      startedAtMs: this.startedAtMs,
      finishedAtMs: this.finishedAtMs,
      failure: this.failure,
      queuePosition: 0,
      numTasks: this.experiment.tasks.length,
      numCompletedTasks: this.result?.numCompletedTasks ?? completedTasks(this.state),
      submittedBy: this.options.submittedBy ?? "local",
    };
  }

  list(): api.ExperimentSummary[] {
    return [this.summary()];
  }

  describe(id: string): Promise<{ summary: api.ExperimentSummary; result: ResultDocument | undefined }> {
    this.check(id);
    return Promise.resolve({ summary: this.summary(), result: this.result });
  }

  watch(id: string, sink: WatchSink, fromSeq: number): Watcher {
    this.check(id);
    return this.channel.watch(sink, fromSeq);
  }

  agents(): api.AgentSummary[] {
    return this.options.agents().map((agent) => ({ id: agent.id, capacity: agent.capacity, labels: { ...agent.labels }, version: agent.version }));
  }

  private check(id: string): void {
    if (id !== this.id) throw new ValidationError(ErrorCode.NotFound, `no experiment with id ${id}`, { field: "id" });
  }
}
