/**
 * The experiment model: what the parser (core/experiment/parse.ts) produces from an Iter8-format
 * YAML file after validation, defaults and `--set` overrides. Everything inside is normalised:
 * canonical task names, durations in milliseconds, payloads read into bytes. Nothing in here is
 * a human string that still needs parsing.
 */
import type { SourceLocation } from "../errors.js";

/** Canonical task names (Iter8's short names plus Assay's extensions). */
export const TaskName = {
  Http: "http",
  Grpc: "grpc",
  CustomMetrics: "custommetrics",
  Assess: "assess",
  Notify: "notify",
  Slack: "slack",
  Github: "github",
  Ready: "ready",
  Run: "run",
  K8sPatch: "k8s-patch",
  CloudEvent: "cloudevent",
  Traffic: "traffic",
} as const;
export type TaskName = (typeof TaskName)[keyof typeof TaskName];

/** Long (Iter8 v0.8 and older) names accepted as aliases of the canonical ones. */
export const TASK_ALIASES: Readonly<Record<string, TaskName>> = {
  "gen-load-and-collect-metrics-http": TaskName.Http,
  "gen-load-and-collect-metrics": TaskName.Http,
  "gen-load-and-collect-metrics-grpc": TaskName.Grpc,
  "custom-metrics": TaskName.CustomMetrics,
  "collect-metrics-database": TaskName.CustomMetrics,
  "assess-app-versions": TaskName.Assess,
  /** Iter8 v0.10's name of ready (base/readiness.go ReadinessTaskName), same fields. */
  "k8s-object-ready": TaskName.Ready,
};

/** Iter8's default latency percentiles, always reported. */
export const DEFAULT_PERCENTILES: readonly number[] = [50, 75, 90, 95, 99, 99.9];

export interface Experiment {
  /** `name:` in the file, else the file's base name without extension. */
  readonly name: string;
  /** Path of the file it was read from ("<inline>" for strings). */
  readonly source: string;
  readonly tasks: readonly TaskEntry[];
}

/** One entry of the task list. */
export interface TaskEntry {
  /** Position in the list, 0-based. */
  readonly index: number;
  /** The task name as written in the file (an alias stays visible in reports). */
  readonly writtenName: string;
  /** Parsed `if:` condition, when present. */
  readonly condition: Condition | undefined;
  /** `if:` as written. */
  readonly conditionText: string | undefined;
  readonly spec: TaskSpec;
  readonly location: SourceLocation;
}

export type TaskSpec =
  | HttpTaskSpec
  | GrpcTaskSpec
  | CustomMetricsTaskSpec
  | AssessTaskSpec
  | NotifyTaskSpec
  | SlackTaskSpec
  | GithubTaskSpec
  | ReadyTaskSpec
  | RunTaskSpec
  | K8sPatchTaskSpec
  | CloudEventTaskSpec
  | TrafficTaskSpec;

// ------------------------------------------------------------------------------------ load

export const LoadModelKind = { Open: "open", Closed: "closed" } as const;
export type LoadModelKind = (typeof LoadModelKind)[keyof typeof LoadModelKind];

export interface StageSpec {
  readonly durationMs: number;
  /** Rate reached at the end of the stage (linear ramp from the previous stage's rate). */
  readonly qps: number;
}

/** An inclusive HTTP status range counted as an error; a missing bound is open. */
export interface StatusRangeSpec {
  readonly lower: number | undefined;
  readonly upper: number | undefined;
}

/** How many agents a load task uses: a count, or a label selector. */
export type AgentSelection =
  | { readonly kind: "count"; readonly count: number }
  | { readonly kind: "selector"; readonly labels: Readonly<Record<string, string>> };

/** One HTTP request shape: the version's url, or an endpoint's overrides applied to it. */
export interface HttpRequestSpec {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Request body known at parse time (payloadStr, or the bytes of payloadFile). */
  readonly body: Uint8Array | undefined;
  /**
   * Iter8's `payloadURL`: the body is fetched from this URL when the task runs (`body` is then
   * undefined). See runTimeFetches. Always set by the parser (optional for hand-built specs).
   */
  readonly payloadURL?: string | undefined;
  readonly contentType: string | undefined;
}

/**
 * The load of one series: the task's fields, or, for an endpoint, the endpoint's own fields over
 * the task's (Iter8 merges an endpoint's fields over the task's the same way).
 */
export interface HttpLoadSpec {
  /**
   * Requests per version (and per endpoint). Iter8: default 100; wins over duration. Undefined in
   * duration mode (duration given and numRequests not).
   */
  readonly numRequests: number | undefined;
  /** Run length in duration mode. */
  readonly durationMs: number | undefined;
  /**
   * Requests per second per version. Iter8's default is 8. 0 means unlimited (closed model at full
   * speed).
   */
  readonly qps: number;
  /** Connections per version (Iter8 default 4). */
  readonly connections: number;
  /** `open` when qps was given explicitly (or stages), else `closed` (rate-capped at qps if > 0). */
  readonly loadModel: LoadModelKind;
  readonly stages: readonly StageSpec[];
  /** Empty means status >= 400 is an error. Connection failures and timeouts always are. */
  readonly errorRanges: readonly StatusRangeSpec[];
  /**
   * Sorted, de-duplicated, always including DEFAULT_PERCENTILES, and every latency percentile an
   * SLO or reward of the experiment names for this series (so it is computed even if not listed).
   */
  readonly percentiles: readonly number[];
}

/** One endpoint of a version: its request, and its load. */
export interface HttpEndpointSpec extends HttpRequestSpec {
  readonly load: HttpLoadSpec;
  /**
   * The load fields the endpoint wrote itself (`numRequests`, `duration`, `qps`, `connections`,
   * `errorRanges`, `percentiles`), in file order; empty when its load is the task's.
   */
  readonly loadOverrides: readonly string[];
}

export interface HttpVersionSpec {
  /** "default" for the single-url form. */
  readonly name: string;
  readonly request: HttpRequestSpec;
  /** Endpoint name -> endpoint (the version's request with the endpoint's overrides applied). */
  readonly endpoints: Readonly<Record<string, HttpEndpointSpec>>;
}

/** The task-level fields of HttpLoadSpec are the task's own (endpoints may override them). */
export interface HttpTaskSpec extends HttpLoadSpec {
  readonly task: typeof TaskName.Http;
  /** At least one. The first is the baseline unless assess.baseline says otherwise. */
  readonly versions: readonly HttpVersionSpec[];
  /**
   * Endpoint names in file order (the same for every version); empty without endpoints. Always
   * set by the parser (optional for hand-built specs: then the order of `endpoints`' keys).
   */
  readonly endpointOrder?: readonly string[];
  readonly warmupNumRequests: number | undefined;
  readonly warmupDurationMs: number | undefined;
  /**
   * Assay's `concurrentEndpoints: true`: every endpoint's load runs at the same time. Absent/false:
   * endpoints run one after another in file order, each with its own load (Iter8's http task).
   */
  readonly concurrentEndpoints?: boolean;
  /** Keys Iter8's v0.9–v0.10 charts dumped into the task (`SLOs`, `iter8lib`), as field paths: accepted, not applied, warned about. */
  readonly ignoredFields?: readonly string[];
  /**
   * Iter8's `warmup: true` (its chart writes it for a separate warm-up task): the load runs and its
   * results are discarded; the task records no metrics. Always set by the parser; absent = false.
   */
  readonly warmup?: boolean;
  /** Per-request timeout (Assay; default 30s). */
  readonly timeoutMs: number;
  readonly agents: AgentSelection | undefined;
  readonly insecureSkipVerify: boolean;
  readonly followRedirects: boolean;
}

/** The endpoint names of an http task in file order. */
export function endpointNames(spec: HttpTaskSpec): readonly string[] {
  return spec.endpointOrder ?? Object.keys(spec.versions[0]?.endpoints ?? {});
}

/**
 * What one gRPC call of a series is (ghz's call fields). Files and URLs are read when the task runs
 * (an earlier `run` task may write them, as Iter8's chart does); the coordinator then resolves the
 * method (proto, protoset, or server reflection) and encodes the request messages once.
 */
export interface GrpcCallSpec {
  /** `host:port` (ghz `host`). */
  readonly host: string;
  /** `package.Service.Method` or `package.Service/Method`. */
  readonly call: string;
  /** Absolute path of the .proto file. */
  readonly proto: string | undefined;
  readonly protoURL?: string | undefined;
  /** Absolute path of a protoset (a serialized FileDescriptorSet). */
  readonly protoset: string | undefined;
  readonly protosetURL?: string | undefined;
  /** Directories imports of `proto` are looked up in (ghz `import-paths`; the proto's own directory is always one). */
  readonly importPaths: readonly string[];
  /** Call data as JSON: an object (one message), or a list of objects (a stream, or round-robin for unary calls). */
  readonly data: unknown;
  /** ghz `data-file`: a JSON file of call data (absolute path). */
  readonly dataFile?: string | undefined;
  readonly dataURL?: string | undefined;
  /** `binaryData` (base64 in the file): one serialized message. Wins over JSON data. */
  readonly binaryData?: Uint8Array | undefined;
  /** ghz `binary-file` (absolute path). */
  readonly binaryFile?: string | undefined;
  readonly binaryDataURL?: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  /** ghz `metadata-file`: a JSON object of metadata (absolute path). */
  readonly metadataFile?: string | undefined;
  readonly metadataURL?: string | undefined;
  /** ghz `reflect-metadata`: metadata sent with server reflection requests. */
  readonly reflectMetadata: Readonly<Record<string, string>>;
}

/** How the task connects (ghz `insecure`, `skipTLS`, `cacert`, `cert`, `key`, `cname`, `authority`). */
export interface GrpcTlsSpec {
  /** Plaintext (no TLS): the default, as Iter8 forces it; TLS when `insecure: false` or a TLS field is set. */
  readonly plaintext: boolean;
  readonly skipVerify: boolean;
  /** Absolute paths of PEM files. */
  readonly caCertFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  /** Server name checked against the certificate (ghz `cname`). */
  readonly serverName: string | undefined;
  /** The `:authority` header (ghz `authority`). */
  readonly authority: string | undefined;
}

/** The load of one gRPC series (the task's, or an endpoint's own `total`/`concurrency`/`rps` over it). */
export interface GrpcLoadSpec {
  /** Counted calls (ghz `total` minus `skipFirst`; default 200); undefined in duration mode. */
  readonly numRequests: number | undefined;
  readonly durationMs: number | undefined;
  /** ghz `rps` (Assay `qps`): open model at that rate; 0 = no rate limit (closed model). */
  readonly qps: number;
  /** ghz `concurrency` (default 50): calls in flight at once. */
  readonly connections: number;
  readonly loadModel: LoadModelKind;
  readonly stages: readonly StageSpec[];
  readonly percentiles: readonly number[];
}

export interface GrpcEndpointSpec {
  readonly call: GrpcCallSpec;
  readonly load: GrpcLoadSpec;
  /** The load fields the endpoint wrote itself (`total`, `concurrency`, `rps`), in file order. */
  readonly loadOverrides: readonly string[];
}

export interface GrpcVersionSpec {
  /** "default" for the single host/call form; v1, v2, ... for unnamed `versionInfo` entries. */
  readonly name: string;
  readonly call: GrpcCallSpec;
  readonly endpoints: Readonly<Record<string, GrpcEndpointSpec>>;
}

/** Iter8's grpc task (ghz's config keys), normalised: the LoadShape fields plus the gRPC ones. */
/**
 * ghz's streaming options, per streaming call (0 = not set). Client and bidirectional streaming:
 * `callCount` messages are sent (the data's messages in turn; default: each once), `intervalMs`
 * apart, and sending stops at `callDurationMs`. Server streaming: the call is ended by the client
 * after `callCount` responses or at `callDurationMs`.
 */
export interface GrpcStreamSpec {
  readonly intervalMs: number;
  readonly callDurationMs: number;
  readonly callCount: number;
}

export interface GrpcTaskSpec extends GrpcLoadSpec {
  readonly task: typeof TaskName.Grpc;
  readonly versions: readonly GrpcVersionSpec[];
  /** Endpoint names in file order; empty without endpoints. */
  readonly endpointOrder: readonly string[];
  /** ghz `skipFirst` (or Assay's warmupNumRequests): calls made first and not counted. */
  readonly warmupNumRequests: number | undefined;
  readonly warmupDurationMs: number | undefined;
  /** Iter8's `warmup: true`: the load runs and its results are discarded. */
  readonly warmup: boolean;
  readonly agents: AgentSelection | undefined;
  /** Per-call deadline (ghz `timeout`, default 20s). */
  readonly timeoutMs: number;
  /** ghz `connect-timeout` (`dial-timeout`), default 10s. */
  readonly connectTimeoutMs: number;
  /** ghz `keepalive`: HTTP/2 keepalive ping interval; 0 = none. */
  readonly keepaliveMs: number;
  /** ghz's streaming options (0 = not set): see GrpcStreamSpec. */
  readonly stream: GrpcStreamSpec;
  /** ghz `connections` (default 1): HTTP/2 connections per series, the concurrency spread over them. */
  readonly http2Connections: number;
  readonly tls: GrpcTlsSpec;
  /**
   * Fields accepted and ignored as Iter8 ignored them but that look like mistakes (the misspelt
   * `connect-timeeout`), as field paths: the runner warns about each.
   */
  readonly ignoredFields?: readonly string[];
}

// ------------------------------------------------------------------------------------ metrics

/** A custom-metrics provider: how to query one backend. */
export interface MetricsProviderSpec {
  /** Metrics are named `<provider>/<metric>`. */
  readonly name: string;
  /** "prometheus" (PromQL against /api/v1/query) or "rest". */
  readonly type: "prometheus" | "rest";
  /** URL template (templated over the values). */
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly metrics: readonly CustomMetricSpec[];
}

export interface CustomMetricSpec {
  readonly name: string;
  readonly description: string | undefined;
  readonly units: string | undefined;
  readonly type: "gauge" | "counter" | "rate" | "mean" | "count";
  /** Query template(s); a plain gauge has `value`, sample-statistic types have their parts. */
  readonly queries: Readonly<Record<string, string>>;
  /** Expression that picks the value from the JSON response (e.g. `$.data.result[0].value[1]`). */
  readonly jqExpression: string | undefined;
}

export interface CustomMetricsTaskSpec {
  readonly task: typeof TaskName.CustomMetrics;
  readonly providers: readonly MetricsProviderSpec[];
  readonly values: Readonly<Record<string, unknown>>;
  readonly versionValues: readonly Readonly<Record<string, unknown>>[];
  readonly raw: Readonly<Record<string, unknown>>;
}

// ------------------------------------------------------------------------------------ assess

export interface SloSpec {
  readonly metric: string;
  readonly limit: number;
}

export interface AssessTaskSpec {
  readonly task: typeof TaskName.Assess;
  readonly slos: { readonly upper: readonly SloSpec[]; readonly lower: readonly SloSpec[] };
  readonly rewards: { readonly max: readonly string[]; readonly min: readonly string[] };
  readonly baseline: string | undefined;
  /** Default 0.95. */
  readonly confidence: number;
  /** Assessment options passed through (priors, floor, cap, seed, ...). */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Looped experiments: assess each loop on its own data (`loop`, the default) or on every loop's
   * data so far (`cumulative`: sample statistics added up, so the posterior accumulates).
   */
  readonly scope?: "loop" | "cumulative";
}

// ------------------------------------------------------------------------------------ actions

/** Common to action tasks. */
export interface ActionCommon {
  readonly softFailure: boolean;
  readonly timeoutMs: number | undefined;
  readonly retries: number | undefined;
}

export interface NotifyTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.Notify;
  readonly url: string;
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly payloadTemplate: string | undefined;
  /**
   * Iter8's `payloadTemplateURL`: the template is fetched from here when the task runs
   * (`payloadTemplate` is then undefined). Always set by the parser.
   */
  readonly payloadTemplateURL?: string | undefined;
}

export interface SlackTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.Slack;
  readonly url: string;
  readonly method: string;
  readonly payloadTemplate: string | undefined;
  /**
   * Iter8's `payloadTemplateURL`: the template is fetched from here when the task runs
   * (`payloadTemplate` is then undefined). Always set by the parser.
   */
  readonly payloadTemplateURL?: string | undefined;
}

export interface GithubTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.Github;
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  readonly eventType: string | undefined;
  readonly workflow: string | undefined;
  readonly ref: string | undefined;
  readonly apiUrl: string;
  readonly payloadTemplate: string | undefined;
  /**
   * Iter8's `payloadTemplateURL`: the template is fetched from here when the task runs
   * (`payloadTemplate` is then undefined). Always set by the parser.
   */
  readonly payloadTemplateURL?: string | undefined;
}

export interface ReadyTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.Ready;
  readonly name: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly condition: string | undefined;
  /** Iter8 v1.x: ready when any of these condition types is "True" (not with `condition`). */
  readonly conditions?: readonly string[];
}

export interface RunTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.Run;
  readonly command: string;
}

export interface K8sPatchTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.K8sPatch;
  readonly apiVersion: string;
  readonly kind: string | undefined;
  readonly resource: string | undefined;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly patchType: "json" | "merge" | "apply";
  /** Template text of the patch (YAML or JSON once rendered). */
  readonly patchTemplate: string;
}

export interface CloudEventTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.CloudEvent;
  readonly url: string;
  readonly type: string;
  readonly source: string;
  readonly mode: "binary" | "structured";
  readonly payloadTemplate: string | undefined;
  /**
   * Iter8's `payloadTemplateURL`: the template is fetched from here when the task runs
   * (`payloadTemplate` is then undefined). Always set by the parser.
   */
  readonly payloadTemplateURL?: string | undefined;
}

/** Where one version's weight lives: a field of a Kubernetes object. */
export interface TrafficWeightRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Default: the kubeconfig context's namespace. */
  readonly namespace: string | undefined;
  /** The weight's field as written (`.spec.http[0].route[1].weight`). */
  readonly fieldPath: string;
  /** The same field as a JSON pointer (`/spec/http/0/route/1/weight`). */
  readonly pointer: string;
}

export const TrafficPattern = { Progressive: "progressive", FixedSplit: "fixed-split", BlueGreen: "blue-green", DarkLaunch: "dark-launch" } as const;
export type TrafficPattern = (typeof TrafficPattern)[keyof typeof TrafficPattern];

/** `traffic`: moves weights between versions each loop, from the assessment (docs/progressive.md). */
export interface TrafficTaskSpec extends ActionCommon {
  readonly task: typeof TaskName.Traffic;
  readonly pattern: TrafficPattern;
  /** Percentage points a candidate's weight may change per loop (progressive). Default 10. */
  readonly maxIncrement: number;
  /** After the last loop: winner to 100 (baseline without one), baseline to 100, or leave. */
  readonly onFinish: "promote" | "rollback" | "keep";
  /** The version that takes the rest; default the first of `versions`. */
  readonly baseline: string;
  /** Version name -> where its weight lives, in file order. */
  readonly versions: readonly { readonly version: string; readonly ref: TrafficWeightRef }[];
}

// ------------------------------------------------------------------------------------ conditions

/**
 * A parsed `if:` expression. Grammar (EXPERIMENT.md):
 *   expr    := or
 *   or      := and ("or" and)*          (also "||")
 *   and     := unary ("and" unary)*     (also "&&")
 *   unary   := ("not" | "!") unary | compare
 *   compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand)?
 *   operand := call | "NumLoops" | "Result." path | string | number | true | false | "(" expr ")"
 *   call    := "SLOs()" | "WinnerFound()" | "Winner()" | "CandidateWon()"
 */
export type Condition =
  | { readonly kind: "call"; readonly fn: ConditionFunction }
  | { readonly kind: "field"; readonly path: readonly string[] }
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  | { readonly kind: "not"; readonly operand: Condition }
  | { readonly kind: "and" | "or"; readonly left: Condition; readonly right: Condition }
  | {
      readonly kind: "compare";
      readonly op: "==" | "!=" | "<" | "<=" | ">" | ">=";
      readonly left: Condition;
      readonly right: Condition;
    };

export type ConditionFunction = "SLOs" | "WinnerFound" | "Winner" | "CandidateWon";

/** What a condition is evaluated against. */
export interface ConditionContext {
  /** All SLOs satisfied by all versions (false when no assess task ran). */
  slosSatisfied(): boolean;
  /** The winning version, or null. */
  winner(): string | null;
  /** A version other than the baseline won. */
  candidateWon(): boolean;
  /** The result document, for `Result.<path>` (first path element after `Result`). */
  readonly result: Readonly<Record<string, unknown>>;
}
