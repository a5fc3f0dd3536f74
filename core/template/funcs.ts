/**
 * The functions a template may call: Go's built-ins, Helm's (`include`, `tpl` live in the
 * executor; `required`, `toYaml`, `fromYaml`, `toJson`, `fromJson`...) and sprig's — every one
 * Iter8's charts and hub templates use, and the common rest (docs/actions.md lists them). Sprig's
 * argument order is kept: the piped value is the last argument (`.x | default "n/a"`).
 * Left out on purpose: `env`/`expandenv` (they would hand the coordinator's environment to a
 * template), network and random functions, semver (no Iter8 template uses it).
 */
import { createHash } from "node:crypto";
import { SizeExceeded } from "./errors.js";
import type { Meter } from "./errors.js";
import { goJson, goYaml, parseJson, parseYaml } from "./encoding.js";
import { goQuote, printValue, sprintf } from "./fmt.js";
import {
  FunctionError,
  arity,
  deepCopy,
  deepEqual,
  integer,
  isEmptyValue,
  joinChecked,
  map,
  setKey,
  strslice,
  strval,
  text,
  toFloat,
  toInt,
} from "./func-support.js";
import type { TemplateFunction } from "./func-support.js";
import { quoteMeta, regexFindAll, regexMatch, regexReplaceAll, regexSplit } from "./regex.js";
import { dateFunctions } from "./dates.js";
import { TemplateStruct, compareStrings, isMap, isTruthy, kindOf, typeOf } from "./values.js";

export { FunctionError } from "./func-support.js";
export type { TemplateFunction } from "./func-support.js";

function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) throw new FunctionError(`incompatible types for comparison: ${typeOf(a)} and ${typeOf(b)}`);
  if (typeof a === "object") throw new FunctionError(`non-comparable type: ${typeOf(a)}`);
  return a === b;
}

function compare(fn: string, a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  throw new FunctionError(`${fn}: incompatible types for comparison: ${typeOf(a)} and ${typeOf(b)}`);
}

function lengthOf(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value, "utf8");
  if (Array.isArray(value)) return value.length;
  if (isMap(value)) return Object.keys(value).length;
  throw new FunctionError(`len of ${value === null || value === undefined ? "nil pointer" : `type ${typeOf(value)}`}`);
}

function indexInto(container: unknown, keys: readonly unknown[]): unknown {
  let current = container;
  for (const key of keys) {
    if (current === null || current === undefined) return null;
    if (Array.isArray(current) || typeof current === "string") {
      if (typeof key !== "number" || !Number.isInteger(key)) throw new FunctionError(`cannot index slice/array with type ${typeOf(key)}`);
      if (key < 0 || key >= current.length) throw new FunctionError(`index out of range: ${key}`);
      current = typeof current === "string" ? current.charCodeAt(key) : current[key];
    } else if (current instanceof TemplateStruct || isMap(current)) {
      const record = current instanceof TemplateStruct ? current.fields : current;
      const name = typeof key === "string" ? key : printValue(key);
      current = Object.hasOwn(record, name) ? record[name] : null;
    } else {
      throw new FunctionError(`can't index item of type ${typeOf(current)}`);
    }
  }
  return current;
}

/** fmt.Sprint: operands joined, with a space between two operands when neither is a string. */
function sprint(args: readonly unknown[], meter: Meter): string {
  let out = "";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (i > 0 && typeof arg !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += printValue(arg, meter.maxBytes);
    if (out.length > meter.maxBytes) throw new SizeExceeded();
  }
  return out;
}

function jsEscape(value: string): string {
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === "<" || ch === ">" || ch === "&" || ch === "=") out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else if (code < 0x20 || (code >= 0x80 && !/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch))) out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += ch;
  }
  return out;
}

/** url.QueryEscape. */
function queryEscape(value: string): string {
  return [...Buffer.from(value, "utf8")]
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      if (/[A-Za-z0-9\-_.~]/.test(ch)) return ch;
      if (ch === " ") return "+";
      return `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

/** strings.Replace(s, old, new, -1), including Go's insertion at every rune boundary for an empty `old`. */
function replaceAll(source: string, old: string, replacement: string, meter: Meter): string {
  if (old === "") {
    const runes = [...source];
    if ((runes.length + 1) * replacement.length + source.length > meter.maxBytes) throw new SizeExceeded();
    return replacement + runes.join(replacement) + replacement;
  }
  const count = source.split(old).length - 1;
  if (source.length + count * (replacement.length - old.length) > meter.maxBytes) throw new SizeExceeded();
  return source.split(old).join(replacement);
}

/** strings.Title: the first letter of each word upper-cased (a word follows a non-letter, non-digit, non-`_`). */
function title(value: string): string {
  let out = "";
  let previous = " ";
  for (const ch of value) {
    out += /[\p{L}\p{N}_']/u.test(previous) ? ch : ch.toUpperCase();
    previous = ch;
  }
  return out;
}

function untilStep(start: number, stop: number, step: number, meter: Meter): number[] {
  const count = step === 0 ? 0 : stop < start ? (step >= 0 ? 0 : Math.ceil((start - stop) / -step)) : step <= 0 ? 0 : Math.ceil((stop - start) / step);
  meter.charge(count);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * step);
  return out;
}

function seq(params: readonly number[], meter: Meter): string {
  let values: number[];
  if (params.length === 1) {
    const end = params[0] ?? 0;
    const increment = end < 1 ? -1 : 1;
    values = untilStep(1, end + increment, increment, meter);
  } else if (params.length === 2) {
    const [start = 0, end = 0] = params;
    const step = end < start ? -1 : 1;
    values = untilStep(start, end + step, step, meter);
  } else if (params.length === 3) {
    const [start = 0, step = 0, end = 0] = params;
    const increment = end < start ? -1 : 1;
    if (end < start && step > 0) return "";
    values = untilStep(start, end + increment, step, meter);
  } else return "";
  return values.join(" ");
}

function hashHex(algorithm: string, value: string): string {
  return createHash(algorithm).update(value, "utf8").digest("hex");
}

function adler32(value: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(value, "utf8")) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** mergo.Merge (sprig's merge): keys missing or empty in `dst` taken from `src`, maps merged deeply. */
function mergeInto(dst: Record<string, unknown>, src: Record<string, unknown>, overwrite: boolean, meter: Meter): void {
  for (const key of Object.keys(src)) {
    meter.charge(1);
    const from = src[key];
    const to = dst[key];
    if (Object.hasOwn(dst, key) && isMap(to) && isMap(from)) {
      mergeInto(to, from, overwrite, meter);
      continue;
    }
    if (!Object.hasOwn(dst, key) || isEmptyValue(to) || (overwrite && !isEmptyValue(from))) setKey(dst, key, from);
  }
}

function merge(fn: string, args: readonly unknown[], overwrite: boolean, meter: Meter): Record<string, unknown> {
  arity(fn, args, 1, Infinity);
  const dst = map(fn, args[0]);
  for (const src of args.slice(1)) if (src !== null && src !== undefined) mergeInto(dst, map(fn, src), overwrite, meter);
  return dst;
}

function dict(args: readonly unknown[], meter: Meter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i += 2) setKey(out, strval(args[i], meter), i + 1 < args.length ? args[i + 1] : "");
  return out;
}

function listOp(fn: string, value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw new FunctionError(`Cannot ${fn} on type ${typeOf(value)}`);
}

function uniq(values: readonly unknown[], meter: Meter): unknown[] {
  const out: unknown[] = [];
  for (const value of values) if (!out.some((seen) => deepEqual(seen, value, meter))) out.push(value);
  return out;
}

function substr(start: number, end: number, value: string): string {
  if (start < 0) return value.slice(0, end);
  if (end < 0 || end > value.length) return value.slice(start);
  return value.slice(start, end);
}

function trunc(count: number, value: string): string {
  if (count < 0 && -count < value.length) return value.slice(value.length + count);
  if (count >= 0 && value.length > count) return value.slice(0, count);
  return value;
}

function indent(spaces: number, value: string, meter: Meter): string {
  const pad = " ".repeat(Math.max(0, spaces));
  const lines = value.split("\n").length;
  if (value.length + lines * pad.length > meter.maxBytes) throw new SizeExceeded();
  return pad + value.replaceAll("\n", `\n${pad}`);
}

/** Helm's fromJson/fromYaml: a map, or `{Error: message}` when the text is not one. */
function helmMap(parse: () => unknown, kind: string): Record<string, unknown> {
  try {
    const value = parse();
    if (isMap(value)) return value;
    if (value === null) return {};
    return { Error: `${kind}: cannot unmarshal ${Array.isArray(value) ? "array" : typeOf(value)} into Go value of type map[string]interface {}` };
  } catch (error) {
    return { Error: error instanceof Error ? error.message : String(error) };
  }
}

function helmList(parse: () => unknown, kind: string): unknown[] {
  try {
    const value = parse();
    if (Array.isArray(value)) return value;
    if (value === null) return [];
    return [`${kind}: cannot unmarshal ${typeOf(value)} into Go value of type []interface {}`];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

const f = (fn: (args: unknown[], meter: Meter) => unknown): TemplateFunction => fn;

const GO_BUILTINS: Record<string, TemplateFunction> = {
  and: f((args) => {
    arity("and", args, 1, Infinity);
    for (const arg of args) if (!isTruthy(arg)) return arg;
    return args[args.length - 1];
  }),
  or: f((args) => {
    arity("or", args, 1, Infinity);
    for (const arg of args) if (isTruthy(arg)) return arg;
    return args[args.length - 1];
  }),
  not: f((args) => (arity("not", args, 1), !isTruthy(args[0]))),
  eq: f((args) => {
    arity("eq", args, 2, Infinity);
    const [first, ...rest] = args;
    return rest.some((other) => valuesEqual(first, other));
  }),
  ne: f((args) => (arity("ne", args, 2), !valuesEqual(args[0], args[1]))),
  lt: f((args) => (arity("lt", args, 2), compare("lt", args[0], args[1]) < 0)),
  le: f((args) => (arity("le", args, 2), compare("le", args[0], args[1]) <= 0)),
  gt: f((args) => (arity("gt", args, 2), compare("gt", args[0], args[1]) > 0)),
  ge: f((args) => (arity("ge", args, 2), compare("ge", args[0], args[1]) >= 0)),
  index: f((args) => (arity("index", args, 1, Infinity), indexInto(args[0], args.slice(1)))),
  len: f((args) => (arity("len", args, 1), lengthOf(args[0]))),
  print: f((args, meter) => sprint(args, meter)),
  println: f((args, meter) => `${args.map((arg) => printValue(arg, meter.maxBytes)).join(" ")}\n`),
  printf: f((args, meter) => (arity("printf", args, 1, Infinity), sprintf(text(args[0], meter), args.slice(1), meter.maxBytes))),
  urlquery: f((args, meter) => queryEscape(sprint(args, meter))),
  html: f((args, meter) =>
    sprint(args, meter).replace(/[&<>"'\0]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "\0": "\uFFFD" })[ch] ?? ch),
  ),
  js: f((args, meter) => jsEscape(sprint(args, meter))),
};

const SPRIG_STRINGS: Record<string, TemplateFunction> = {
  toString: f((args, meter) => (arity("toString", args, 1), strval(args[0], meter))),
  toStrings: f((args, meter) => (arity("toStrings", args, 1), strslice(args[0], meter))),
  quote: f((args, meter) => args.filter((arg) => arg !== null && arg !== undefined).map((arg) => goQuote(strval(arg, meter))).join(" ")),
  squote: f((args, meter) => args.filter((arg) => arg !== null && arg !== undefined).map((arg) => `'${strval(arg, meter)}'`).join(" ")),
  cat: f((args, meter) => joinChecked(args.filter((arg) => arg !== null && arg !== undefined).map((arg) => strval(arg, meter)), " ", meter)),
  upper: f((args, meter) => (arity("upper", args, 1), text(args[0], meter).toUpperCase())),
  lower: f((args, meter) => (arity("lower", args, 1), text(args[0], meter).toLowerCase())),
  title: f((args, meter) => (arity("title", args, 1), title(text(args[0], meter)))),
  untitle: f((args, meter) => (arity("untitle", args, 1), text(args[0], meter).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, before: string, ch: string) => before + ch.toLowerCase()))),
  trim: f((args, meter) => (arity("trim", args, 1), text(args[0], meter).trim())),
  trimAll: f((args, meter) => {
    arity("trimAll", args, 2);
    const cutset = new Set(text(args[0], meter));
    const runes = [...text(args[1], meter)];
    let start = 0;
    let end = runes.length;
    while (start < end && cutset.has(runes[start] ?? "")) start++;
    while (end > start && cutset.has(runes[end - 1] ?? "")) end--;
    return runes.slice(start, end).join("");
  }),
  trimPrefix: f((args, meter) => {
    arity("trimPrefix", args, 2);
    const [prefix, value] = [text(args[0], meter), text(args[1], meter)];
    return value.startsWith(prefix) ? value.slice(prefix.length) : value;
  }),
  trimSuffix: f((args, meter) => {
    arity("trimSuffix", args, 2);
    const [suffix, value] = [text(args[0], meter), text(args[1], meter)];
    return suffix !== "" && value.endsWith(suffix) ? value.slice(0, -suffix.length) : value;
  }),
  contains: f((args, meter) => (arity("contains", args, 2), text(args[1], meter).includes(text(args[0], meter)))),
  hasPrefix: f((args, meter) => (arity("hasPrefix", args, 2), text(args[1], meter).startsWith(text(args[0], meter)))),
  hasSuffix: f((args, meter) => (arity("hasSuffix", args, 2), text(args[1], meter).endsWith(text(args[0], meter)))),
  replace: f((args, meter) => (arity("replace", args, 3), replaceAll(text(args[2], meter), text(args[0], meter), text(args[1], meter), meter))),
  repeat: f((args, meter) => {
    arity("repeat", args, 2);
    const count = integer("repeat", args[0]);
    const value = text(args[1], meter);
    if (count < 0) throw new FunctionError("strings: negative Repeat count");
    if (count * value.length > meter.maxBytes) throw new SizeExceeded();
    return value.repeat(count);
  }),
  substr: f((args, meter) => (arity("substr", args, 3), substr(integer("substr", args[0]), integer("substr", args[1]), text(args[2], meter)))),
  trunc: f((args, meter) => (arity("trunc", args, 2), trunc(integer("trunc", args[0]), text(args[1], meter)))),
  abbrev: f((args, meter) => {
    arity("abbrev", args, 2);
    const width = integer("abbrev", args[0]);
    const value = text(args[1], meter);
    return width < 4 || value.length <= width ? value : `${value.slice(0, width - 3)}...`;
  }),
  nospace: f((args, meter) => (arity("nospace", args, 1), text(args[0], meter).replace(/\s+/gu, ""))),
  plural: f((args, meter) => (arity("plural", args, 3), integer("plural", args[2]) === 1 ? text(args[0], meter) : text(args[1], meter))),
  indent: f((args, meter) => (arity("indent", args, 2), indent(integer("indent", args[0]), text(args[1], meter), meter))),
  nindent: f((args, meter) => (arity("nindent", args, 2), `\n${indent(integer("nindent", args[0]), text(args[1], meter), meter)}`)),
  split: f((args, meter) => {
    arity("split", args, 2);
    const parts = splitGo(text(args[1], meter), text(args[0], meter), -1);
    return Object.fromEntries(parts.map((part, i) => [`_${i}`, part]));
  }),
  splitn: f((args, meter) => {
    arity("splitn", args, 3);
    const parts = splitGo(text(args[2], meter), text(args[0], meter), integer("splitn", args[1]));
    return Object.fromEntries(parts.map((part, i) => [`_${i}`, part]));
  }),
  splitList: f((args, meter) => (arity("splitList", args, 2), splitGo(text(args[1], meter), text(args[0], meter), -1))),
  join: f((args, meter) => (arity("join", args, 2), joinChecked(strslice(args[1], meter), text(args[0], meter), meter))),
  sortAlpha: f((args, meter) => (arity("sortAlpha", args, 1), strslice(args[0], meter).sort(compareStrings))),
  regexMatch: f((args, meter) => (arity("regexMatch", args, 2), safeBool(() => regexMatch(text(args[0], meter), text(args[1], meter), meter)))),
  mustRegexMatch: f((args, meter) => (arity("mustRegexMatch", args, 2), regexMatch(text(args[0], meter), text(args[1], meter), meter))),
  regexFind: f((args, meter) => (arity("regexFind", args, 2), regexFindAll(text(args[0], meter), text(args[1], meter), 1, meter)[0] ?? "")),
  regexFindAll: f((args, meter) => (arity("regexFindAll", args, 3), regexFindAll(text(args[0], meter), text(args[1], meter), integer("regexFindAll", args[2]), meter))),
  regexReplaceAll: f((args, meter) => (arity("regexReplaceAll", args, 3), regexReplaceAll(text(args[0], meter), text(args[1], meter), text(args[2], meter), false, meter))),
  regexReplaceAllLiteral: f((args, meter) => (arity("regexReplaceAllLiteral", args, 3), regexReplaceAll(text(args[0], meter), text(args[1], meter), text(args[2], meter), true, meter))),
  regexSplit: f((args, meter) => (arity("regexSplit", args, 3), regexSplit(text(args[0], meter), text(args[1], meter), integer("regexSplit", args[2]), meter))),
  regexQuoteMeta: f((args, meter) => (arity("regexQuoteMeta", args, 1), quoteMeta(text(args[0], meter)))),
};

function safeBool(fn: () => boolean): boolean {
  try {
    return fn();
  } catch (error) {
    if (error instanceof FunctionError) return false;
    throw error;
  }
}

/** strings.SplitN (n < 0: all); an empty separator splits after each rune. */
function splitGo(value: string, separator: string, n: number): string[] {
  if (n === 0) return [];
  if (separator === "") {
    const runes = [...value];
    if (n < 0 || n >= runes.length) return runes;
    return [...runes.slice(0, n - 1), runes.slice(n - 1).join("")];
  }
  const parts = value.split(separator);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(separator)];
}

const SPRIG_COLLECTIONS: Record<string, TemplateFunction> = {
  list: f((args) => [...args]),
  tuple: f((args) => [...args]),
  first: f((args) => (arity("first", args, 1), listOp("find first", args[0])[0] ?? null)),
  rest: f((args) => {
    arity("rest", args, 1);
    const values = listOp("find rest", args[0]);
    return values.length === 0 ? null : values.slice(1);
  }),
  last: f((args) => {
    arity("last", args, 1);
    const values = listOp("find last", args[0]);
    return values.length === 0 ? null : values[values.length - 1];
  }),
  initial: f((args) => {
    arity("initial", args, 1);
    const values = listOp("find initial", args[0]);
    return values.length === 0 ? null : values.slice(0, -1);
  }),
  append: f((args, meter) => (arity("append", args, 2), meter.charge(listOp("push", args[0]).length), [...listOp("push", args[0]), args[1]])),
  push: f((args, meter) => (arity("push", args, 2), meter.charge(listOp("push", args[0]).length), [...listOp("push", args[0]), args[1]])),
  prepend: f((args, meter) => (arity("prepend", args, 2), meter.charge(listOp("prepend", args[0]).length), [args[1], ...listOp("prepend", args[0])])),
  concat: f((args, meter) => {
    const out: unknown[] = [];
    for (const arg of args) {
      const values = listOp("concat", arg);
      meter.charge(values.length);
      out.push(...values);
    }
    return out;
  }),
  reverse: f((args, meter) => (arity("reverse", args, 1), meter.charge(listOp("find reverse", args[0]).length), [...listOp("find reverse", args[0])].reverse())),
  uniq: f((args, meter) => (arity("uniq", args, 1), uniq(listOp("find uniq", args[0]), meter))),
  without: f((args, meter) => {
    arity("without", args, 1, Infinity);
    const omit = args.slice(1);
    return listOp("find without", args[0]).filter((value) => !omit.some((other) => deepEqual(value, other, meter)));
  }),
  has: f((args, meter) => {
    arity("has", args, 2);
    if (args[1] === null || args[1] === undefined) return false;
    return listOp("find has", args[1]).some((value) => deepEqual(value, args[0], meter));
  }),
  compact: f((args, meter) => (arity("compact", args, 1), meter.charge(listOp("compact", args[0]).length), listOp("compact", args[0]).filter((value) => !isEmptyValue(value)))),
  slice: f((args) => {
    arity("slice", args, 1, 3);
    const value = args[0];
    if (typeof value === "string") return value.slice(integer("slice", args[1] ?? 0), args.length > 2 ? integer("slice", args[2]) : undefined);
    const values = listOp("slice", value);
    const start = args.length > 1 ? integer("slice", args[1]) : 0;
    const end = args.length > 2 ? integer("slice", args[2]) : values.length;
    if (start < 0 || end > values.length || start > end) throw new FunctionError(`slice: index out of range [${start}:${end}] with length ${values.length}`);
    return values.slice(start, end);
  }),
  chunk: f((args, meter) => {
    arity("chunk", args, 2);
    const size = integer("chunk", args[0]);
    const values = listOp("chunk", args[1]);
    if (size < 1) throw new FunctionError("chunk: size must be at least 1");
    meter.charge(values.length);
    const out: unknown[][] = [];
    for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
    return out;
  }),
  until: f((args, meter) => {
    arity("until", args, 1);
    const count = integer("until", args[0]);
    return untilStep(0, count, count < 0 ? -1 : 1, meter);
  }),
  untilStep: f((args, meter) => (arity("untilStep", args, 3), untilStep(integer("untilStep", args[0]), integer("untilStep", args[1]), integer("untilStep", args[2]), meter))),
  seq: f((args, meter) => seq(args.map((arg) => integer("seq", arg)), meter)),
  dict: f((args, meter) => dict(args, meter)),
  get: f((args) => {
    arity("get", args, 2);
    const record = map("get", args[0]);
    const key = String(args[1]);
    return Object.hasOwn(record, key) ? record[key] : "";
  }),
  set: f((args, meter) => {
    arity("set", args, 3);
    const record = map("set", args[0]);
    setKey(record, strval(args[1], meter), args[2]);
    return record;
  }),
  unset: f((args, meter) => {
    arity("unset", args, 2);
    const record = map("unset", args[0]);
    delete record[strval(args[1], meter)];
    return record;
  }),
  hasKey: f((args, meter) => (arity("hasKey", args, 2), Object.hasOwn(map("hasKey", args[0]), strval(args[1], meter)))),
  pluck: f((args, meter) => {
    arity("pluck", args, 1, Infinity);
    const key = strval(args[0], meter);
    const out: unknown[] = [];
    for (const arg of args.slice(1)) {
      const record = map("pluck", arg);
      if (Object.hasOwn(record, key)) out.push(record[key]);
    }
    return out;
  }),
  keys: f((args, meter) => {
    const out: string[] = [];
    for (const arg of args) out.push(...Object.keys(map("keys", arg)));
    meter.charge(out.length);
    return out.sort(compareStrings);
  }),
  values: f((args) => {
    arity("values", args, 1);
    const record = map("values", args[0]);
    return Object.keys(record)
      .sort(compareStrings)
      .map((key) => record[key]);
  }),
  pick: f((args, meter) => {
    arity("pick", args, 1, Infinity);
    const record = map("pick", args[0]);
    const out: Record<string, unknown> = {};
    for (const key of args.slice(1).map((arg) => strval(arg, meter))) if (Object.hasOwn(record, key)) setKey(out, key, record[key]);
    return out;
  }),
  omit: f((args, meter) => {
    arity("omit", args, 1, Infinity);
    const record = map("omit", args[0]);
    const drop = new Set(args.slice(1).map((arg) => strval(arg, meter)));
    meter.charge(Object.keys(record).length);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) if (!drop.has(key)) setKey(out, key, record[key]);
    return out;
  }),
  dig: f((args, meter) => {
    arity("dig", args, 3, Infinity);
    const record = map("dig", args[args.length - 1]);
    const fallback = args[args.length - 2];
    let current: unknown = record;
    for (const key of args.slice(0, -2).map((arg) => strval(arg, meter))) {
      if (!isMap(current) || !Object.hasOwn(current, key)) return fallback;
      current = current[key];
    }
    return current;
  }),
  merge: f((args, meter) => merge("merge", args, false, meter)),
  mustMerge: f((args, meter) => merge("mustMerge", args, false, meter)),
  mergeOverwrite: f((args, meter) => merge("mergeOverwrite", args, true, meter)),
  mustMergeOverwrite: f((args, meter) => merge("mustMergeOverwrite", args, true, meter)),
  deepCopy: f((args, meter) => (arity("deepCopy", args, 1), deepCopy(args[0], meter))),
  mustDeepCopy: f((args, meter) => {
    arity("mustDeepCopy", args, 1);
    if (args[0] === null || args[0] === undefined) throw new FunctionError("copy: cannot copy nil");
    return deepCopy(args[0], meter);
  }),
  deepEqual: f((args, meter) => (arity("deepEqual", args, 2), deepEqual(args[0], args[1], meter))),
};

const SPRIG_VALUES: Record<string, TemplateFunction> = {
  default: f((args) => (arity("default", args, 1, 2), args.length === 2 && isTruthy(args[1]) ? args[1] : args[0])),
  empty: f((args) => (arity("empty", args, 1), !isTruthy(args[0]))),
  coalesce: f((args) => args.find(isTruthy) ?? null),
  all: f((args) => args.every(isTruthy)),
  any: f((args) => args.some(isTruthy)),
  ternary: f((args) => (arity("ternary", args, 3), isTruthy(args[2]) ? args[0] : args[1])),
  fail: f((args, meter) => {
    arity("fail", args, 1);
    throw new FunctionError(text(args[0], meter));
  }),
  required: f((args, meter) => {
    arity("required", args, 2);
    const value = args[1];
    if (value === null || value === undefined || value === "") throw new FunctionError(text(args[0], meter));
    return value;
  }),
  kindOf: f((args) => (arity("kindOf", args, 1), kindOf(args[0]))),
  kindIs: f((args, meter) => (arity("kindIs", args, 2), kindOf(args[1]) === text(args[0], meter))),
  typeOf: f((args) => (arity("typeOf", args, 1), typeOf(args[0]))),
  typeIs: f((args, meter) => (arity("typeIs", args, 2), typeOf(args[1]) === text(args[0], meter))),
  typeIsLike: f((args, meter) => {
    arity("typeIsLike", args, 2);
    const wanted = text(args[0], meter);
    const actual = typeOf(args[1]);
    return wanted === actual || `*${actual}` === wanted;
  }),
  toJson: f((args, meter) => (arity("toJson", args, 1), orEmpty(() => goJson(args[0], meter)))),
  mustToJson: f((args, meter) => (arity("mustToJson", args, 1), goJson(args[0], meter))),
  toPrettyJson: f((args, meter) => (arity("toPrettyJson", args, 1), orEmpty(() => goJson(args[0], meter, { indent: "  " })))),
  mustToPrettyJson: f((args, meter) => (arity("mustToPrettyJson", args, 1), goJson(args[0], meter, { indent: "  " }))),
  toRawJson: f((args, meter) => (arity("toRawJson", args, 1), orEmpty(() => goJson(args[0], meter, { escapeHtml: false })))),
  mustToRawJson: f((args, meter) => (arity("mustToRawJson", args, 1), goJson(args[0], meter, { escapeHtml: false }))),
  fromJson: f((args, meter) => (arity("fromJson", args, 1), helmMap(() => parseJson(text(args[0], meter), meter), "json"))),
  mustFromJson: f((args, meter) => (arity("mustFromJson", args, 1), parseJson(text(args[0], meter), meter))),
  fromJsonArray: f((args, meter) => (arity("fromJsonArray", args, 1), helmList(() => parseJson(text(args[0], meter), meter), "json"))),
  toYaml: f((args, meter) => (arity("toYaml", args, 1), orEmpty(() => goYaml(args[0], meter)))),
  mustToYaml: f((args, meter) => (arity("mustToYaml", args, 1), goYaml(args[0], meter))),
  fromYaml: f((args, meter) => (arity("fromYaml", args, 1), helmMap(() => parseYaml(text(args[0], meter), meter), "yaml"))),
  fromYamlArray: f((args, meter) => (arity("fromYamlArray", args, 1), helmList(() => parseYaml(text(args[0], meter), meter), "yaml"))),
  b64enc: f((args, meter) => (arity("b64enc", args, 1), Buffer.from(text(args[0], meter), "utf8").toString("base64"))),
  b64dec: f((args, meter) => (arity("b64dec", args, 1), Buffer.from(text(args[0], meter), "base64").toString("utf8"))),
  b32enc: f((args, meter) => (arity("b32enc", args, 1), base32(Buffer.from(text(args[0], meter), "utf8")))),
  sha1sum: f((args, meter) => (arity("sha1sum", args, 1), hashHex("sha1", text(args[0], meter)))),
  sha256sum: f((args, meter) => (arity("sha256sum", args, 1), hashHex("sha256", text(args[0], meter)))),
  sha512sum: f((args, meter) => (arity("sha512sum", args, 1), hashHex("sha512", text(args[0], meter)))),
  adler32sum: f((args, meter) => (arity("adler32sum", args, 1), String(adler32(text(args[0], meter))))),
};

function orEmpty(fn: () => string): string {
  try {
    return fn();
  } catch (error) {
    if (error instanceof FunctionError) return "";
    throw error;
  }
}

function base32(bytes: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}

const SPRIG_MATH: Record<string, TemplateFunction> = {
  add: f((args) => args.reduce<number>((sum, arg) => sum + toInt(arg), 0)),
  add1: f((args) => (arity("add1", args, 1), toInt(args[0]) + 1)),
  sub: f((args) => (arity("sub", args, 2), toInt(args[0]) - toInt(args[1]))),
  mul: f((args) => args.reduce<number>((product, arg) => product * toInt(arg), 1)),
  div: f((args) => {
    arity("div", args, 2);
    const divisor = toInt(args[1]);
    if (divisor === 0) throw new FunctionError("runtime error: integer divide by zero");
    return Math.trunc(toInt(args[0]) / divisor);
  }),
  mod: f((args) => {
    arity("mod", args, 2);
    const divisor = toInt(args[1]);
    if (divisor === 0) throw new FunctionError("runtime error: integer divide by zero");
    return toInt(args[0]) % divisor;
  }),
  max: f((args) => (arity("max", args, 1, Infinity), Math.max(...args.map(toInt)))),
  biggest: f((args) => (arity("biggest", args, 1, Infinity), Math.max(...args.map(toInt)))),
  min: f((args) => (arity("min", args, 1, Infinity), Math.min(...args.map(toInt)))),
  addf: f((args) => args.reduce<number>((sum, arg) => sum + toFloat(arg), 0)),
  add1f: f((args) => (arity("add1f", args, 1), toFloat(args[0]) + 1)),
  subf: f((args) => (arity("subf", args, 1, Infinity), args.slice(1).reduce<number>((result, arg) => result - toFloat(arg), toFloat(args[0])))),
  mulf: f((args) => args.reduce<number>((product, arg) => product * toFloat(arg), 1)),
  divf: f((args) => (arity("divf", args, 1, Infinity), args.slice(1).reduce<number>((result, arg) => result / toFloat(arg), toFloat(args[0])))),
  maxf: f((args) => (arity("maxf", args, 1, Infinity), Math.max(...args.map(toFloat)))),
  minf: f((args) => (arity("minf", args, 1, Infinity), Math.min(...args.map(toFloat)))),
  floor: f((args) => (arity("floor", args, 1), Math.floor(toFloat(args[0])))),
  ceil: f((args) => (arity("ceil", args, 1), Math.ceil(toFloat(args[0])))),
  round: f((args) => {
    arity("round", args, 1, 3);
    const value = toFloat(args[0]);
    const places = toInt(args[1]);
    const roundOn = args.length > 2 ? toFloat(args[2]) : 0.5;
    const pow = 10 ** places;
    const digit = Math.abs(value) * pow;
    const floor = Math.floor(digit);
    const rounded = digit - floor >= roundOn ? Math.ceil(digit) : floor;
    return (Math.sign(value) * rounded) / pow;
  }),
  int: f((args) => (arity("int", args, 1), toInt(args[0]))),
  int64: f((args) => (arity("int64", args, 1), toInt(args[0]))),
  float64: f((args) => (arity("float64", args, 1), toFloat(args[0]))),
  atoi: f((args, meter) => {
    arity("atoi", args, 1);
    const value = text(args[0], meter);
    return /^[+-]?\d+$/.test(value) ? Number(value) : 0;
  }),
};

/** The function table (`include` and `tpl` are the executor's, `and`/`or` are evaluated lazily there). */
export const FUNCTIONS: Readonly<Record<string, TemplateFunction>> = Object.freeze({
  ...GO_BUILTINS,
  ...SPRIG_STRINGS,
  ...SPRIG_COLLECTIONS,
  ...SPRIG_VALUES,
  ...SPRIG_MATH,
  ...dateFunctions(),
});

/** The function called `name`, looked up among the table's own entries only. */
export function lookupFunction(name: string): TemplateFunction | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}
