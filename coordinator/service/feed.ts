/**
 * What watchers of a running experiment see, built from the runner's events: one translation used
 * by the coordinator service (ExperimentManager) and by `assay run --ui` (a local run's dashboard),
 * so every observer of either gets the same watch events from the same numbers.
 */
import type { TaskSpec, api } from "../../core/index.js";
import type { RunEvent } from "../runner/run-experiment.js";
import type { LoadSnapshotData } from "../load/snapshot.js";
import type { TaskRunner } from "../tasks/types.js";
import type { EventBody } from "./events.js";

/** The state a feed keeps between events (for snapshots). */
export interface FeedState {
  tasks: api.TaskState[];
  /** The latest merged metrics of the running (or last) load task. */
  metrics: api.MetricsSnapshot | undefined;
}

/** The watch event for a runner event (updating `state`), or undefined when watchers get none. */
export function watchEventOf(state: FeedState, event: RunEvent): EventBody | undefined {
  switch (event.type) {
    case "task-started": {
      const task = state.tasks[event.index];
      if (task) task.status = "running";
      return { taskStarted: { index: event.index, task: event.task } };
    }
    case "task-finished": {
      const task = state.tasks[event.index];
      if (task) task.status = event.status;
      return { taskFinished: { index: event.index, task: event.task, status: event.status, error: event.error ?? "" } };
    }
    case "task-event":
      if (event.event.type === "snapshot") {
        state.metrics = metricsMessage(event.index, event.event.data);
        return { metrics: state.metrics };
      }
      if (event.event.type === "assessment") return { assessment: event.event.data };
      return undefined;
    case "loop-started":
      for (const task of state.tasks) task.status = "pending";
      return { loopStarted: { loop: event.loop, loops: event.loops ?? 0 } };
    case "loop-finished":
      return {
        loopFinished: {
          loop: event.loop,
          completed: event.record.completed,
          winner: event.record.winner ?? "",
          nextStartMs: event.nextStartMs ?? 0,
          recordJson: JSON.stringify(event.record),
        },
      };
    case "experiment-started":
    case "experiment-finished":
      return undefined;
  }
}

/** Tasks that ended (completed or skipped), for the summary's progress. */
export function completedTasks(state: FeedState): number {
  return state.tasks.filter((t) => t.status === "completed" || t.status === "skipped").length;
}

/** After `assess`, its outcome as a task event of type "assessment" (an api.Assessment). */
export function withAssessmentEvent<S extends TaskSpec>(runner: TaskRunner<S>): TaskRunner<S> {
  return async (spec, context) => {
    const outcome = await runner(spec, context);
    const assessment = context.result.assessment;
    const winner = typeof assessment?.["winner"] === "string" ? assessment["winner"] : "";
    const data: api.Assessment = {
      slos: context.result.slos.map((slo) => ({ metric: slo.metric, direction: slo.direction, limit: slo.limit, satisfied: { ...slo.satisfied } })),
      winner,
      assessmentJson: assessment ? JSON.stringify(assessment) : "",
    };
    context.emit({ type: "assessment", message: `${context.result.slos.length} SLOs assessed`, data });
    return outcome;
  };
}

/** A load task's snapshot as the API's MetricsSnapshot (0 for an unknown percentile). */
export function metricsMessage(taskIndex: number, data: LoadSnapshotData): api.MetricsSnapshot {
  const ms = (value: number | null | undefined): number => value ?? 0;
  return {
    taskIndex,
    elapsedMs: Math.round(data.elapsedMs),
    totalRequests: Math.round(data.totalRequests ?? 0),
    totalMs: Math.round(data.totalMs ?? 0),
    intervalMs: Math.round(data.intervalMs ?? 0),
    startSkewMs: data.startSkewMs ?? 0,
    versions: data.versions.map((v) => ({
      version: v.version,
      requests: v.requests,
      errors: v.errors,
      latencyP50Ms: ms(v.p50Ms),
      latencyP95Ms: ms(v.p95Ms),
      latencyP99Ms: ms(v.p99Ms),
      dropped: v.dropped ?? 0,
      intervalRequests: v.intervalRequests ?? 0,
      intervalErrors: v.intervalErrors ?? 0,
      intervalDropped: v.intervalDropped ?? 0,
      intervalLatencyP50Ms: ms(v.intervalP50Ms),
      intervalLatencyP95Ms: ms(v.intervalP95Ms),
      intervalLatencyP99Ms: ms(v.intervalP99Ms),
      intervalServiceTimeP50Ms: ms(v.intervalServiceP50Ms),
      intervalServiceTimeP95Ms: ms(v.intervalServiceP95Ms),
      intervalServiceTimeP99Ms: ms(v.intervalServiceP99Ms),
      latencyBuckets: (v.latencyBuckets ?? []).map((b) => ({ leMs: b.leMs, count: b.count })),
    })),
    agents: (data.agents ?? []).map((a) => ({
      agentId: a.agentId,
      shards: a.shards,
      shardsDone: a.shardsDone,
      requests: a.requests,
      reportsMerged: a.reportsMerged,
      lastReportMs: a.lastReportMs,
    })),
  };
}
