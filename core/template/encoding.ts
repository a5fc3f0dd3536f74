/**
 * JSON and YAML as Go writes and reads them for templates: encoding/json (map keys sorted, struct
 * fields in order under their tags, `<>&` escaped unless raw, NaN refused) and Helm's toYaml /
 * fromYaml (sigs.k8s.io/yaml: through JSON, so every key is sorted; the trailing newline dropped).
 * Writers charge the meter and stop at its size limit, so shared sub-values cannot blow up.
 */
import { parseAllDocuments, stringify as yamlStringify } from "yaml";
import { SizeExceeded } from "./errors.js";
import type { Meter } from "./errors.js";
import { FunctionError } from "./func-support.js";
import { TemplateStruct, compareStrings } from "./values.js";

export interface JsonOptions {
  /** MarshalIndent's indent ("" for compact). */
  readonly indent?: string;
  /** Escape `<`, `>`, `&` as \u003c... (json.Marshal does; sprig's toRawJson does not). */
  readonly escapeHtml?: boolean;
}

/** json.Marshal / MarshalIndent of a template value. Throws FunctionError on NaN or ±Inf. */
export function goJson(value: unknown, meter: Meter, options: JsonOptions = {}): string {
  const parts: string[] = [];
  let length = 0;
  const indent = options.indent ?? "";
  const escapeHtml = options.escapeHtml ?? true;
  const push = (text: string): void => {
    length += text.length;
    if (length > meter.maxBytes) throw new SizeExceeded();
    parts.push(text);
  };
  const write = (current: unknown, prefix: string): void => {
    meter.charge(1);
    if (current === null || current === undefined) return push("null");
    if (typeof current === "string") return push(jsonString(current, escapeHtml));
    if (typeof current === "boolean") return push(current ? "true" : "false");
    if (typeof current === "number") {
      if (!Number.isFinite(current)) throw new FunctionError(`json: unsupported value: ${Number.isNaN(current) ? "NaN" : current > 0 ? "+Inf" : "-Inf"}`);
      return push(String(current));
    }
    if (current instanceof TemplateStruct && current.options.json) return write(current.options.json(), prefix);
    const entries: Array<[string | undefined, unknown]> = Array.isArray(current) ? current.map((element) => [undefined, element]) : objectEntries(current);
    const [open, close] = Array.isArray(current) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return push(open + close);
    push(open);
    const inner = prefix + indent;
    entries.forEach(([key, element], i) => {
      if (i > 0) push(",");
      if (indent) push(`\n${inner}`);
      if (key !== undefined) push(`${jsonString(key, escapeHtml)}:${indent ? " " : ""}`);
      write(element, inner);
    });
    if (indent) push(`\n${prefix}`);
    push(close);
  };
  write(value, "");
  return parts.join("");
}

/** Key/value pairs as JSON writes them: a map's keys sorted, a struct's tagged fields in order. */
function objectEntries(value: unknown): Array<[string, unknown]> {
  if (value instanceof TemplateStruct) {
    const out: Array<[string, unknown]> = [];
    const tags = value.options.tags ?? {};
    for (const [name, field] of Object.entries(value.fields)) {
      const tag = tags[name] ?? name;
      if (tag === "-") continue;
      const [jsonName = name, ...flags] = tag.split(",");
      if (flags.includes("omitempty") && isEmptyForJson(field)) continue;
      out.push([jsonName || name, field]);
    }
    return out;
  }
  const record = value as Record<string, unknown>;
  return Object.keys(record)
    .sort(compareStrings)
    .map((key) => [key, record[key]]);
}

function isEmptyForJson(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof TemplateStruct) return false;
  return typeof value === "object" && Object.keys(value).length === 0;
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

function needsEscape(text: string, escapeHtml: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) return true;
    if (escapeHtml && (code === 0x3c || code === 0x3e || code === 0x26)) return true;
  }
  return false;
}

/** encoding/json's string encoding. */
export function jsonString(text: string, escapeHtml: boolean): string {
  if (!needsEscape(text, escapeHtml)) return `"${text}"`;
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    const named = JSON_ESCAPES[ch];
    if (named !== undefined) out += named;
    else if (code < 0x20 || code === 0x2028 || code === 0x2029 || (escapeHtml && (ch === "<" || ch === ">" || ch === "&"))) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return `${out}"`;
}

/** The value as plain JSON data (structs by their JSON form, map keys sorted), charging the meter. */
export function toPlain(value: unknown, meter: Meter): unknown {
  return JSON.parse(goJson(value, meter, { escapeHtml: false })) as unknown;
}

/** Helm's toYaml: through JSON (keys sorted), yaml.v2's layout (lists not indented), no trailing newline. */
export function goYaml(value: unknown, meter: Meter): string {
  const plain = toPlain(value, meter);
  const text = yamlStringify(plain, { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false }).replace(/\n$/, "");
  if (text.length > meter.maxBytes) throw new SizeExceeded();
  meter.charge(Math.floor(text.length / 64));
  return text;
}

/** At most this many aliases are expanded when a template parses YAML (issue: alias bombs). */
const MAX_YAML_ALIASES = 100;

/** Parses YAML as Helm's fromYaml does (YAML 1.1 scalars); throws FunctionError with the parser's message. */
export function parseYaml(text: string, meter: Meter): unknown {
  meter.charge(1 + Math.floor(text.length / 16));
  const documents = parseAllDocuments(text, { version: "1.1", uniqueKeys: false });
  const list = Array.isArray(documents) ? documents : [documents];
  const first = list[0];
  if (first === undefined) return null;
  const problem = first.errors[0];
  if (problem !== undefined) throw new FunctionError(`yaml: ${problem.message.split("\n")[0] ?? ""}`);
  try {
    const value = first.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
    return normalizeParsed(value, meter);
  } catch (error) {
    throw new FunctionError(`yaml: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** YAML → JSON-shaped data: map keys as strings, dates and other tags as their text. */
function normalizeParsed(value: unknown, meter: Meter): unknown {
  meter.charge(1);
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, element] of value) Object.defineProperty(out, String(key), { value: normalizeParsed(element, meter), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (value instanceof Set) return [...value].map((element) => normalizeParsed(element, meter));
  if (Array.isArray(value)) return value.map((element) => normalizeParsed(element, meter));
  if (typeof value === "bigint") return Number(value);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, element] of Object.entries(value)) Object.defineProperty(out, key, { value: normalizeParsed(element, meter), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Parses JSON (any value); throws FunctionError with the parser's message. */
export function parseJson(text: string, meter: Meter): unknown {
  meter.charge(1 + Math.floor(text.length / 16));
  try {
    return normalizeParsed(JSON.parse(text) as unknown, meter);
  } catch (error) {
    throw new FunctionError(error instanceof Error ? error.message : String(error));
  }
}
