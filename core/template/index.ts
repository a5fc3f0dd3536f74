/**
 * The one template engine of Assay: a subset of Go's text/template with the sprig functions Iter8
 * users write, so Iter8 provider specs (`{{ .namespace }}`) and notify payloads run unchanged.
 * No eval: templates are lexed, parsed and interpreted.
 *
 * Supported: `{{ .a.b }}`, `{{ . }}`, `{{ $ }}`, `{{ $x := … }}` / `{{ $x = … }}`, pipelines
 * `{{ .a | toJson }}`, parenthesised pipelines, `if` / `else if` / `else` / `end`, `range` (with
 * `$i, $v :=`, `else`, `break`, `continue`), `with` / `else with`, comments, trim markers
 * `{{-` / `-}}`, and the functions listed in core/template/funcs.ts. Not supported: `define`,
 * `template`, `block`, method calls.
 *
 * Differences from Go, on purpose:
 * - A field is looked up by its exact name, then with its first letter lower-cased, so
 *   `.Result.NumCompletedTasks` finds `numCompletedTasks` in our camelCase JSON.
 * - A missing field, at any depth (`.a.b` when `.a` is missing too), is nil and renders as the
 *   empty string (Go prints `<no value>`). Use `default` to choose another text. A field on a
 *   list, string or number is an error.
 * - Numbers print as JavaScript prints them (`1000000`, not Go's `1e+06`).
 *
 * Errors are ValidationError with code EXPERIMENT_BAD_TEMPLATE; the message starts with
 * `template: LINE:COLUMN:` (1-based, inside the template text) and `location` carries the same
 * line and column with file "<template>".
 */
import { execute } from "./exec.js";
import { lex } from "./lex.js";
import { parse } from "./parse.js";
import type { Node } from "./parse.js";

export { TEMPLATE_SOURCE } from "./errors.js";
export { FUNCTIONS as TEMPLATE_FUNCTIONS } from "./funcs.js";

export interface CompiledTemplate {
  /** The template text it was compiled from. */
  readonly text: string;
  /** Renders with `data` as the dot (`.`) and `$`. Throws ValidationError on execution errors. */
  render(data: unknown): string;
}

/** Compiles a template; throws ValidationError (EXPERIMENT_BAD_TEMPLATE) on a syntax error or an unknown function or variable. */
export function compileTemplate(text: string): CompiledTemplate {
  const nodes: readonly Node[] = parse(text, lex(text));
  return {
    text,
    render: (data: unknown) => execute(text, nodes, data),
  };
}

/** Compiles and renders in one step. */
export function renderTemplate(text: string, data: unknown): string {
  return compileTemplate(text).render(data);
}

/** Throws like compileTemplate when `text` is not a valid template; returns nothing otherwise. */
export function checkTemplate(text: string): void {
  compileTemplate(text);
}

/** True when the text contains template actions (`{{`); plain strings need no rendering. */
export function isTemplate(text: string): boolean {
  return text.includes("{{");
}
