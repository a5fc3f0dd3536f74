/**
 * `assay assert`: Iter8's `iter8 assert -c` conditions checked against a result document.
 *   completed        every task ran to its end and the run was not cut short
 *   nofailure        no task failed (Iter8's example spells it `nofailures` too: accepted)
 *   slos             every SLO is satisfied by every version (vacuously true without SLOs)
 *   slosby=<v>       every SLO is satisfied by version <v>: its 0-based index (Iter8) or its name
 * Conditions are case-insensitive and may be comma-separated (`-c completed,nofailure,slos`).
 */
import type { ResultDocument } from "../../core/index.js";
import { ErrorCode, ValidationError } from "../../core/index.js";
import { formatRaw, sloLabel } from "./format.js";

export const ASSERT_CONDITIONS = ["completed", "nofailure", "slos", "slosby=<version index or name>"] as const;

export interface AssertionOutcome {
  ok: boolean;
  /** One sentence per failed check, prefixed with the condition (`slos: ...`). */
  failures: string[];
}

type Check = (result: ResultDocument) => string[];

function checkCompleted(result: ResultDocument): string[] {
  if (result.incomplete) {
    return [`completed: experiment did not complete (interrupted${result.failure ? `: ${result.failure}` : ""})`];
  }
  if (!result.completed) {
    const reason = result.failure ?? `${result.numCompletedTasks} of ${result.tasks.length} tasks completed`;
    return [`completed: experiment did not complete (${reason})`];
  }
  return [];
}

function checkNoFailure(result: ResultDocument): string[] {
  const failed = result.tasks.filter((task) => task.status === "failed");
  const failures = failed.map(
    (task) => `nofailure: task ${task.index + 1} (${task.task}) failed${task.error ? `: ${task.error.message}` : ""}`,
  );
  if (failures.length === 0 && result.failure !== null) failures.push(`nofailure: experiment failed: ${result.failure}`);
  return failures;
}

function sloFailures(result: ResultDocument, condition: string, versions: readonly string[]): string[] {
  const failures: string[] = [];
  for (const slo of result.slos) {
    for (const version of versions) {
      if (slo.satisfied[version] === true) continue;
      const value = slo.value[version];
      const detail = value === null || value === undefined ? "metric missing" : `value ${formatRaw(value)}`;
      failures.push(`${condition}: ${sloLabel(slo)} not satisfied by ${version} (${detail})`);
    }
  }
  return failures;
}

function checkSlos(result: ResultDocument): string[] {
  if (result.versions.length === 0) return ["slos: no version was measured"];
  return sloFailures(result, "slos", result.versions);
}

function resolveVersion(result: ResultDocument, condition: string, wanted: string): string {
  if (result.versions.includes(wanted)) return wanted;
  if (/^\d+$/.test(wanted)) {
    const version = result.versions[Number(wanted)];
    if (version !== undefined) return version;
  }
  const valid = result.versions.length === 0 ? "the result has no versions" : `valid: ${result.versions.map((v, i) => `${i} or ${v}`).join(", ")}`;
  throw new ValidationError(ErrorCode.BadFlag, `assert condition "${condition}": no version "${wanted}" in the result (${valid})`, {
    field: "condition",
  });
}

function parseCondition(result: ResultDocument, raw: string): Check {
  const condition = raw.trim();
  const lower = condition.toLowerCase();
  if (lower === "completed") return checkCompleted;
  if (lower === "nofailure" || lower === "nofailures") return checkNoFailure;
  if (lower === "slos") return checkSlos;
  const slosBy = /^slosby\s*=\s*(.+)$/i.exec(condition);
  if (slosBy?.[1] !== undefined) {
    const version = resolveVersion(result, condition, slosBy[1].trim());
    return (r) => sloFailures(r, `slosby=${version}`, [version]);
  }
  throw new ValidationError(
    ErrorCode.BadFlag,
    `unknown assert condition "${condition}" (valid: ${ASSERT_CONDITIONS.join(", ")})`,
    { field: "condition", suggestion: "e.g. assay assert result.json -c completed -c nofailure -c slos" },
  );
}

/**
 * Checks the conditions against a result. Throws ValidationError (CLI_BAD_FLAG) for an unknown
 * condition, an unknown `slosby` version, or no condition at all; every condition is parsed
 * before any is checked.
 */
export function checkAssertions(result: ResultDocument, conditions: readonly string[]): AssertionOutcome {
  const names = conditions.flatMap((c) => c.split(",")).map((c) => c.trim()).filter((c) => c.length > 0);
  if (names.length === 0) {
    throw new ValidationError(ErrorCode.BadFlag, `assert needs at least one condition (valid: ${ASSERT_CONDITIONS.join(", ")})`, {
      field: "condition",
    });
  }
  const checks = names.map((name) => parseCondition(result, name));
  const failures = [...new Set(checks.flatMap((check) => check(result)))];
  return { ok: failures.length === 0, failures };
}
