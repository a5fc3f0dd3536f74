/**
 * Errors crossing the worker-thread boundary: class instances do not survive structured cloning,
 * so the worker sends an error's parts and the service rebuilds the same class (the same message,
 * code, field and location).
 */
import { ErrorCode, ExperimentValidationError, errorOfKind, isErrorCode, toAssayError } from "../../core/index.js";
import type { AssayError, ExperimentProblem, SourceLocation } from "../../core/index.js";

export interface SerializedError {
  readonly kind: string;
  readonly code: string;
  readonly message: string;
  readonly field: string | undefined;
  readonly location: SourceLocation | undefined;
  readonly suggestion: string | undefined;
  readonly problems: readonly ExperimentProblem[] | undefined;
}

/** The parts of `caught` (any thrown value) that rebuildError needs. */
export function serializeError(caught: unknown): SerializedError {
  const error = toAssayError(caught);
  return {
    kind: error.kind,
    code: error.code,
    message: error.message,
    field: error.field,
    location: error.location,
    suggestion: error.suggestion,
    problems: caught instanceof ExperimentValidationError ? caught.problems : undefined,
  };
}

/** The worker's error as the class that was thrown there. */
export function rebuildError(error: SerializedError): AssayError {
  if (error.problems !== undefined && error.problems.length > 0) return new ExperimentValidationError(error.problems);
  const code = isErrorCode(error.code) ? error.code : ErrorCode.Invariant;
  const options = {
    ...(error.field === undefined ? {} : { field: error.field }),
    ...(error.location === undefined ? {} : { location: error.location }),
    ...(error.suggestion === undefined ? {} : { suggestion: error.suggestion }),
  };
  return errorOfKind(error.kind, code, error.message, options);
}
