import { ValidationError } from "../errors.js";
import type { ErrorCode, SourceLocation } from "../errors.js";
import type { TreeNode } from "./tree.js";

/** One thing wrong with an experiment file. */
export interface ExperimentProblem {
  readonly code: ErrorCode;
  /** Starts with the field path: `spec[1].with.qps: expected a non-negative number, got -5`. */
  readonly message: string;
  readonly field: string;
  readonly location: SourceLocation;
}

/** At most this many problems are listed; the rest are counted. */
const MAX_LISTED = 25;

/**
 * The error the parser throws: a ValidationError whose code, field and location are those of the
 * first problem (in file order) and whose message lists every problem found, one per line, each
 * after the first prefixed with its own `file:line:column:`. `problems` holds them structured.
 */
export class ExperimentValidationError extends ValidationError {
  readonly problems: readonly ExperimentProblem[];

  constructor(problems: readonly ExperimentProblem[], cause?: unknown) {
    const [first, ...rest] = problems;
    if (first === undefined) throw new RangeError("ExperimentValidationError needs at least one problem");
    const lines = [first.message];
    for (const problem of rest.slice(0, MAX_LISTED - 1)) lines.push(`${formatLocation(problem.location)}: ${problem.message}`);
    if (problems.length > MAX_LISTED) lines.push(`... and ${problems.length - MAX_LISTED} more problems`);
    super(first.code, lines.join("\n"), {
      field: first.field,
      location: first.location,
      ...(cause === undefined ? {} : { cause }),
    });
    this.problems = problems;
  }
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** What a problem points at: a node (its location, and the `--set` it came from if any). */
export interface Anchor {
  readonly loc: SourceLocation;
  readonly origin?: string | undefined;
}

/** Collects problems during one parse; validation code reports and carries on. */
export class Problems {
  private readonly list: ExperimentProblem[] = [];

  report(code: ErrorCode, at: Anchor, field: string, message: string): void {
    const from = at.origin === undefined ? "" : ` (from --set ${at.origin})`;
    const prefix = field === "" ? "" : `${field}: `;
    this.list.push({ code, field, location: at.loc, message: `${prefix}${message}${from}` });
  }

  get count(): number {
    return this.list.length;
  }

  /** The first problem reported, if any. */
  first(): ExperimentProblem | undefined {
    return this.list[0];
  }

  /** Throws the collected problems, sorted by position, if there are any. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const sorted = this.list
      .map((problem, order) => ({ problem, order }))
      .sort((a, b) => a.problem.location.line - b.problem.location.line || a.problem.location.column - b.problem.location.column || a.order - b.order)
      .map(({ problem }) => problem);
    throw new ExperimentValidationError(sorted);
  }
}

/** `-5`, `"abc"`, `a list`, `a map`, `nothing`: how a value is quoted in messages. */
export function describeNode(node: TreeNode): string {
  switch (node.kind) {
    case "map":
      return "a map";
    case "seq":
      return "a list";
    case "scalar":
      return describeScalar(node.value);
  }
}

export function describeScalar(value: string | number | boolean | null): string {
  if (value === null) return "nothing (null)";
  if (typeof value === "string") return JSON.stringify(shorten(value));
  return String(value);
}

/** Text quoted in a message: at most `max` characters of it, and its length when longer. */
export function shorten(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** `spec[1].with` + `qps` -> `spec[1].with.qps`; odd keys are bracketed and quoted. */
export function childPath(parent: string, written: string | number): string {
  if (typeof written === "number") return `${parent}[${written}]`;
  const key = shorten(written);
  const plain = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key);
  if (parent === "") return plain ? key : `[${JSON.stringify(key)}]`;
  return plain ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** Closest known name by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // Edit distance is quadratic: a word this long is no typo of a name.
  if (word.length > 200) return undefined;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) >= bestDistance) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
