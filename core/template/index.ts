/**
 * The one template engine of Assay: Go's text/template with sprig's and Helm's functions, so
 * Iter8 provider specs, notify payloads and experiment charts run unchanged. No eval: templates
 * are lexed, parsed and interpreted, every execution within a budget (TemplateLimits).
 *
 * Supported: `{{ .a.b }}`, `{{ . }}`, `{{ $ }}`, `{{ $x := … }}` / `{{ $x = … }}`, pipelines,
 * parenthesised pipelines, `if` / `else if` / `else with` / `else` / `end`, `range` (lists, maps in
 * key order, integers; `$i, $v :=`, `else`, `break`, `continue`), `with`, `define`, `template`,
 * `block`, Helm's `include` and `tpl`, comments, trim markers `{{-` / `-}}`, and the functions of
 * core/template/funcs.ts. Not supported: method calls.
 *
 * Differences from Go, on purpose:
 * - A field is looked up by its exact name, then with its first letter lower-cased, so
 *   `.Result.NumCompletedTasks` finds `numCompletedTasks` in our camelCase JSON.
 * - A missing field, at any depth, is nil; a nil action prints `noValue` (default "", as Helm;
 *   Go prints `<no value>`). A field on a list, string or number is an error.
 * - Numbers print as JavaScript prints them (`1000000`, not Go's `1e+06`).
 *
 * Errors are ValidationErrors: EXPERIMENT_BAD_TEMPLATE (syntax, unknown function or variable,
 * execution error) and TEMPLATE_BUDGET_EXCEEDED (TemplateBudgetError: which limit). Messages
 * start with `template NAME: LINE:COLUMN:` and `location` carries the same place.
 */
import { ConfigurationError, ErrorCode } from "../errors.js";
import { DEFAULT_TEMPLATE_LIMITS, TEMPLATE_SOURCE } from "./errors.js";
import type { TemplateLimits, TemplateSource } from "./errors.js";
import { ENGINE_FUNCTIONS, defineAll, execute, isFunctionName } from "./exec.js";
import type { TemplateStats } from "./exec.js";
import { FUNCTIONS } from "./funcs.js";
import { lex } from "./lex.js";
import { parse } from "./parse.js";
import type { Tree } from "./parse.js";

export { TEMPLATE_SOURCE, DEFAULT_TEMPLATE_LIMITS, TemplateBudgetError, TemplateLimit } from "./errors.js";
export type { TemplateLimits, TemplateSource } from "./errors.js";
export type { TemplateStats } from "./exec.js";
export { FUNCTIONS as TEMPLATE_FUNCTIONS } from "./funcs.js";
export { TemplateStruct, GoTime, goTime, goTimeText, rfc3339 } from "./values.js";
export type { TemplateStructOptions } from "./values.js";

/** Every function name a template may call, sorted. */
export const TEMPLATE_FUNCTION_NAMES: readonly string[] = Object.freeze([...new Set([...Object.keys(FUNCTIONS), ...ENGINE_FUNCTIONS])].sort());

/** Options of one execution. */
export interface RenderOptions {
  /** Overrides of the limits given at compile time (each falls back to DEFAULT_TEMPLATE_LIMITS). */
  readonly limits?: Partial<TemplateLimits> | undefined;
  /** Called after a successful execution with what it used (steps, output, time, depth). */
  readonly onStats?: ((stats: TemplateStats) => void) | undefined;
}

/** Options of compileTemplate / compileTemplateSet. */
export interface CompileOptions extends RenderOptions {
  /** The name errors show for the template (a field path, a file, a URL). Default "<template>". */
  readonly name?: string | undefined;
  /** What a nil action prints: "" (default, Helm) or Go's "<no value>". */
  readonly noValue?: string | undefined;
}

export interface CompiledTemplate {
  /** The template text it was compiled from. */
  readonly text: string;
  /** The name errors show. */
  readonly name: string;
  /** Names of the templates it defines (`define`, `block`). */
  readonly defined: readonly string[];
  /** Renders with `data` as the dot (`.`) and `$`. Throws ValidationError on execution errors. */
  render(data: unknown, options?: RenderOptions): string;
}

/** Several sources sharing their defined templates (a chart: every file sees every `define`). */
export interface TemplateSet {
  /** Source names and defined template names. */
  readonly names: readonly string[];
  /** Renders a source (by its name) or a defined template with `data`. */
  render(name: string, data: unknown, options?: RenderOptions): string;
}

/** Limits with defaults applied; throws ConfigurationError (CONFIG_INVALID) on a limit that is not a positive number. */
export function resolveTemplateLimits(...overrides: ReadonlyArray<Partial<TemplateLimits> | undefined>): TemplateLimits {
  let limits: TemplateLimits = { ...DEFAULT_TEMPLATE_LIMITS };
  for (const override of overrides) limits = { ...limits, ...definedOnly(override ?? {}) };
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== "number" || !(value > 0)) {
      throw new ConfigurationError(ErrorCode.BadConfig, `template limit ${key} must be a positive number, got ${String(value)}`, { field: `templateLimits.${key}` });
    }
  }
  return limits;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** Compiles a template; throws ValidationError (EXPERIMENT_BAD_TEMPLATE) on a syntax error or an unknown function or variable. */
export function compileTemplate(text: string, options: CompileOptions = {}): CompiledTemplate {
  const source: TemplateSource = { name: options.name ?? TEMPLATE_SOURCE, text };
  const parsed = parse(source, lex(source), isFunctionName);
  const templates = defineAll(new Map<string, Tree>(), parsed.defines);
  const limits = resolveTemplateLimits(options.limits);
  const noValue = options.noValue ?? "";
  return {
    text,
    name: source.name,
    defined: [...templates.keys()],
    render: (data: unknown, renderOptions?: RenderOptions) =>
      execute(parsed.main, templates, data, { limits: renderOptions?.limits ? resolveTemplateLimits(limits, renderOptions.limits) : limits, noValue, onStats: renderOptions?.onStats }),
  };
}

/** Compiles several named sources into one set (later sources' definitions win, as Helm's file order). */
export function compileTemplateSet(sources: readonly TemplateSource[], options: Omit<CompileOptions, "name"> = {}): TemplateSet {
  const templates = new Map<string, Tree>();
  const mains = new Map<string, Tree>();
  for (const source of sources) {
    const parsed = parse(source, lex(source), isFunctionName);
    mains.set(source.name, parsed.main);
    defineAll(templates, [parsed.main, ...parsed.defines]);
  }
  const limits = resolveTemplateLimits(options.limits);
  const noValue = options.noValue ?? "";
  return {
    names: [...new Set([...mains.keys(), ...templates.keys()])],
    render: (name: string, data: unknown, renderOptions?: RenderOptions) => {
      const tree = mains.get(name) ?? templates.get(name);
      if (tree === undefined) throw new ConfigurationError(ErrorCode.BadConfig, `no template named "${name}"`);
      return execute(tree, templates, data, { limits: renderOptions?.limits ? resolveTemplateLimits(limits, renderOptions.limits) : limits, noValue, onStats: renderOptions?.onStats });
    },
  };
}

/** Compiles and renders in one step. */
export function renderTemplate(text: string, data: unknown, options: CompileOptions = {}): string {
  return compileTemplate(text, options).render(data, options);
}

/** Throws like compileTemplate when `text` is not a valid template; returns nothing otherwise. */
export function checkTemplate(text: string): void {
  compileTemplate(text);
}

/** True when the text contains template actions (`{{`); plain strings need no rendering. */
export function isTemplate(text: string): boolean {
  return text.includes("{{");
}
