/**
 * What the template functions share: the function type, the error a function throws, argument
 * checks and Go-like conversions (sprig's strval, cast.ToInt64, cast.ToFloat64, strslice), and
 * deep equality and copying that charge their work to the execution's budget.
 */
import { SizeExceeded } from "./errors.js";
import type { Meter } from "./errors.js";
import { printValue } from "./fmt.js";
import { TemplateStruct, isMap, typeOf } from "./values.js";

/** A function receives its evaluated arguments (the piped value last) and the execution's meter. */
export type TemplateFunction = (args: unknown[], meter: Meter) => unknown;

/** An error inside a function; the executor reports it as `error calling NAME: message` at the call. */
export class FunctionError extends Error {}

export function arity(fn: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new FunctionError(`wrong number of args for ${fn}: want ${expected} got ${args.length}`);
  }
}

/** sprig's strval: strings as they are, everything else as `%v` prints it (nil → "<nil>"). */
export function strval(value: unknown, meter: Meter): string {
  if (typeof value === "string") return value;
  return printValue(value, meter.maxBytes);
}

/** A string argument (Go would convert only strings; we print other values). Nil is "". */
export function text(value: unknown, meter: Meter): string {
  if (value === null || value === undefined) return "";
  return strval(value, meter);
}

/** cast.ToFloat64: numbers, numeric strings, bools; nil and anything else is 0. */
export function toFloat(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const n = Number(value.trim());
    return value.trim() !== "" && Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/** cast.ToInt64: floats truncated, integer strings parsed (`"5.0"` is 5), anything else 0. */
export function toInt(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const trimmed = value.trim().replace(/\.0*$/, "");
    if (/^[+-]?\d+$/.test(trimmed)) return Number(trimmed);
    if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(trimmed)) return Number.parseInt(trimmed, 16);
    return 0;
  }
  return 0;
}

/** A number argument that must be a number (or numeric string), for Go's typed parameters. */
export function number(fn: string, value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value === null || value === undefined) return 0;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  throw new FunctionError(`${fn}: cannot use ${typeOf(value)} as a number`);
}

export function integer(fn: string, value: unknown): number {
  return Math.trunc(number(fn, value));
}

/** A list argument; `fn` names the function in the error for anything else. */
export function list(fn: string, value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw new FunctionError(`${fn}: cannot use ${typeOf(value)} as a list`);
}

/** A map argument (Go's map[string]interface{}). */
export function map(fn: string, value: unknown): Record<string, unknown> {
  if (isMap(value)) return value;
  throw new FunctionError(`${fn}: cannot use ${typeOf(value)} as a map`);
}

/** sprig's strslice: a list's non-nil elements as strings; a single value as a one-element list. */
export function strslice(value: unknown, meter: Meter): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    meter.charge(value.length);
    const out: string[] = [];
    for (const element of value) if (element !== null && element !== undefined) out.push(strval(element, meter));
    return out;
  }
  return [strval(value, meter)];
}

/** Joins with a size check, so a join cannot build more than the output limit. */
export function joinChecked(parts: readonly string[], separator: string, meter: Meter): string {
  let length = 0;
  for (const part of parts) {
    length += part.length + separator.length;
    if (length > meter.maxBytes + separator.length) throw new SizeExceeded();
  }
  return parts.join(separator);
}

/** reflect.DeepEqual over template values, charging one step per value visited. */
export function deepEqual(a: unknown, b: unknown, meter: Meter): boolean {
  meter.charge(1);
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], meter)) return false;
    return true;
  }
  if (a instanceof TemplateStruct || b instanceof TemplateStruct) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  for (const key of keys) if (!Object.hasOwn(rb, key) || !deepEqual(ra[key], rb[key], meter)) return false;
  return true;
}

/** copystructure.Copy: lists and maps copied all the way down; structs and scalars shared. */
export function deepCopy(value: unknown, meter: Meter): unknown {
  meter.charge(1);
  if (Array.isArray(value)) return value.map((element) => deepCopy(element, meter));
  if (isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = deepCopy(value[key], meter);
    return out;
  }
  return value;
}

/** mergo's isEmptyValue: the zero value of its type. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === "string") return value === "";
  if (typeof value === "number") return value === 0;
  if (typeof value === "boolean") return !value;
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof TemplateStruct) return false;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

/** A plain object with no prototype tricks: keys that are own properties only. */
export function newMap(): Record<string, unknown> {
  return {};
}

/** Sets a key on a map, refusing keys that would reach the prototype. */
export function setKey(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(record, key, { value, enumerable: true, configurable: true, writable: true });
  else record[key] = value;
}
