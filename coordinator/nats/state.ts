/**
 * Run plans and experiment results in the JetStream key-value bucket (core/subjects.ts
 * SUBJECTS.stateBucket), so a coordinator restarted with the same state id resumes its runs.
 * Keys: `<stateId>.t<task index>` for a load task's plan, `<stateId>.result` for the result document.
 */
import { ErrorCode, ValidationError, isSubjectToken } from "../../core/index.js";
import type { AgentEventHandler, ResultDocument } from "../../core/index.js";
import type { RunStateStore, StoredRun } from "../load/options.js";
import type { NatsAgentLink } from "./link.js";

export interface ExperimentState {
  readonly status: "running" | "finished";
  readonly updatedAt: string;
  readonly result?: ResultDocument;
}

export function checkStateId(stateId: string): string {
  if (!isSubjectToken(stateId)) {
    throw new ValidationError(ErrorCode.BadFlag, `--state-id "${stateId}" may only contain letters, digits, "-" and "_"`, { field: "--state-id" });
  }
  return stateId;
}

/** A RunStateStore on the link's key-value bucket; replays come from the reports stream. */
export function natsRunStateStore(link: NatsAgentLink): RunStateStore & {
  loadExperiment(stateId: string): Promise<ExperimentState | undefined>;
  saveExperiment(stateId: string, state: ExperimentState): Promise<void>;
} {
  const bucket = link.stateBucket();
  const get = async <T>(key: string): Promise<T | undefined> => {
    const entry = await (await bucket).get(key);
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return undefined;
    return entry.json<T>();
  };
  const put = async (key: string, value: unknown): Promise<void> => {
    await (await bucket).put(key, new TextEncoder().encode(JSON.stringify(value)));
  };
  return {
    load: (key) => get<StoredRun>(key),
    save: (key, run) => put(key, run),
    replay: (runId: string, handler: AgentEventHandler) => link.replayRun(runId, handler),
    loadExperiment: (stateId) => get<ExperimentState>(`${stateId}.result`),
    saveExperiment: (stateId, state) => put(`${stateId}.result`, state),
  };
}
