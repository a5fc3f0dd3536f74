/**
 * The functions a template may call: Go's built-ins (eq, and, index, len, printf, ...) and the
 * sprig functions Iter8 users reach for (default, quote, toJson, toYaml, upper, join, round, ...).
 * Sprig argument order is kept: the piped value is the last argument (`.x | default "n/a"`).
 */
import { stringify as yamlStringify } from "yaml";

/** A function receives its evaluated arguments; it throws an Error whose message is shown. */
export type TemplateFunction = (...args: unknown[]) => unknown;

export class FunctionError extends Error {}

/** Go's notion of truth: false, 0, nil, "", empty list and empty map are false. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/**
 * How a value prints (`{{ .x }}`, `%v`): like Go's fmt for JSON-shaped data, except that a
 * missing value (nil) prints as the empty string and numbers print as JavaScript does.
 */
export function printValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return `[${value.map(nestedValue).join(" ")}]`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `map[${keys.map((key) => `${key}:${nestedValue(record[key])}`).join(" ")}]`;
  }
  return "";
}

function nestedValue(value: unknown): string {
  return value === null || value === undefined ? "<nil>" : printValue(value);
}

function toText(value: unknown): string {
  return printValue(value);
}

function toNumber(value: unknown, fn: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  if (value === null || value === undefined) return 0;
  throw new FunctionError(`${fn}: cannot use ${describeType(value)} as a number`);
}

export function describeType(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") return "map";
  return typeof value;
}

function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) {
    throw new FunctionError(`incompatible types for comparison: ${describeType(a)} and ${describeType(b)}`);
  }
  if (typeof a === "object") throw new FunctionError(`non-comparable type: ${describeType(a)}`);
  return a === b;
}

function compare(fn: string, a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw new FunctionError(`${fn}: incompatible types for comparison: ${describeType(a)} and ${describeType(b)}`);
}

function arity(fn: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new FunctionError(`wrong number of args for ${fn}: want ${expected} got ${args.length}`);
  }
}

function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** A minimal fmt.Sprintf: flags `-+ 0#`, width, precision, verbs s v d f F e g t q x X c %. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let argIndex = 0;
  let out = "";
  const verbPattern = /%([-+ 0#]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])/g;
  let last = 0;
  for (let match = verbPattern.exec(format); match; match = verbPattern.exec(format)) {
    out += format.slice(last, match.index);
    last = match.index + match[0].length;
    const [, flags = "", widthText, precisionText, verb = ""] = match;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++];
    const precision = precisionText === undefined ? undefined : Number(precisionText || "0");
    let text = formatVerb(verb, arg, flags, precision);
    const width = widthText === undefined ? 0 : Number(widthText);
    if (text.length < width) {
      const pad = width - text.length;
      if (flags.includes("-")) text += " ".repeat(pad);
      else if (flags.includes("0") && /[dfFeEgxX]/.test(verb)) {
        const sign = /^[+-]/.test(text) ? text.charAt(0) : "";
        text = sign + "0".repeat(pad) + text.slice(sign.length);
      } else text = " ".repeat(pad) + text;
    }
    out += text;
  }
  out += format.slice(last);
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args.slice(argIndex).map((arg) => `${describeType(arg)}=${printValue(arg)}`).join(", ")})`;
  }
  return out;
}

function formatVerb(verb: string, arg: unknown, flags: string, precision: number | undefined): string {
  const sign = (n: number, text: string): string => (n >= 0 && flags.includes("+") ? `+${text}` : n >= 0 && flags.includes(" ") ? ` ${text}` : text);
  switch (verb) {
    case "v":
      if (flags.includes("#") || flags.includes("+")) return JSON.stringify(arg) ?? "null";
      return arg === null || arg === undefined ? "<nil>" : printValue(arg);
    case "s": {
      const text = arg === null || arg === undefined ? "%!s(<nil>)" : printValue(arg);
      return precision === undefined ? text : text.slice(0, precision);
    }
    case "q":
      return typeof arg === "string" ? goQuote(arg) : `%!q(${describeType(arg)}=${printValue(arg)})`;
    case "t":
      return typeof arg === "boolean" ? String(arg) : `%!t(${describeType(arg)}=${printValue(arg)})`;
    case "d":
      if (typeof arg !== "number") return `%!d(${describeType(arg)}=${printValue(arg)})`;
      return sign(arg, String(Math.trunc(arg)));
    case "f":
    case "F":
      if (typeof arg !== "number") return `%!${verb}(${describeType(arg)}=${printValue(arg)})`;
      return sign(arg, arg.toFixed(precision ?? 6));
    case "e":
    case "E": {
      if (typeof arg !== "number") return `%!${verb}(${describeType(arg)}=${printValue(arg)})`;
      const text = arg.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      return sign(arg, verb === "E" ? text.toUpperCase() : text);
    }
    case "g":
      if (typeof arg !== "number") return `%!g(${describeType(arg)}=${printValue(arg)})`;
      return sign(arg, precision === undefined ? String(arg) : String(Number(arg.toPrecision(Math.max(precision, 1)))));
    case "x":
    case "X": {
      let text: string;
      if (typeof arg === "number") text = Math.trunc(arg).toString(16);
      else if (typeof arg === "string") text = Buffer.from(arg, "utf8").toString("hex");
      else return `%!${verb}(${describeType(arg)}=${printValue(arg)})`;
      return verb === "X" ? text.toUpperCase() : text;
    }
    case "c":
      return typeof arg === "number" ? String.fromCodePoint(arg) : `%!c(${describeType(arg)}=${printValue(arg)})`;
    default:
      return `%!${verb}(${describeType(arg)}=${printValue(arg)})`;
  }
}

function lengthOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "string") return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (typeof value === "object") return Object.keys(value).length;
  throw new FunctionError(`len of type ${describeType(value)}`);
}

function indexInto(container: unknown, keys: readonly unknown[]): unknown {
  let current = container;
  for (const key of keys) {
    if (current === null || current === undefined) return null;
    if (Array.isArray(current) || typeof current === "string") {
      if (typeof key !== "number" || !Number.isInteger(key)) throw new FunctionError(`cannot index list with ${describeType(key)}`);
      if (key < 0 || key >= current.length) throw new FunctionError(`index out of range: ${key}`);
      current = typeof current === "string" ? current.charCodeAt(key) : current[key];
    } else if (typeof current === "object") {
      const record = current as Record<string, unknown>;
      const name = typeof key === "string" ? key : printValue(key);
      current = Object.hasOwn(record, name) ? record[name] : null;
    } else {
      throw new FunctionError(`can't index item of type ${describeType(current)}`);
    }
  }
  return current;
}

function asList(value: unknown, fn: string): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return [value];
  throw new FunctionError(`${fn}: cannot use ${describeType(value)} as a list`);
}

function round(value: unknown, places: unknown = 0, roundOn: unknown = 0.5): number {
  const n = toNumber(value, "round");
  const p = Math.trunc(toNumber(places, "round"));
  const factor = 10 ** p;
  const scaled = Math.abs(n) * factor;
  const floor = Math.floor(scaled);
  const rounded = scaled - floor >= toNumber(roundOn, "round") ? floor + 1 : floor;
  return (Math.sign(n) * rounded) / factor;
}

function divide(fn: string, dividend: number, divisor: number): number {
  if (divisor === 0) throw new FunctionError(`${fn}: division by zero`);
  return dividend / divisor;
}

function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value === undefined ? null : value, null, indent) ?? "null";
}

/** The function table. `and` and `or` are evaluated lazily by the executor; these are fallbacks. */
export const FUNCTIONS: Readonly<Record<string, TemplateFunction>> = {
  // Go built-ins
  and: (...args) => {
    arity("and", args, 1, Infinity);
    for (const arg of args) if (!isTruthy(arg)) return arg;
    return args[args.length - 1];
  },
  or: (...args) => {
    arity("or", args, 1, Infinity);
    for (const arg of args) if (isTruthy(arg)) return arg;
    return args[args.length - 1];
  },
  not: (...args) => {
    arity("not", args, 1);
    return !isTruthy(args[0]);
  },
  eq: (...args) => {
    arity("eq", args, 2, Infinity);
    const [first, ...rest] = args;
    return rest.some((other) => valuesEqual(first, other));
  },
  ne: (...args) => {
    arity("ne", args, 2);
    return !valuesEqual(args[0], args[1]);
  },
  lt: (...args) => (arity("lt", args, 2), compare("lt", args[0], args[1]) < 0),
  le: (...args) => (arity("le", args, 2), compare("le", args[0], args[1]) <= 0),
  gt: (...args) => (arity("gt", args, 2), compare("gt", args[0], args[1]) > 0),
  ge: (...args) => (arity("ge", args, 2), compare("ge", args[0], args[1]) >= 0),
  index: (...args) => {
    arity("index", args, 1, Infinity);
    return indexInto(args[0], args.slice(1));
  },
  len: (...args) => (arity("len", args, 1), lengthOf(args[0])),
  print: (...args) => args.map(toText).join(""),
  println: (...args) => `${args.map(toText).join(" ")}\n`,
  printf: (...args) => {
    arity("printf", args, 1, Infinity);
    return sprintf(toText(args[0]), args.slice(1));
  },
  urlquery: (...args) => encodeURIComponent(args.map(toText).join("")),
  html: (...args) =>
    args
      .map(toText)
      .join("")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;")
      .replace(/'/g, "&#39;"),
  js: (...args) => JSON.stringify(args.map(toText).join("")).slice(1, -1).replace(/'/g, "\\'"),
  // sprig
  default: (...args) => {
    arity("default", args, 1, 2);
    return args.length === 2 && isTruthy(args[1]) ? args[1] : args[0];
  },
  empty: (...args) => (arity("empty", args, 1), !isTruthy(args[0])),
  coalesce: (...args) => args.find(isTruthy) ?? null,
  ternary: (...args) => (arity("ternary", args, 3), isTruthy(args[2]) ? args[0] : args[1]),
  quote: (...args) => args.filter((arg) => arg !== null && arg !== undefined).map((arg) => goQuote(toText(arg))).join(" "),
  squote: (...args) => args.filter((arg) => arg !== null && arg !== undefined).map((arg) => `'${toText(arg)}'`).join(" "),
  toJson: (...args) => (arity("toJson", args, 1), toJson(args[0])),
  toPrettyJson: (...args) => (arity("toPrettyJson", args, 1), toJson(args[0], 2)),
  toRawJson: (...args) => (arity("toRawJson", args, 1), toJson(args[0])),
  toYaml: (...args) => {
    arity("toYaml", args, 1);
    return yamlStringify(args[0] === undefined ? null : args[0]).replace(/\n$/, "");
  },
  toString: (...args: unknown[]) => (arity("toString", args, 1), toText(args[0])),
  upper: (...args) => (arity("upper", args, 1), toText(args[0]).toUpperCase()),
  lower: (...args) => (arity("lower", args, 1), toText(args[0]).toLowerCase()),
  title: (...args) => (arity("title", args, 1), toText(args[0]).replace(/(^|\s)(\S)/g, (_m, space: string, ch: string) => space + ch.toUpperCase())),
  trim: (...args) => (arity("trim", args, 1), toText(args[0]).trim()),
  trimPrefix: (...args) => {
    arity("trimPrefix", args, 2);
    const [prefix, text] = [toText(args[0]), toText(args[1])];
    return text.startsWith(prefix) ? text.slice(prefix.length) : text;
  },
  trimSuffix: (...args) => {
    arity("trimSuffix", args, 2);
    const [suffix, text] = [toText(args[0]), toText(args[1])];
    return suffix !== "" && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
  },
  contains: (...args) => (arity("contains", args, 2), toText(args[1]).includes(toText(args[0]))),
  hasPrefix: (...args) => (arity("hasPrefix", args, 2), toText(args[1]).startsWith(toText(args[0]))),
  hasSuffix: (...args) => (arity("hasSuffix", args, 2), toText(args[1]).endsWith(toText(args[0]))),
  replace: (...args) => (arity("replace", args, 3), toText(args[2]).split(toText(args[0])).join(toText(args[1]))),
  repeat: (...args) => (arity("repeat", args, 2), toText(args[1]).repeat(Math.max(0, Math.trunc(toNumber(args[0], "repeat"))))),
  join: (...args) => {
    arity("join", args, 2);
    return asList(args[1], "join").map(toText).join(toText(args[0]));
  },
  splitList: (...args) => (arity("splitList", args, 2), toText(args[1]).split(toText(args[0]))),
  list: (...args) => args,
  dict: (...args) => {
    if (args.length % 2 !== 0) throw new FunctionError("dict: odd number of arguments");
    const out: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i += 2) out[toText(args[i])] = args[i + 1] ?? null;
    return out;
  },
  keys: (...args) => args.flatMap((arg) => (arg !== null && typeof arg === "object" && !Array.isArray(arg) ? Object.keys(arg) : [])),
  hasKey: (...args) => {
    arity("hasKey", args, 2);
    const map = args[0];
    return map !== null && typeof map === "object" && Object.hasOwn(map, toText(args[1]));
  },
  first: (...args) => (arity("first", args, 1), asList(args[0], "first")[0] ?? null),
  last: (...args) => {
    arity("last", args, 1);
    const list = asList(args[0], "last");
    return list[list.length - 1] ?? null;
  },
  round: (...args) => (arity("round", args, 1, 3), round(args[0], args[1], args[2])),
  floor: (...args) => (arity("floor", args, 1), Math.floor(toNumber(args[0], "floor"))),
  ceil: (...args) => (arity("ceil", args, 1), Math.ceil(toNumber(args[0], "ceil"))),
  int: (...args) => (arity("int", args, 1), Math.trunc(toNumber(args[0], "int"))),
  float64: (...args) => (arity("float64", args, 1), toNumber(args[0], "float64")),
  add: (...args) => args.reduce<number>((sum, arg) => sum + Math.trunc(toNumber(arg, "add")), 0),
  sub: (...args) => (arity("sub", args, 2), Math.trunc(toNumber(args[0], "sub")) - Math.trunc(toNumber(args[1], "sub"))),
  mul: (...args) => args.reduce<number>((product, arg) => product * Math.trunc(toNumber(arg, "mul")), 1),
  div: (...args) => (arity("div", args, 2), Math.trunc(divide("div", Math.trunc(toNumber(args[0], "div")), Math.trunc(toNumber(args[1], "div"))))),
  mod: (...args) => {
    arity("mod", args, 2);
    const divisor = Math.trunc(toNumber(args[1], "mod"));
    if (divisor === 0) throw new FunctionError("mod: division by zero");
    return Math.trunc(toNumber(args[0], "mod")) % divisor;
  },
  addf: (...args) => args.reduce<number>((sum, arg) => sum + toNumber(arg, "addf"), 0),
  subf: (...args) => (arity("subf", args, 2), toNumber(args[0], "subf") - toNumber(args[1], "subf")),
  mulf: (...args) => args.reduce<number>((product, arg) => product * toNumber(arg, "mulf"), 1),
  divf: (...args) => (arity("divf", args, 2), divide("divf", toNumber(args[0], "divf"), toNumber(args[1], "divf"))),
  max: (...args) => Math.max(...args.map((arg) => toNumber(arg, "max"))),
  min: (...args) => Math.min(...args.map((arg) => toNumber(arg, "min"))),
  b64enc: (...args) => (arity("b64enc", args, 1), Buffer.from(toText(args[0]), "utf8").toString("base64")),
  b64dec: (...args) => (arity("b64dec", args, 1), Buffer.from(toText(args[0]), "base64").toString("utf8")),
  now: (...args) => (arity("now", args, 0), new Date().toISOString()),
};
