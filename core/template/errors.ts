/**
 * Template errors: syntax and execution errors (EXPERIMENT_BAD_TEMPLATE) and budget errors
 * (TEMPLATE_BUDGET_EXCEEDED), each at a line and column of a named template source, so a user
 * sees which template, which line and — for a budget — which limit.
 */
import { ErrorCode, ValidationError } from "../errors.js";
import type { AssayErrorOptions } from "../errors.js";

/** Name used as the `file` of a template error's location when the template was given no name. */
export const TEMPLATE_SOURCE = "<template>";

/** One template text and the name errors show for it (a field path, a file, a URL). */
export interface TemplateSource {
  readonly name: string;
  readonly text: string;
}

/** 1-based line and column of a character offset in `source`. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = source.indexOf("\n"); i !== -1 && i < end; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function where(source: TemplateSource | string, offset: number): { name: string; line: number; column: number } {
  const named = typeof source === "string" ? { name: TEMPLATE_SOURCE, text: source } : source;
  return { name: named.name, ...positionOf(named.text, offset) };
}

/** A ValidationError (EXPERIMENT_BAD_TEMPLATE) at a position inside a template text. */
export function templateError(source: TemplateSource | string, offset: number, message: string, cause?: unknown): ValidationError {
  const { name, line, column } = where(source, offset);
  const prefix = name === TEMPLATE_SOURCE ? "template" : `template ${name}`;
  return new ValidationError(ErrorCode.BadTemplate, `${prefix}: ${line}:${column}: ${message}`, {
    location: { file: name, line, column },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The limits a template execution runs under; each has a default in DEFAULT_TEMPLATE_LIMITS. */
export interface TemplateLimits {
  /** Evaluation steps (actions, commands, range iterations, and work done inside functions). */
  readonly maxSteps: number;
  /** Bytes of output (UTF-16 code units), and the largest string or nested output a template may build. */
  readonly maxOutputBytes: number;
  /** Wall time of one execution, in milliseconds. */
  readonly timeoutMs: number;
  /** Nesting of `template` / `include` / `tpl` calls. */
  readonly maxDepth: number;
}

/** Defaults of the decision: the same in local runs and the coordinator service. */
export const DEFAULT_TEMPLATE_LIMITS: Readonly<TemplateLimits> = Object.freeze({
  maxSteps: 1_000_000,
  maxOutputBytes: 1024 * 1024,
  timeoutMs: 2000,
  maxDepth: 100,
});

/** Which limit a TemplateBudgetError hit. */
export const TemplateLimit = {
  Steps: "steps",
  Output: "output",
  Time: "time",
  Depth: "depth",
} as const;
export type TemplateLimit = (typeof TemplateLimit)[keyof typeof TemplateLimit];

const LIMIT_TEXT: Readonly<Record<TemplateLimit, (limits: TemplateLimits) => string>> = {
  steps: (limits) => `more than ${limits.maxSteps} evaluation steps`,
  output: (limits) => `more than ${limits.maxOutputBytes} bytes of output`,
  time: (limits) => `more than ${limits.timeoutMs} ms`,
  depth: (limits) => `template calls nested deeper than ${limits.maxDepth}`,
};

/** A template execution ran past one of its limits (code TEMPLATE_BUDGET_EXCEEDED). */
export class TemplateBudgetError extends ValidationError {
  readonly limit: TemplateLimit;

  constructor(limit: TemplateLimit, limits: TemplateLimits, source: TemplateSource, offset: number, options: AssayErrorOptions = {}) {
    const { name, line, column } = where(source, offset);
    super(ErrorCode.TemplateBudgetExceeded, `template ${name}: ${line}:${column}: budget exceeded: ${LIMIT_TEXT[limit](limits)}`, {
      ...options,
      location: { file: name, line, column },
      suggestion: "a template may not loop, print or recurse without bound (see \"Template limits\" in docs/actions.md)",
    });
    this.limit = limit;
  }
}

/** Thrown by value writers (print, toJson, ...) when what they build outgrows the output limit. */
export class SizeExceeded extends Error {}

/** What functions use to charge their work to the execution's budget. */
export interface Meter {
  /** Adds `steps` evaluation steps; throws when a limit is exceeded. */
  charge(steps: number): void;
  /** The largest string a function may build (the output limit). */
  readonly maxBytes: number;
}

/** For code outside an execution (tests, helpers): charges nothing. */
export const UNMETERED: Meter = { charge: () => undefined, maxBytes: Number.POSITIVE_INFINITY };
