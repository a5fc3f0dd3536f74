/**
 * The error taxonomy shared by every component. Each error carries a stable `code` (what went
 * wrong, machine-readable) and a `kind` (which class of failure). The CLI maps kinds to exit codes
 * in cli/exit-codes.ts and the gRPC server maps them to status codes in one place; nothing else
 * inspects messages.
 */

export const ErrorKind = {
  /** The user's input (experiment file, flags, API request) is wrong. */
  Validation: "validation",
  /** The operator's configuration is wrong or incomplete. */
  Configuration: "configuration",
  /** A link to another component (NATS, worker thread, gRPC) failed. */
  Transport: "transport",
  /** The system under test or a backend (target, Prometheus, webhook) failed. */
  Target: "target",
  /** A bug: an invariant did not hold. */
  Internal: "internal",
  /** The work was cancelled (Ctrl-C, Cancel RPC). */
  Cancelled: "cancelled",
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** Where in a source file a problem is. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface AssayErrorOptions {
  cause?: unknown;
  /** Dotted path of the offending field, e.g. `spec[0].with.qps`. */
  field?: string;
  location?: SourceLocation;
  /** A hint the CLI prints after the message. */
  suggestion?: string;
}

export class AssayError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly field: string | undefined;
  readonly location: SourceLocation | undefined;
  readonly suggestion: string | undefined;

  constructor(kind: ErrorKind, code: ErrorCode, message: string, options: AssayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.field = options.field;
    this.location = options.location;
    this.suggestion = options.suggestion;
  }

  /** `file:line:column: message (field)`, the form editors and terminals understand. */
  describe(): string {
    const where = this.location ? `${this.location.file}:${this.location.line}:${this.location.column}: ` : "";
    const field = this.field && !this.message.includes(this.field) ? ` (at ${this.field})` : "";
    return `${where}${this.message}${field}`;
  }
}

export class ValidationError extends AssayError {
  constructor(code: ErrorCode, message: string, options?: AssayErrorOptions) {
    super(ErrorKind.Validation, code, message, options);
  }
}

export class ConfigurationError extends AssayError {
  constructor(code: ErrorCode, message: string, options?: AssayErrorOptions) {
    super(ErrorKind.Configuration, code, message, options);
  }
}

export class TransportError extends AssayError {
  constructor(code: ErrorCode, message: string, options?: AssayErrorOptions) {
    super(ErrorKind.Transport, code, message, options);
  }
}

export class TargetError extends AssayError {
  constructor(code: ErrorCode, message: string, options?: AssayErrorOptions) {
    super(ErrorKind.Target, code, message, options);
  }
}

export class InternalError extends AssayError {
  constructor(code: ErrorCode, message: string, options?: AssayErrorOptions) {
    super(ErrorKind.Internal, code, message, options);
  }
}

export class CancelledError extends AssayError {
  constructor(code: ErrorCode, message: string, options?: AssayErrorOptions) {
    super(ErrorKind.Cancelled, code, message, options);
  }
}

/** Stable error codes. New codes are added here, never renamed. */
export const ErrorCode = {
  // validation
  YamlSyntax: "EXPERIMENT_YAML_SYNTAX",
  UnknownKey: "EXPERIMENT_UNKNOWN_KEY",
  UnknownTask: "EXPERIMENT_UNKNOWN_TASK",
  WrongType: "EXPERIMENT_WRONG_TYPE",
  OutOfRange: "EXPERIMENT_OUT_OF_RANGE",
  MissingField: "EXPERIMENT_MISSING_FIELD",
  Contradiction: "EXPERIMENT_CONTRADICTION",
  BadCondition: "EXPERIMENT_BAD_CONDITION",
  BadTemplate: "EXPERIMENT_BAD_TEMPLATE",
  /** A template ran past its steps, output, time or nesting limit. */
  TemplateBudgetExceeded: "TEMPLATE_BUDGET_EXCEEDED",
  BadOverride: "EXPERIMENT_BAD_OVERRIDE",
  /** The document exceeds a parse budget (size, nodes, nesting, alias expansion): core/experiment/limits.ts. */
  TooLarge: "EXPERIMENT_TOO_LARGE",
  /** An SLO or reward names a built-in metric that no load task of the experiment emits. */
  UnknownMetric: "EXPERIMENT_UNKNOWN_METRIC",
  BadDuration: "BAD_DURATION",
  BadFlag: "CLI_BAD_FLAG",
  /** `assay launch`: a values file, `--set` item or value the chart cannot take. */
  BadValues: "LAUNCH_BAD_VALUES",
  /** `assay launch -c`: a chart that cannot be found, read or rendered. */
  BadChart: "LAUNCH_BAD_CHART",
  FileNotFound: "FILE_NOT_FOUND",
  BadResultFile: "RESULT_FILE_INVALID",
  // configuration
  NoAgents: "NO_AGENTS",
  RunDisabled: "RUN_TASK_DISABLED",
  TargetNotAllowed: "TARGET_NOT_ALLOWED",
  LimitExceeded: "LIMIT_EXCEEDED",
  /** The coordinator's config file or tokens file is invalid. */
  BadConfig: "CONFIG_INVALID",
  // transport
  LinkClosed: "LINK_CLOSED",
  AgentLost: "AGENT_LOST",
  ControlTimeout: "CONTROL_TIMEOUT",
  MalformedMessage: "MALFORMED_MESSAGE",
  /** Agent: a Control named a shard the agent does not know. */
  UnknownShard: "SHARD_UNKNOWN",
  /** Agent: a ShardSpec it cannot run (bad url, no termination, ...). */
  BadShard: "SHARD_INVALID",
  /** Agent: a Control the agent does not implement. */
  Unsupported: "UNSUPPORTED",
  /** A secret reference that is not env:NAME, file:/path or secret:[namespace/]name/key. */
  BadSecretReference: "SECRET_REFERENCE_INVALID",
  /** A well-formed secret reference whose value is not there (unset variable, unreadable file, no such Secret or key). */
  SecretUnavailable: "SECRET_UNAVAILABLE",
  /** The coordinator service: an env variable or file the experiment names is not one of its declared secret sources. */
  SecretNotDeclared: "SECRET_NOT_DECLARED",
  /** No usable Kubernetes configuration (kubeconfig, KUBECONFIG, in-cluster service account). */
  KubernetesConfig: "KUBERNETES_CONFIG_INVALID",
  /** The Kubernetes API failed or answered something unexpected (other than "not found"). */
  KubernetesApi: "KUBERNETES_API_FAILED",
  // target
  TargetUnreachable: "TARGET_UNREACHABLE",
  BackendFailed: "BACKEND_FAILED",
  ActionFailed: "ACTION_FAILED",
  /** A URL the experiment names (payloadURL, payloadTemplateURL, templates, ...) could not be fetched when its task ran. */
  FetchFailed: "RUNTIME_FETCH_FAILED",
  /** What a run-time fetch returned is larger than its size limit. */
  FetchTooLarge: "RUNTIME_FETCH_TOO_LARGE",
  // internal
  Invariant: "INVARIANT",
  ConservationMismatch: "CONSERVATION_MISMATCH",
  // cancelled
  Interrupted: "INTERRUPTED",
  // API (coordinator service): mapped to their own gRPC status codes
  /** The experiment (or other object) named in a request does not exist. */
  NotFound: "NOT_FOUND",
  /** No token, or a token the coordinator does not know. */
  Unauthenticated: "UNAUTHENTICATED",
  /** The token's role may not make this call. */
  PermissionDenied: "PERMISSION_DENIED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Whether `text` is one of this build's codes (codes arrive as text from agents and the API). */
export function isErrorCode(text: string): text is ErrorCode {
  return ERROR_CODES.has(text);
}

export function isAssayError(error: unknown): error is AssayError {
  return error instanceof AssayError;
}

/** A new error of the class `kind` names (an error's parts sent across a thread or the wire); InternalError for a kind this build does not know. */
export function errorOfKind(kind: string, code: ErrorCode, message: string, options: AssayErrorOptions = {}): AssayError {
  switch (kind) {
    case ErrorKind.Validation:
      return new ValidationError(code, message, options);
    case ErrorKind.Configuration:
      return new ConfigurationError(code, message, options);
    case ErrorKind.Transport:
      return new TransportError(code, message, options);
    case ErrorKind.Target:
      return new TargetError(code, message, options);
    case ErrorKind.Cancelled:
      return new CancelledError(code, message, options);
    default:
      return new InternalError(code, message, options);
  }
}

/** Wraps anything thrown into an AssayError (InternalError unless it already is one). */
export function toAssayError(error: unknown): AssayError {
  if (error instanceof AssayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(ErrorCode.Invariant, message, { cause: error });
}
