/**
 * Helm's `--set` syntax (helm/pkg/strvals, the version Iter8 v0.14 links): `a.b=v`, several
 * assignments separated by `,`, lists `a={x,y}`, indexes `a[0].b=v`, `\` escaping the next
 * character (`http/latency-p97\.5=600`), and Helm's typing of scalars (`true`/`false`/`null` in any
 * case, base-10 integers that do not start with 0; everything else, `0.05` included, a string).
 *
 * Written for Assay from Helm's documented behaviour. Errors name the `--set` item they come from.
 */
import { ErrorCode, ValidationError } from "../errors.js";

/** A value tree as Helm builds it (maps, lists with null holes, scalars). */
export type ChartValue = string | number | boolean | null | ChartValue[] | ChartValues;
export interface ChartValues {
  [key: string]: ChartValue;
}

/** Helm's limits: list indexes up to 65536, names nested up to 30 levels. */
export const MAX_SET_INDEX = 65536;
export const MAX_SET_NESTING = 30;

/** How the value of one assignment is made from its text. */
export type SetValueReader = (text: string) => ChartValue;

/** `--set`: Helm's typed scalars. */
export function typedSetValue(text: string): ChartValue {
  const lower = text.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (lower === "null") return null;
  if (text === "0") return 0;
  if (/^[+-]?\d+$/.test(text) && !text.startsWith("0")) {
    const value = Number(text);
    // Helm makes an int64; beyond 2^53 a JavaScript number would lose digits, so it stays text.
    if (Number.isSafeInteger(value)) return value;
  }
  return text;
}

/** `--set-string`: every value a string. */
export function stringSetValue(text: string): string {
  return text;
}

class SetSyntaxError extends Error {}

/** Reads runes of one `--set` item, `\` escaping the next character. */
class Scanner {
  private position = 0;
  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.position >= this.text.length;
  }

  next(): string | undefined {
    const char = this.text[this.position];
    if (char !== undefined) this.position++;
    return char;
  }

  unread(): void {
    this.position--;
  }

  /** Characters up to (not including) one of `stop`; `stopped` is undefined at the end of the text. */
  until(stop: string): { chars: string; stopped: string | undefined } {
    let chars = "";
    for (;;) {
      const char = this.next();
      if (char === undefined) return { chars, stopped: undefined };
      if (stop.includes(char)) return { chars, stopped: char };
      if (char === "\\") {
        const escaped = this.next();
        if (escaped === undefined) return { chars, stopped: undefined };
        chars += escaped;
      } else {
        chars += char;
      }
    }
  }
}

function isMap(value: ChartValue | undefined): value is ChartValues {
  return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value);
}

function setKey(data: ChartValues, key: string, value: ChartValue): void {
  if (key !== "") data[key] = value;
}

function setIndex(list: ChartValue[], index: number, value: ChartValue): ChartValue[] {
  if (index < 0) throw new SetSyntaxError(`negative index ${index} is not allowed`);
  if (index > MAX_SET_INDEX) throw new SetSyntaxError(`index ${index} is greater than the maximum of ${MAX_SET_INDEX}`);
  while (list.length <= index) list.push(null);
  list[index] = value;
  return list;
}

class SetParser {
  private readonly scanner: Scanner;
  constructor(
    text: string,
    private readonly read: SetValueReader,
  ) {
    this.scanner = new Scanner(text);
  }

  parseInto(data: ChartValues): void {
    while (!this.scanner.done) this.key(data, 0, "");
  }

  private key(data: ChartValues, nesting: number, parent: string): void {
    const { chars: key, stopped } = this.scanner.until("=[,.");
    const path = parent === "" ? key : `${parent}.${key}`;
    switch (stopped) {
      case undefined:
        throw new SetSyntaxError(key === "" ? "nothing to set" : `key "${path}" has no value (write ${path}=VALUE)`);
      case ",":
        throw new SetSyntaxError(`key "${path}" has no value (cannot end with ,)`);
      case "=":
        setKey(data, key, this.value());
        return;
      case "[": {
        const existing = data[key];
        if (existing !== undefined && existing !== null && !Array.isArray(existing)) throw new SetSyntaxError(`key "${path}" is not a list, it cannot take an index`);
        setKey(data, key, this.listItem(Array.isArray(existing) ? existing : [], this.index(), nesting, path));
        return;
      }
      case ".": {
        if (nesting + 1 > MAX_SET_NESTING) throw new SetSyntaxError(`names are nested deeper than ${MAX_SET_NESTING} levels`);
        const existing = data[key];
        if (existing !== undefined && existing !== null && !isMap(existing)) throw new SetSyntaxError(`key "${path}" is not a map, it cannot take a .KEY`);
        const inner: ChartValues = isMap(existing) ? existing : {};
        this.key(inner, nesting + 1, path);
        if (Object.keys(inner).length === 0) throw new SetSyntaxError(`key map "${path}" has no value`);
        setKey(data, key, inner);
        return;
      }
      default:
        throw new SetSyntaxError(`unexpected "${stopped}"`);
    }
  }

  private index(): number {
    const { chars, stopped } = this.scanner.until("]");
    if (stopped === undefined) throw new SetSyntaxError(`index [${chars} is not closed with ]`);
    if (!/^[+-]?\d+$/.test(chars.trim())) throw new SetSyntaxError(`index [${chars}] is not a number`);
    return Number(chars.trim());
  }

  private listItem(list: ChartValue[], index: number, nesting: number, parent: string): ChartValue[] {
    const path = `${parent}[${index}]`;
    if (index < 0) throw new SetSyntaxError(`negative index ${index} is not allowed`);
    const { chars, stopped } = this.scanner.until("[.=");
    if (chars.length > 0) throw new SetSyntaxError(`unexpected "${chars}" after ${path}`);
    switch (stopped) {
      case undefined:
        throw new SetSyntaxError(`${path} has no value`);
      case "=":
        return setIndex(list, index, this.value());
      case "[": {
        const existing = list[index];
        if (existing !== undefined && existing !== null && !Array.isArray(existing)) throw new SetSyntaxError(`${path} is not a list, it cannot take an index`);
        const inner = this.listItem(Array.isArray(existing) ? existing : [], this.index(), nesting, path);
        return setIndex(list, index, inner);
      }
      default: {
        const existing = list[index];
        const inner: ChartValues = isMap(existing) ? existing : {};
        this.key(inner, nesting, path);
        return setIndex(list, index, inner);
      }
    }
  }

  /** After `=`: a `{a,b}` list, or a scalar up to the next `,`. */
  private value(): ChartValue {
    const first = this.scanner.next();
    if (first === undefined) return "";
    if (first === "{") return this.list();
    this.scanner.unread();
    return this.read(this.scanner.until(",").chars);
  }

  private list(): ChartValue[] {
    const list: ChartValue[] = [];
    for (;;) {
      const { chars, stopped } = this.scanner.until(",}");
      if (stopped === undefined) throw new SetSyntaxError("list must terminate with '}'");
      if (stopped === "}") {
        if (!(list.length === 0 && chars === "")) list.push(this.read(chars));
        // Helm consumes a `,` right after the list.
        if (this.scanner.next() !== ",") if (!this.scanner.done) this.scanner.unread();
        return list;
      }
      list.push(this.read(chars));
    }
  }
}

/**
 * Applies one `--set` item (`a.b=v,c[0]=w`) to `values`, in place, as Helm does. Throws a
 * ValidationError (LAUNCH_BAD_VALUES) naming `flag` and the item.
 */
export function parseSetInto(values: ChartValues, item: string, options: { flag?: string; read?: SetValueReader } = {}): void {
  const flag = options.flag ?? "--set";
  try {
    new SetParser(item, options.read ?? typedSetValue).parseInto(values);
  } catch (error) {
    if (!(error instanceof SetSyntaxError)) throw error;
    throw new ValidationError(ErrorCode.BadValues, `${flag} ${JSON.stringify(item)}: ${error.message}`, {
      field: flag,
      suggestion: `${flag} takes KEY=VALUE items separated by commas: a.b=1, "list={x,y}", a[0].b=v; write \\. for a dot inside a key (http/latency-p97\\.5=600)`,
    });
  }
}
