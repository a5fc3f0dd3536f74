/**
 * The one place where errors become gRPC status codes (server side) and status codes become
 * errors again (client side). Details travel in trailing metadata (`assay-error-*`), so a client
 * gets back the code, field and location the coordinator saw.
 */
import { Metadata, status as Status } from "@grpc/grpc-js";
import type { ServiceError, StatusObject } from "@grpc/grpc-js";
import type { AssayError } from "../../core/index.js";
import {
  CancelledError,
  ConfigurationError,
  ErrorCode,
  ErrorKind,
  InternalError,
  TargetError,
  TransportError,
  ValidationError,
  isErrorCode,
  toAssayError,
} from "../../core/index.js";

const META = { code: "assay-error-code", kind: "assay-error-kind", field: "assay-error-field", suggestion: "assay-error-suggestion" } as const;

/** The API codes with a gRPC status of their own; every other code maps by its kind. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, Status>> = {
  [ErrorCode.NotFound]: Status.NOT_FOUND,
  [ErrorCode.Unauthenticated]: Status.UNAUTHENTICATED,
  [ErrorCode.PermissionDenied]: Status.PERMISSION_DENIED,
};

/** The gRPC status code of an error. */
export function grpcStatusOf(error: AssayError): Status {
  const byCode = STATUS_BY_CODE[error.code];
  if (byCode !== undefined) return byCode;
  switch (error.kind) {
    case ErrorKind.Validation:
      return Status.INVALID_ARGUMENT;
    case ErrorKind.Configuration:
      return Status.FAILED_PRECONDITION;
    case ErrorKind.Transport:
      return Status.UNAVAILABLE;
    case ErrorKind.Target:
      return Status.ABORTED;
    case ErrorKind.Cancelled:
      return Status.CANCELLED;
    case ErrorKind.Internal:
      return Status.INTERNAL;
  }
}

/** What a handler passes to its callback (or `call.emit("error")`) for anything it caught. */
export function toStatusObject(thrown: unknown): Partial<StatusObject> {
  const error = toAssayError(thrown);
  const metadata = new Metadata();
  metadata.set(META.code, error.code);
  metadata.set(META.kind, error.kind);
  if (error.field) metadata.set(META.field, error.field);
  if (error.suggestion) metadata.set(META.suggestion, error.suggestion);
  return { code: grpcStatusOf(error), details: error.describe(), metadata };
}

/**
 * Client side: a failed call as an AssayError (so the CLI's exit codes apply). Uses the
 * coordinator's metadata when present, else the status code alone (e.g. a proxy's UNAVAILABLE).
 */
export function fromServiceError(error: ServiceError, target: string): AssayError {
  const get = (key: string): string | undefined => {
    const value = error.metadata?.get(key)[0];
    return typeof value === "string" ? value : undefined;
  };
  const sent = get(META.code);
  // A code this build does not know (a newer coordinator) falls back to the status code's default.
  const code = sent !== undefined && isErrorCode(sent) ? sent : undefined;
  const field = get(META.field);
  const suggestion = get(META.suggestion) ?? defaultSuggestion(error.code, target);
  const options = { cause: error, ...(field ? { field } : {}), ...(suggestion ? { suggestion } : {}) };
  const message = error.details || error.message;
  switch (error.code) {
    case Status.INVALID_ARGUMENT:
    case Status.NOT_FOUND:
      return new ValidationError(code ?? (error.code === Status.NOT_FOUND ? ErrorCode.NotFound : ErrorCode.BadFlag), message, options);
    case Status.FAILED_PRECONDITION:
    case Status.UNAUTHENTICATED:
    case Status.PERMISSION_DENIED:
      return new ConfigurationError(
        code ?? (error.code === Status.UNAUTHENTICATED ? ErrorCode.Unauthenticated : error.code === Status.PERMISSION_DENIED ? ErrorCode.PermissionDenied : ErrorCode.LimitExceeded),
        message,
        options,
      );
    case Status.ABORTED:
      return new TargetError(code ?? ErrorCode.TargetUnreachable, message, options);
    case Status.CANCELLED:
      return new CancelledError(code ?? ErrorCode.Interrupted, message, options);
    case Status.UNAVAILABLE:
    case Status.DEADLINE_EXCEEDED:
      return new TransportError(code ?? ErrorCode.LinkClosed, `coordinator ${target}: ${message}`, options);
    default:
      return new InternalError(code ?? ErrorCode.Invariant, message, options);
  }
}

function defaultSuggestion(code: Status, target: string): string | undefined {
  switch (code) {
    case Status.UNAUTHENTICATED:
      return "pass a token with --token or ASSAY_TOKEN";
    case Status.PERMISSION_DENIED:
      return "this call needs a token with the operator role";
    case Status.UNAVAILABLE:
      return `is the coordinator running at ${target}? Set --coordinator HOST:PORT or ASSAY_COORDINATOR; with TLS pass --tls-ca`;
    default:
      return undefined;
  }
}
