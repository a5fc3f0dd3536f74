/**
 * A small, safe subset of jq / JSONPath that picks one value out of a JSON response. No eval.
 *
 *   .a.b[0].c      ."a-b"   .["a-b"]   .a[-1]   .a?      jq paths
 *   $.a.b[0]       $['a']                                JSONPath (root `$`, dot and bracket steps)
 *   path | tonumber | tostring | length | first | last   pipes of paths and these functions
 *
 * Anything else is rejected when the expression is compiled.
 */
import { ErrorCode, ValidationError } from "../../core/index.js";

type Step = { readonly kind: "key"; readonly key: string } | { readonly kind: "index"; readonly index: number };
type Stage = { readonly kind: "path"; readonly steps: readonly Step[] } | { readonly kind: "fn"; readonly name: JqFunction };

const FUNCTIONS = ["tonumber", "tostring", "length", "first", "last"] as const;
type JqFunction = (typeof FUNCTIONS)[number];

/** A compiled expression: `pick` returns the selected value, undefined when a step finds nothing. */
export interface JqExpression {
  readonly text: string;
  pick(json: unknown): unknown;
}

function syntaxError(text: string, at: number, what: string, field: string | undefined): ValidationError {
  return new ValidationError(
    ErrorCode.WrongType,
    `${field === undefined ? "" : `${field}: `}jq expression ${JSON.stringify(text)}: ${what} at position ${at + 1} (supported: .a.b[0], $.a['b'][0], | tonumber, | tostring, | length, | first, | last)`,
    field === undefined ? {} : { field },
  );
}

function parseStage(text: string, source: string, offset: number, field: string | undefined): Stage {
  const s = text.trim();
  const start = offset + (text.length - text.trimStart().length);
  if ((FUNCTIONS as readonly string[]).includes(s)) return { kind: "fn", name: s as JqFunction };
  const steps: Step[] = [];
  let i = 0;
  if (s.startsWith("$")) i = 1;
  else if (!s.startsWith(".")) throw syntaxError(source, start, `expected a path starting with "." or "$"`, field);
  if (s === ".") return { kind: "path", steps };
  while (i < s.length) {
    const c = s[i];
    if (c === "?") {
      i += 1;
      continue;
    }
    if (c === ".") {
      i += 1;
      if (s[i] === "[") continue;
      if (s[i] === '"') {
        const end = s.indexOf('"', i + 1);
        if (end < 0) throw syntaxError(source, start + i, "unterminated quoted key", field);
        steps.push({ kind: "key", key: s.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
      if (match === null) throw syntaxError(source, start + i, "expected a key after '.'", field);
      steps.push({ kind: "key", key: match[0] });
      i += match[0].length;
      continue;
    }
    if (c === "[") {
      const rest = s.slice(i);
      const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
      if (index !== null) {
        steps.push({ kind: "index", index: Number(index[1]) });
        i += index[0].length;
        continue;
      }
      const quoted = /^\[\s*(?:"([^"]*)"|'([^']*)')\s*\]/.exec(rest);
      if (quoted !== null) {
        steps.push({ kind: "key", key: quoted[1] ?? quoted[2] ?? "" });
        i += quoted[0].length;
        continue;
      }
      throw syntaxError(source, start + i, "expected [number] or [\"key\"]", field);
    }
    throw syntaxError(source, start + i, `unexpected ${JSON.stringify(c)}`, field);
  }
  return { kind: "path", steps };
}

function applyFunction(name: JqFunction, value: unknown): unknown {
  switch (name) {
    case "tonumber":
      if (typeof value === "number") return value;
      if (typeof value === "string" && value.trim() !== "") return Number(value);
      return undefined;
    case "tostring":
      return typeof value === "string" ? value : JSON.stringify(value);
    case "length":
      if (typeof value === "string" || Array.isArray(value)) return value.length;
      if (typeof value === "object" && value !== null) return Object.keys(value).length;
      return undefined;
    case "first":
      return Array.isArray(value) ? value[0] : undefined;
    case "last":
      return Array.isArray(value) ? value[value.length - 1] : undefined;
  }
}

function applyPath(steps: readonly Step[], value: unknown): unknown {
  let current = value;
  for (const step of steps) {
    if (current === undefined || current === null) return undefined;
    if (step.kind === "index") {
      if (!Array.isArray(current)) return undefined;
      current = current[step.index < 0 ? current.length + step.index : step.index];
    } else {
      if (typeof current !== "object" || Array.isArray(current)) return undefined;
      current = Object.prototype.hasOwnProperty.call(current, step.key) ? (current as Record<string, unknown>)[step.key] : undefined;
    }
  }
  return current;
}

/** Compiles an expression; throws ValidationError (naming `field`) on unsupported syntax. */
export function compileJq(text: string, field?: string): JqExpression {
  const stages: Stage[] = [];
  let offset = 0;
  for (const part of text.split("|")) {
    if (part.trim() === "") throw syntaxError(text, offset, "empty stage", field);
    stages.push(parseStage(part, text, offset, field));
    offset += part.length + 1;
  }
  return {
    text,
    pick(json: unknown): unknown {
      let value = json;
      for (const stage of stages) {
        value = stage.kind === "path" ? applyPath(stage.steps, value) : applyFunction(stage.name, value);
        if (value === undefined) return undefined;
      }
      return value;
    },
  };
}
