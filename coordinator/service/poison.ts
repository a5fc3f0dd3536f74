/**
 * Poison experiments: an experiment during which the coordinator restarted (crashed, was killed,
 * OOM) is resumed after the restart, but not forever. Each restart that finds it running counts
 * in its stored record (`restarts`, stored before the resume); at `maxRestarts` (default 3) it is
 * marked failed with the reason instead of being resumed again, so an experiment that crashes the
 * service cannot keep it in a crash loop.
 */
import type { ExperimentRecord } from "./store.js";

export const DEFAULT_MAX_RESTARTS = 3;

export type RestartVerdict = { readonly resume: true } | { readonly resume: false; readonly failure: string };

/** Counts one restart of the coordinator during `record` (mutates it) and says whether to resume it. */
export function countRestart(record: ExperimentRecord, maxRestarts = DEFAULT_MAX_RESTARTS): RestartVerdict {
  const restarts = (record.restarts ?? 0) + 1;
  record.restarts = restarts;
  if (restarts < maxRestarts) return { resume: true };
  return {
    resume: false,
    failure: `the coordinator restarted ${restarts} times while this experiment ran (limit maxRestarts: ${maxRestarts}); it is not resumed again, in case it is what stops the coordinator`,
  };
}
