/**
 * The one place errors become exit codes. Scripts can rely on these.
 */
import { ErrorKind, isAssayError } from "../core/index.js";
import type { ResultDocument } from "../core/index.js";

export const ExitCode = {
  Ok: 0,
  /** The experiment ran but failed (a task failed), or `assert` found a failed condition. */
  Failed: 1,
  /** Bad input: experiment file, flags, result file. */
  Validation: 2,
  /** Operator configuration (no agents, disabled task, limits). */
  Configuration: 3,
  /** NATS, worker threads, gRPC. */
  Transport: 4,
  /** A target or backend failed in a way that stopped the command. */
  Target: 5,
  /** A bug. */
  Internal: 70,
  /** Interrupted (Ctrl-C, cancel). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(error: unknown): ExitCode {
  if (!isAssayError(error)) return ExitCode.Internal;
  switch (error.kind) {
    case ErrorKind.Validation:
      return ExitCode.Validation;
    case ErrorKind.Configuration:
      return ExitCode.Configuration;
    case ErrorKind.Transport:
      return ExitCode.Transport;
    case ErrorKind.Target:
      return ExitCode.Target;
    case ErrorKind.Cancelled:
      return ExitCode.Interrupted;
    case ErrorKind.Internal:
      return ExitCode.Internal;
  }
}

/**
 * The exit code of a run that produced a result: interrupted (130) when it was stopped (and no task
 * failed); target (5) when every request of a version failed to connect, whatever the SLOs said;
 * failed (1) when a task failed; else 0.
 */
export function exitCodeForResult(result: Pick<ResultDocument, "incomplete" | "failure" | "tasks" | "load">): ExitCode {
  // Incomplete because a task failed (e.g. the link to the agents went down) is a failure, not an interrupt.
  if (result.incomplete && !result.tasks.some((t) => t.status === "failed")) return ExitCode.Interrupted;
  if ((result.load?.unreachable ?? []).length > 0) return ExitCode.Target;
  return result.failure === null ? ExitCode.Ok : ExitCode.Failed;
}
