import { parseDurationMs } from "../duration.js";
import { ErrorCode } from "../errors.js";
import { VALUE_LIMITS } from "./limits.js";
import type { Anchor, Problems } from "./problems.js";
import { childPath, closest, describeNode, shorten } from "./problems.js";
import type { MapEntry, MapNode, SeqNode, TreeNode } from "./tree.js";

/** Options of one parse (see ParseOptions in parse.ts). */
export interface ParseContext {
  readonly problems: Problems;
  /** Directory relative `payloadFile`-like paths are read from. */
  readonly baseDir: string;
  readonly checkTemplate: ((text: string, field: string) => void) | undefined;
  /** Every metric an SLO or reward names, for the checks that need the whole experiment. */
  readonly metricRefs: MetricRef[];
  /** ParseOptions.fileAccess: why a local file may not be read, or undefined. */
  readonly fileAccess?: ((fullPath: string, field: string) => string | undefined) | undefined;
}

/** A metric named by an assess task, where it was written. */
export interface MetricRef {
  /** Canonical name (metric-names.ts). */
  readonly metric: string;
  /** As written. */
  readonly written: string;
  readonly field: string;
  readonly anchor: Anchor;
}

/** A numeric range; `expected` phrases are derived from it. */
export interface NumberRange {
  readonly integer?: boolean;
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /**
   * A largest value that is a resource limit rather than part of the field's meaning
   * (VALUE_LIMITS): named in the message only when it is exceeded.
   */
  readonly limit?: number;
}

/**
 * The kinds of counts (whole numbers of things) a task field holds. Every count goes through
 * Fields.count: finite, whole, at least `min`, at most the kind's limit; `1e300`, `2.5`, `.inf`
 * are errors naming the field.
 */
export const Count = {
  /** numRequests, grpc total. */
  requests: { min: 1, limit: VALUE_LIMITS.maxRequests },
  /** warmupNumRequests. */
  warmupRequests: { min: 0, limit: VALUE_LIMITS.maxRequests },
  /** connections, grpc concurrency. */
  connections: { min: 1, limit: VALUE_LIMITS.maxConnections },
  /** An action's retries. */
  retries: { min: 0, limit: VALUE_LIMITS.maxRetries },
  /** agents: how many. */
  agents: { min: 1, limit: VALUE_LIMITS.maxAgents },
  /** grpc stream-call-count: messages per streaming call (0 = ghz's default, the data's messages). */
  streamMessages: { min: 0, limit: 1_000_000 },
} as const satisfies Record<string, { readonly min: number; readonly limit: number }>;
export type CountKind = (typeof Count)[keyof typeof Count];

/** A rate in requests per second (qps, rps, a stage's qps): finite, ≥ 0, at most VALUE_LIMITS.maxQps. */
export const RATE: NumberRange = { min: 0, limit: VALUE_LIMITS.maxQps };

export function describeRange(range: NumberRange): string {
  const { integer = false, min, max, minExclusive = false, maxExclusive = false } = range;
  if (max === undefined) {
    if (integer && min === 1 && !minExclusive) return "a positive integer";
    if (min === 0 && !minExclusive) return integer ? "a non-negative integer" : "a non-negative number";
    if (min === 0 && minExclusive) return integer ? "a positive integer" : "a positive number";
    if (min === undefined) return integer ? "an integer" : "a number";
    return `${integer ? "an integer" : "a number"} ${minExclusive ? ">" : "≥"} ${min}`;
  }
  const what = integer ? "an integer" : "a number";
  if (min === undefined) return `${what} ${maxExclusive ? "<" : "≤"} ${max}`;
  if (minExclusive && maxExclusive) return `${what} between ${min} and ${max} (exclusive)`;
  if (!minExclusive && !maxExclusive) return `${what} from ${min} to ${max}`;
  return `${what} in ${minExclusive ? "(" : "["}${min}, ${max}${maxExclusive ? ")" : "]"}`;
}

export function checkNumber(ctx: ParseContext, node: TreeNode, field: string, range: NumberRange = {}): number | undefined {
  const expected = describeRange(range);
  if (node.kind !== "scalar" || typeof node.value !== "number") {
    ctx.problems.report(ErrorCode.WrongType, node, field, `expected ${expected}, got ${describeNode(node)}`);
    return undefined;
  }
  const value = node.value;
  const { integer = false, min, max, minExclusive = false, maxExclusive = false, limit } = range;
  const bad =
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    (min !== undefined && (minExclusive ? value <= min : value < min)) ||
    (max !== undefined && (maxExclusive ? value >= max : value > max));
  if (bad) {
    const code = integer && !Number.isInteger(value) && Number.isFinite(value) ? ErrorCode.WrongType : ErrorCode.OutOfRange;
    ctx.problems.report(code, node, field, `expected ${expected}, got ${describeNode(node)}`);
    return undefined;
  }
  if (limit !== undefined && value > limit) {
    ctx.problems.report(ErrorCode.OutOfRange, node, field, `expected ${expected} of at most ${limit} (the limit), got ${describeNode(node)}`);
    return undefined;
  }
  return value;
}

/** A count of `kind` (see Count). */
export function checkCount(ctx: ParseContext, node: TreeNode, field: string, kind: CountKind): number | undefined {
  return checkNumber(ctx, node, field, { integer: true, min: kind.min, limit: kind.limit });
}

/** RFC 9110 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than horizontal tab: never in a header value (no CRLF injection). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

/**
 * HTTP headers (or gRPC metadata): a map of strings whose names are RFC 9110 tokens and whose
 * values hold no control characters (CR, LF, NUL, ...). Numbers and booleans are written as text.
 */
export function checkHeaders(ctx: ParseContext, node: TreeNode, field: string): Record<string, string> | undefined {
  const headers = checkStringMap(ctx, node, field);
  if (headers === undefined || node.kind !== "map") return undefined;
  let ok = true;
  for (const { key, keyLoc, value } of node.entries) {
    const path = childPath(field, key);
    if (!HEADER_NAME.test(key)) {
      ctx.problems.report(ErrorCode.OutOfRange, { loc: keyLoc, origin: value.origin }, path, `a header name is letters, digits and !#$%&'*+-.^_\`|~ only, got ${JSON.stringify(shorten(key))}`);
      ok = false;
    }
    const text = headers[key];
    if (text !== undefined && hasControlCharacter(text)) {
      ctx.problems.report(ErrorCode.OutOfRange, value, path, `a header value may not hold control characters (CR, LF, NUL, ...), got ${JSON.stringify(shorten(text))}`);
      ok = false;
    }
  }
  return ok ? headers : undefined;
}

export function checkString(ctx: ParseContext, node: TreeNode, field: string, options: { nonEmpty?: boolean } = {}): string | undefined {
  if (node.kind !== "scalar" || typeof node.value !== "string") {
    ctx.problems.report(ErrorCode.WrongType, node, field, `expected a string, got ${describeNode(node)}`);
    return undefined;
  }
  if ((options.nonEmpty ?? true) && node.value.trim() === "") {
    ctx.problems.report(ErrorCode.OutOfRange, node, field, "expected a non-empty string");
    return undefined;
  }
  return node.value;
}

export function checkBoolean(ctx: ParseContext, node: TreeNode, field: string): boolean | undefined {
  if (node.kind !== "scalar" || typeof node.value !== "boolean") {
    ctx.problems.report(ErrorCode.WrongType, node, field, `expected true or false, got ${describeNode(node)}`);
    return undefined;
  }
  return node.value;
}

/** A Go duration string ("10s", "1m30s") or a number of seconds, in milliseconds. */
export function checkDuration(ctx: ParseContext, node: TreeNode, field: string, options: { positive?: boolean } = {}): number | undefined {
  const expected = 'a duration like "10s", "1m30s" or a number of seconds';
  if (node.kind !== "scalar" || (typeof node.value !== "string" && typeof node.value !== "number")) {
    ctx.problems.report(ErrorCode.WrongType, node, field, `expected ${expected}, got ${describeNode(node)}`);
    return undefined;
  }
  let ms: number;
  try {
    ms = parseDurationMs(node.value, field);
  } catch {
    ctx.problems.report(ErrorCode.BadDuration, node, field, `expected ${expected}, got ${describeNode(node)}`);
    return undefined;
  }
  if ((options.positive ?? true) && ms <= 0) {
    ctx.problems.report(ErrorCode.OutOfRange, node, field, `expected a duration greater than zero, got ${describeNode(node)}`);
    return undefined;
  }
  if (!(ms <= VALUE_LIMITS.maxDurationMs)) {
    ctx.problems.report(ErrorCode.OutOfRange, node, field, `expected a duration of at most 7 days (168h), got ${describeNode(node)}`);
    return undefined;
  }
  return ms;
}

/**
 * An http: or https: URL; with `secretReference`, also a secret reference that an action resolves
 * at run time (`${env:NAME}`, `${file:/path}`, `${secret:[namespace/]name/key}`).
 */
export function checkUrl(ctx: ParseContext, node: TreeNode, field: string, secretReference = false): string | undefined {
  const text = checkString(ctx, node, field);
  if (text === undefined) return undefined;
  if (secretReference && /^\$\{(?:env|file|secret):[^}]+\}/.test(text.trim())) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.problems.report(ErrorCode.OutOfRange, node, field, `expected an http:// or https:// URL, got ${describeNode(node)}`);
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.problems.report(ErrorCode.OutOfRange, node, field, `expected an http:// or https:// URL, got ${describeNode(node)}`);
    return undefined;
  }
  return text;
}

/**
 * Kubernetes' `valueFrom: {secretKeyRef: {name, key, namespace?}}` in place of a string: becomes the
 * reference `${secret:[namespace/]name/key}` that an action resolves at run time (never at parse
 * time: the value must not end up in the experiment model).
 */
export function checkValueFrom(ctx: ParseContext, node: MapNode, field: string): string | undefined {
  const outer = Fields.of(ctx, node, field, ["valueFrom"], "a secret reference");
  const valueFrom = outer?.present("valueFrom");
  if (!outer || valueFrom === undefined) {
    if (outer) outer.missing("valueFrom", "a map here must be {valueFrom: {secretKeyRef: {name, key, namespace?}}}");
    return undefined;
  }
  const from = Fields.of(ctx, valueFrom, childPath(field, "valueFrom"), ["secretKeyRef"], "valueFrom");
  const refNode = from?.present("secretKeyRef");
  if (!from || refNode === undefined) {
    if (from) from.missing("secretKeyRef", "valueFrom supports secretKeyRef (a Kubernetes Secret)");
    return undefined;
  }
  const ref = Fields.of(ctx, refNode, childPath(childPath(field, "valueFrom"), "secretKeyRef"), ["name", "key", "namespace"], "secretKeyRef");
  if (!ref) return undefined;
  const name = ref.string("name", { required: true, nonEmpty: true });
  const key = ref.string("key", { required: true, nonEmpty: true });
  const namespace = ref.string("namespace", { nonEmpty: true });
  if (name === undefined || key === undefined) return undefined;
  return `\${secret:${namespace === undefined ? "" : `${namespace}/`}${name}/${key}}`;
}

/** A map of strings; numbers and booleans are written as text (`X-Version: 2`). */
export function checkStringMap(ctx: ParseContext, node: TreeNode, field: string): Record<string, string> | undefined {
  if (node.kind !== "map") {
    ctx.problems.report(ErrorCode.WrongType, node, field, `expected a map of strings, got ${describeNode(node)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  let ok = true;
  for (const { key, value } of node.entries) {
    if (value.kind !== "scalar" || value.value === null) {
      ctx.problems.report(ErrorCode.WrongType, value, childPath(field, key), `expected a string, got ${describeNode(value)}`);
      ok = false;
      continue;
    }
    defineOwn(out, key, String(value.value));
  }
  return ok ? out : undefined;
}

export function checkMap(ctx: ParseContext, node: TreeNode, field: string, what = "a map"): MapNode | undefined {
  if (node.kind !== "map") {
    ctx.problems.report(ErrorCode.WrongType, node, field, `expected ${what}, got ${describeNode(node)}`);
    return undefined;
  }
  return node;
}

export function checkList(ctx: ParseContext, node: TreeNode, field: string, what = "a list"): SeqNode | undefined {
  if (node.kind !== "seq") {
    ctx.problems.report(ErrorCode.WrongType, node, field, `expected ${what}, got ${describeNode(node)}`);
    return undefined;
  }
  return node;
}

/** Sets an own property even for keys like `__proto__`. */
export function defineOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Typed access to the fields of one YAML map. Field names match whatever their case (`SLOs`,
 * `slos`, `Upper`), as Go's encoding/json matches them in Iter8; the same field written twice in
 * different cases is an error (EXPERIMENT_CONTRADICTION). Construction reports every key that is
 * no known field (EXPERIMENT_UNKNOWN_KEY, pointing at the key, with a "did you mean" hint). Maps
 * whose keys are data (headers, labels, endpoint and version names, metric names) are never read
 * through Fields, so their keys stay exact.
 */
export class Fields {
  private constructor(
    readonly ctx: ParseContext,
    readonly node: MapNode,
    readonly path: string,
    /** Lower-cased field name -> the entry that wrote it. */
    private readonly byName: ReadonlyMap<string, MapEntry>,
  ) {}

  /** `undefined` (and a problem reported) when `node` is not a map; a null node is an empty map. */
  static of(ctx: ParseContext, node: TreeNode, path: string, known: readonly string[], what: string): Fields | undefined {
    if (node.kind === "scalar" && node.value === null) {
      return new Fields(ctx, { kind: "map", loc: node.loc, origin: node.origin, entries: [] }, path, new Map());
    }
    if (node.kind !== "map") {
      ctx.problems.report(ErrorCode.WrongType, node, path, `expected a map (the fields of ${what}), got ${describeNode(node)}`);
      return undefined;
    }
    const knownNames = new Set(known.map((name) => name.toLowerCase()));
    const byName = new Map<string, MapEntry>();
    for (const mapEntry of node.entries) {
      const { key, keyLoc, value } = mapEntry;
      const name = key.toLowerCase();
      if (!knownNames.has(name)) {
        const guess = closest(key, known);
        const hint = guess === undefined ? `; known fields: ${known.join(", ")}` : ` (did you mean "${guess}"?)`;
        ctx.problems.report(ErrorCode.UnknownKey, { loc: keyLoc, origin: value.origin }, childPath(path, key), `unknown field ${JSON.stringify(shorten(key))} in ${what}${hint}`);
        continue;
      }
      const previous = byName.get(name);
      if (previous !== undefined) {
        ctx.problems.report(
          ErrorCode.Contradiction,
          { loc: keyLoc, origin: value.origin },
          childPath(path, key),
          `${JSON.stringify(shorten(key))} is the field "${previous.key}" again (field names match whatever their case, as in Iter8); write it once`,
        );
        continue;
      }
      byName.set(name, mapEntry);
    }
    return new Fields(ctx, node, path, byName);
  }

  get anchor(): Anchor {
    return this.node;
  }

  has(key: string): boolean {
    return this.byName.has(key.toLowerCase());
  }

  entry(key: string): MapEntry | undefined {
    return this.byName.get(key.toLowerCase());
  }

  get(key: string): TreeNode | undefined {
    return this.entry(key)?.value;
  }

  /** The value, unless absent or written as null (`key:` with nothing after it). */
  present(key: string): TreeNode | undefined {
    const value = this.get(key);
    if (value === undefined || (value.kind === "scalar" && value.value === null)) return undefined;
    return value;
  }

  /** The field's path, with the key as written. */
  pathOf(key: string): string {
    return childPath(this.path, this.entry(key)?.key ?? key);
  }

  missing(key: string, message = "is required"): void {
    this.ctx.problems.report(ErrorCode.MissingField, this.node, this.pathOf(key), message);
  }

  /** Reports a contradiction at the second key. */
  contradiction(first: string, second: string, message: string): void {
    const at = this.entry(second);
    const anchor: Anchor = at ? { loc: at.keyLoc, origin: at.value.origin } : this.node;
    this.ctx.problems.report(ErrorCode.Contradiction, anchor, this.pathOf(second), message.replace("{first}", first));
  }

  /** With `secretReference`, a `valueFrom: {secretKeyRef}` map is accepted too (see checkValueFrom). */
  string(key: string, options: { required?: boolean; nonEmpty?: boolean; secretReference?: boolean } = {}): string | undefined {
    const value = this.present(key);
    if (value === undefined) {
      if (options.required) this.missing(key);
      return undefined;
    }
    if (options.secretReference && value.kind === "map") return checkValueFrom(this.ctx, value, this.pathOf(key));
    return checkString(this.ctx, value, this.pathOf(key), options.nonEmpty === undefined ? {} : { nonEmpty: options.nonEmpty });
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    const text = checkString(this.ctx, value, this.pathOf(key));
    if (text === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(text)) {
      this.ctx.problems.report(ErrorCode.OutOfRange, value, this.pathOf(key), `expected one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describeNode(value)}`);
      return undefined;
    }
    return text as T;
  }

  number(key: string, range: NumberRange = {}, options: { required?: boolean } = {}): number | undefined {
    const value = this.present(key);
    if (value === undefined) {
      if (options.required) this.missing(key);
      return undefined;
    }
    return checkNumber(this.ctx, value, this.pathOf(key), range);
  }

  count(key: string, kind: CountKind, options: { required?: boolean } = {}): number | undefined {
    const value = this.present(key);
    if (value === undefined) {
      if (options.required) this.missing(key);
      return undefined;
    }
    return checkCount(this.ctx, value, this.pathOf(key), kind);
  }

  headers(key: string): Record<string, string> | undefined {
    const value = this.present(key);
    return value === undefined ? undefined : checkHeaders(this.ctx, value, this.pathOf(key));
  }

  boolean(key: string): boolean | undefined {
    const value = this.present(key);
    return value === undefined ? undefined : checkBoolean(this.ctx, value, this.pathOf(key));
  }

  durationMs(key: string, options: { positive?: boolean } = {}): number | undefined {
    const value = this.present(key);
    return value === undefined ? undefined : checkDuration(this.ctx, value, this.pathOf(key), options);
  }

  url(key: string, options: { required?: boolean; secretReference?: boolean } = {}): string | undefined {
    const value = this.present(key);
    if (value === undefined) {
      if (options.required) this.missing(key);
      return undefined;
    }
    if (options.secretReference && value.kind === "map") return checkValueFrom(this.ctx, value, this.pathOf(key));
    return checkUrl(this.ctx, value, this.pathOf(key), options.secretReference ?? false);
  }

  stringMap(key: string): Record<string, string> | undefined {
    const value = this.present(key);
    return value === undefined ? undefined : checkStringMap(this.ctx, value, this.pathOf(key));
  }

  list(key: string, what?: string): SeqNode | undefined {
    const value = this.present(key);
    return value === undefined ? undefined : checkList(this.ctx, value, this.pathOf(key), what);
  }

  map(key: string, what?: string): MapNode | undefined {
    const value = this.present(key);
    return value === undefined ? undefined : checkMap(this.ctx, value, this.pathOf(key), what);
  }

  /** Runs the template hook (ParseOptions.checkTemplate) and reports what it throws. */
  template(key: string, text: string): void {
    const value = this.get(key);
    checkTemplate(this.ctx, text, this.pathOf(key), value ?? this.node);
  }
}

export function checkTemplate(ctx: ParseContext, text: string, field: string, at: Anchor): void {
  if (ctx.checkTemplate === undefined) return;
  try {
    ctx.checkTemplate(text, field);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const prefix = `${field}: `;
    ctx.problems.report(ErrorCode.BadTemplate, at, field, message.startsWith(prefix) ? message.slice(prefix.length) : message);
  }
}
