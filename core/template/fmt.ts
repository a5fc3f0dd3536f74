/**
 * Go's fmt for template values: how `{{ . }}` and `print` show a value, `printf`'s verbs, and
 * strconv.Quote (used by `%q` and sprig's `quote`). Numbers print as JavaScript prints them
 * (`1000000`, not Go's `1e+06`): our data has no int/float distinction. Everything else follows Go.
 */
import { SizeExceeded } from "./errors.js";
import { TemplateStruct, compareStrings, typeOf } from "./values.js";

/**
 * `{{ x }}` / `%v`: like Go's fmt.Fprint. Nil prints as `<nil>` (the executor prints a top-level
 * nil its own way). Throws SizeExceeded when the text would pass `limit` characters.
 */
export function printValue(value: unknown, limit = Number.POSITIVE_INFINITY): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let i = 0; i < value.length; i++) {
      out += (i === 0 ? "" : " ") + printValue(value[i], limit);
      if (out.length > limit) throw new SizeExceeded();
    }
    return `${out}]`;
  }
  if (value instanceof TemplateStruct) {
    if (value.options.text !== undefined) return value.options.text;
    out = "{";
    let first = true;
    for (const field of Object.values(value.fields)) {
      out += (first ? "" : " ") + printValue(field, limit);
      first = false;
      if (out.length > limit) throw new SizeExceeded();
    }
    return `${out}}`;
  }
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort(compareStrings);
    out = "map[";
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] ?? "";
      out += `${i === 0 ? "" : " "}${key}:${printValue(record[key], limit)}`;
      if (out.length > limit) throw new SizeExceeded();
    }
    return `${out}]`;
  }
  return typeof value === "bigint" ? value.toString() : "";
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length && plain; i++) {
    const code = text.charCodeAt(i);
    plain = code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x5c;
  }
  if (plain) return `"${text}"`;
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code === 7) out += "\\a";
    else if (code === 8) out += "\\b";
    else if (code === 12) out += "\\f";
    else if (code === 11) out += "\\v";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\\ufffd";
    else if (PRINTABLE.test(ch)) out += ch;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  precision: number | undefined;
  /** The longest text allowed (SizeExceeded beyond). */
  limit: number;
}

/** fmt.Sprintf: flags `-+# 0`, width and precision (also `*`), `[n]` argument indexes, Go's verbs and error forms. */
export function sprintf(format: string, args: readonly unknown[], limit = Number.POSITIVE_INFINITY): string {
  let out = "";
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const end = format.length;
  const readIndex = (): boolean => {
    if (format[i] !== "[") return true;
    const close = format.indexOf("]", i);
    const index = close === -1 ? NaN : Number(format.slice(i + 1, close));
    if (!Number.isInteger(index) || index < 1) {
      i = close === -1 ? end : close + 1;
      return false;
    }
    argNum = index - 1;
    reordered = true;
    i = close + 1;
    return true;
  };
  const readNumber = (): number | undefined => {
    const start = i;
    while (i < end && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) i++;
    return i > start ? Number(format.slice(start, i)) : undefined;
  };
  const starArg = (): number | undefined => {
    const arg = args[argNum];
    argNum++;
    return typeof arg === "number" && Number.isInteger(arg) ? arg : undefined;
  };
  while (i < end) {
    const percent = format.indexOf("%", i);
    if (percent === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, precision: undefined, limit };
    for (; i < end; i++) {
      const c = format[i];
      if (c === "-") spec.minus = true;
      else if (c === "+") spec.plus = true;
      else if (c === "#") spec.sharp = true;
      else if (c === " ") spec.space = true;
      else if (c === "0") spec.zero = !spec.minus;
      else break;
    }
    let goodIndex = readIndex();
    let badWidth = false;
    if (format[i] === "*") {
      i++;
      spec.width = starArg();
      if (spec.width === undefined) badWidth = true;
      else if (spec.width < 0) {
        spec.minus = true;
        spec.width = -spec.width;
      }
      goodIndex = goodIndex && readIndex();
    } else spec.width = readNumber();
    let badPrecision = false;
    if (format[i] === ".") {
      i++;
      goodIndex = goodIndex && readIndex();
      if (format[i] === "*") {
        i++;
        spec.precision = starArg();
        if (spec.precision === undefined || spec.precision < 0) {
          spec.precision = undefined;
          badPrecision = true;
        }
      } else spec.precision = readNumber() ?? 0;
    }
    goodIndex = goodIndex && readIndex();
    if (i >= end) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (badWidth) out += "%!(BADWIDTH)";
    if (badPrecision) out += "%!(BADPREC)";
    if (!goodIndex) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    if ((spec.width ?? 0) > limit || (spec.precision ?? 0) > limit) throw new SizeExceeded();
    out += formatArg(verb, args[argNum], spec);
    if (out.length > limit) throw new SizeExceeded();
    argNum++;
  }
  if (!reordered && argNum < args.length) {
    out += `%!(EXTRA ${args.slice(argNum).map((arg) => (arg === null || arg === undefined ? "<nil>" : `${typeOf(arg)}=${printValue(arg)}`)).join(", ")})`;
  }
  return out;
}

function bad(verb: string, arg: unknown): string {
  return arg === null || arg === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${typeOf(arg)}=${printValue(arg)})`;
}

function formatArg(verb: string, arg: unknown, spec: Spec): string {
  if (verb === "T") return pad(typeOf(arg), spec, false);
  if (verb === "v" && spec.sharp) return pad(goSyntax(arg, spec.limit), spec, false);
  if (arg === null || arg === undefined) return verb === "v" ? pad("<nil>", spec, false) : bad(verb, arg);
  if (Array.isArray(arg)) return `[${joinLimited(arg.map((element) => () => formatArg(verb, element, spec)), spec.limit)}]`;
  if (arg instanceof TemplateStruct) {
    if (arg.options.text !== undefined && "vsqxX".includes(verb)) return formatString(verb, arg.options.text, spec);
    const entries = Object.entries(arg.fields);
    return `{${joinLimited(entries.map(([name, value]) => () => `${spec.plus && verb === "v" ? `${name}:` : ""}${formatArg(verb, value, spec)}`), spec.limit)}}`;
  }
  if (typeof arg === "object") {
    const record = arg as Record<string, unknown>;
    const keys = Object.keys(record).sort(compareStrings);
    return `map[${joinLimited(keys.map((key) => () => `${formatArg(verb, key, spec)}:${formatArg(verb, record[key], spec)}`), spec.limit)}]`;
  }
  if (typeof arg === "boolean") return verb === "v" || verb === "t" ? pad(arg ? "true" : "false", spec, false) : bad(verb, arg);
  if (typeof arg === "string") return formatString(verb, arg, spec);
  if (typeof arg === "number") return formatNumberVerb(verb, arg, spec);
  return bad(verb, arg);
}

/** True when the text has a control character other than tab and newline (Go's CanBackquote). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 9 && code !== 10) || code === 0x7f) return true;
  }
  return false;
}

/** Joins lazily produced parts with spaces, stopping as soon as the text passes `limit`. */
function joinLimited(parts: ReadonlyArray<() => string>, limit: number, separator = " "): string {
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    out += (i === 0 ? "" : separator) + (parts[i]?.() ?? "");
    if (out.length > limit) throw new SizeExceeded();
  }
  return out;
}

function formatString(verb: string, text: string, spec: Spec): string {
  const cut = (s: string): string => (spec.precision === undefined ? s : [...s].slice(0, spec.precision).join(""));
  switch (verb) {
    case "v":
    case "s":
      return pad(cut(text), spec, false);
    case "q":
      if (spec.sharp && !text.includes("`") && !hasControl(text)) return pad(`\`${cut(text)}\``, spec, false);
      return pad(goQuote(cut(text)), spec, false);
    case "x":
    case "X": {
      const bytes = Buffer.from(cut(text), "utf8");
      let hex = [...bytes].map((byte) => `${spec.sharp ? (verb === "x" ? "0x" : "0X") : ""}${byte.toString(16).padStart(2, "0")}`).join(spec.space ? " " : "");
      if (spec.sharp && !spec.space) hex = `${verb === "x" ? "0x" : "0X"}${bytes.toString("hex")}`;
      return pad(verb === "X" ? hex.toUpperCase().replace(/^0X/, "0X") : hex, spec, false);
    }
    default:
      return bad(verb, text);
  }
}

function formatNumberVerb(verb: string, n: number, spec: Spec): string {
  const integral = Number.isInteger(n);
  const signed = (text: string, negative: boolean): string => (negative ? `-${text}` : spec.plus ? `+${text}` : spec.space ? ` ${text}` : text);
  const negative = n < 0 || Object.is(n, -0);
  const abs = Math.abs(n);
  switch (verb) {
    case "v":
      return pad(formatNumber(n), spec, true);
    case "d":
    case "b":
    case "o":
    case "O":
    case "x":
    case "X": {
      if (!integral) return bad(verb, n);
      const radix = verb === "d" ? 10 : verb === "b" ? 2 : verb === "o" || verb === "O" ? 8 : 16;
      let digits = BigInt(abs).toString(radix);
      if (spec.precision !== undefined) digits = digits.padStart(spec.precision, "0");
      if (verb === "X") digits = digits.toUpperCase();
      const prefix = verb === "O" ? "0o" : spec.sharp ? (verb === "x" ? "0x" : verb === "X" ? "0X" : verb === "o" ? "0" : verb === "b" ? "0b" : "") : "";
      return pad(signed(prefix + digits, negative && n !== 0), spec, spec.precision === undefined);
    }
    case "c":
      return integral && abs <= 0x10ffff ? pad(String.fromCodePoint(abs), spec, false) : bad(verb, n);
    case "q":
      return integral && abs <= 0x10ffff ? pad(goQuote(String.fromCodePoint(abs)).replace(/^"(.*)"$/su, "'$1'").replace(/\\"/g, '"'), spec, false) : bad(verb, n);
    case "U":
      return integral ? pad(`U+${abs.toString(16).toUpperCase().padStart(4, "0")}`, spec, false) : bad(verb, n);
    case "e":
    case "E":
    case "f":
    case "F":
    case "g":
    case "G": {
      if (!Number.isFinite(n)) return pad(Number.isNaN(n) ? "NaN" : n > 0 ? "+Inf" : "-Inf", spec, false);
      let text = verb === "f" || verb === "F" ? fixed(abs, spec.precision ?? 6) : verb === "e" || verb === "E" ? exponential(abs, spec.precision ?? 6) : general(abs, spec.precision);
      if (verb === "E" || verb === "G") text = text.toUpperCase();
      return pad(signed(text, negative && n !== 0), spec, true);
    }
    default:
      return bad(verb, n);
  }
}

/** %.Nf with Go's rounding: the exact binary value, ties to even. */
export function fixed(x: number, precision: number): string {
  if (x >= 1e21) return BigInt(Math.round(x)).toString() + (precision > 0 ? `.${"0".repeat(precision)}` : "");
  const text = x.toFixed(Math.min(precision, 100));
  if (precision >= 100) return text;
  const scaled = x * 10 ** precision;
  if (Math.abs(scaled - Math.floor(scaled) - 0.5) > 1e-6 * Math.max(1, scaled)) return text;
  const digits = Math.min(100, precision + 60);
  const exact = x.toFixed(digits);
  const tail = exact.slice(exact.length - (digits - precision));
  if (/^50*$/.test(tail)) {
    const truncated = exact.slice(0, exact.length - tail.length).replace(/\.$/, "");
    const lastDigit = Number(truncated.charAt(truncated.length - 1));
    if (lastDigit % 2 === 0) return truncated;
  }
  return text;
}

function exponential(x: number, precision: number): string {
  return x.toExponential(Math.min(precision, 100)).replace(/e([+-])(\d)$/, "e$10$2");
}

/** %g: shortest digits (or `precision` significant ones), %e form when the exponent is < -4 or ≥ the precision. */
function general(x: number, precision: number | undefined): string {
  if (x === 0) return "0";
  const shortest = precision === undefined;
  const mantissa = shortest ? x.toExponential() : x.toExponential(Math.max(0, Math.min(100, (precision === 0 ? 1 : precision) - 1)));
  const [digitsPart = "", expPart = "0"] = mantissa.split("e");
  const digits = digitsPart.replace(".", "").replace(/0+$/, "") || "0";
  const exp = Number(expPart);
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = shortest ? 6 : precision === 0 ? 1 : precision;
  if (!shortest && eprec > nd && nd >= dp) eprec = nd;
  if (exp < -4 || exp >= eprec) {
    const e = Math.abs(exp);
    return `${digits.charAt(0)}${nd > 1 ? `.${digits.slice(1)}` : ""}e${exp < 0 ? "-" : "+"}${e < 10 ? `0${e}` : e}`;
  }
  if (dp <= 0) return `0.${"0".repeat(-dp)}${digits}`;
  if (dp >= nd) return digits + "0".repeat(dp - nd);
  return `${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

function pad(text: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined) return text;
  const length = [...text].length;
  if (length >= spec.width) return text;
  const fill = spec.width - length;
  if (spec.minus) return text + " ".repeat(fill);
  if (spec.zero) {
    const sign = numeric && /^[+\- ]/.test(text) ? text.charAt(0) : "";
    return sign + "0".repeat(fill) + text.slice(sign.length);
  }
  return " ".repeat(fill) + text;
}

/** `%#v`: Go syntax for the value. */
function goSyntax(value: unknown, limit: number): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : formatNumber(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[]interface {}{${joinLimited(value.map((element) => () => goSyntax(element, limit)), limit, ", ")}}`;
  if (value instanceof TemplateStruct) {
    return `${value.typeName}{${joinLimited(Object.entries(value.fields).map(([name, field]) => () => `${name}:${goSyntax(field, limit)}`), limit, ", ")}}`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort(compareStrings);
  return `map[string]interface {}{${joinLimited(keys.map((key) => () => `${goQuote(key)}:${goSyntax(record[key], limit)}`), limit, ", ")}}`;
}
