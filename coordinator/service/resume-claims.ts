/**
 * A restarted coordinator owns the runs it is about to resume from the moment it restores them:
 * its heartbeat replies name them at once, so the agents' dead-man switches do not stop the load
 * while the experiment waits for its turn to re-attach (parsing, the tasks before the load task).
 * An experiment that is not resumed (finished, or failed as a poison experiment) is not claimed,
 * and its agents stop by themselves.
 */
import type { AgentLink } from "../../core/index.js";
import type { RunStateStore } from "../load/options.js";

/** Claims every run stored as running for the experiment's tasks; returns the release. */
export async function claimStoredRuns(link: AgentLink, runState: RunStateStore, experimentId: string, numTasks: number): Promise<() => void> {
  const claim = link.claimRun?.bind(link);
  if (!claim) return () => undefined;
  const releases: (() => void)[] = [];
  for (let index = 0; index < numTasks; index++) {
    const stored = await runState.load(`${experimentId}.t${index}`).catch(() => undefined);
    if (stored?.status === "running") releases.push(claim(stored.runId));
  }
  return () => {
    for (const release of releases.splice(0)) release();
  };
}
