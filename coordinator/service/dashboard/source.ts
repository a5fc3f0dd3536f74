/**
 * Where the dashboard's data comes from: the coordinator service's experiments (an
 * ExperimentManager), or the one experiment of `assay run --ui` (a LocalRunFeed). Both hand out
 * the same watch events through an EventChannel, so the page cannot tell them apart.
 */
import type { ResultDocument, api } from "../../../core/index.js";
import type { WatchSink, Watcher } from "../events.js";
import type { ExperimentManager } from "../manager.js";

export interface DashboardSource {
  /** "coordinator": many experiments; "run": one local run. */
  readonly mode: "coordinator" | "run";
  /** Experiments, newest first. */
  list(): api.ExperimentSummary[];
  /** Status and result (partial while running; undefined while queued). Throws NOT_FOUND. */
  describe(id: string): Promise<{ summary: api.ExperimentSummary; result: ResultDocument | undefined }>;
  /** The experiment's watch stream (see EventChannel.watch). Throws NOT_FOUND. */
  watch(id: string, sink: WatchSink, fromSeq: number): Watcher;
  agents(): api.AgentSummary[];
}

/** The coordinator service's experiments. */
export function managerSource(manager: ExperimentManager): DashboardSource {
  return {
    mode: "coordinator",
    list: () => manager.list([], 500),
    describe: async (id) => {
      const { summary, result } = await manager.describe(id);
      return { summary, result };
    },
    watch: (id, sink, fromSeq) => manager.watch(id, sink, fromSeq),
    agents: () => manager.agents(),
  };
}
