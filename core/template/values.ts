/**
 * The values a template works on, as Go's text/template sees them: nil, strings, numbers, bools,
 * lists (slices), plain objects (maps: keys sorted when printed, ranged or serialized) and
 * TemplateStruct (Go structs: fields in declaration order, JSON names from tags, an optional
 * String() text and an optional MarshalJSON form). Action data uses TemplateStruct so that Iter8's
 * published templates print and serialize exactly what Iter8's Go structs would.
 */

/** Options of a TemplateStruct (see the class). */
export interface TemplateStructOptions {
  /** Go field name → JSON tag (`"timeStamp"`, `"insights,omitempty"`, `"-"`); default: the field name. */
  readonly tags?: Readonly<Record<string, string>>;
  /** What the struct prints as (Go's fmt.Stringer); default `{v1 v2 ...}`. */
  readonly text?: string;
  /** Its JSON form (Go's json.Marshaler), JSON-shaped; default: the tagged fields in order. */
  readonly json?: () => unknown;
}

/**
 * A Go struct: `fields` maps Go field names to values in declaration order. Templates read
 * fields by name (`.Result.Insights`); `toJson` writes the tagged names; the struct is always true
 * in `if`; `set`/`unset` refuse it, so data passed as structs cannot be changed by a template.
 */
export class TemplateStruct {
  readonly typeName: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly options: TemplateStructOptions;

  constructor(typeName: string, fields: Readonly<Record<string, unknown>>, options: TemplateStructOptions = {}) {
    this.typeName = typeName;
    this.fields = fields;
    this.options = options;
  }
}

/** A Go time.Time (UTC): prints as Go's `2006-01-02 15:04:05.999999999 +0000 UTC`, serializes as RFC 3339. */
export class GoTime extends TemplateStruct {
  readonly epochMs: number;

  constructor(epochMs: number, monotonicSeconds?: number) {
    const date = new Date(epochMs);
    const json = rfc3339(date);
    super("time.Time", {}, { text: `${goTimeText(date)}${monotonicSeconds === undefined ? "" : ` m=+${monotonicSeconds.toFixed(9)}`}`, json: () => json });
    this.epochMs = epochMs;
  }
}

export function goTime(epochMs: number, monotonicSeconds?: number): GoTime {
  return new GoTime(epochMs, monotonicSeconds);
}

/** Go's time.Time.String() in UTC, without the monotonic reading. */
export function goTimeText(date: Date): string {
  const iso = date.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ""} +0000 UTC`;
}

/** RFC 3339 with trailing zeros of the fraction dropped (Go's RFC3339Nano), in UTC. */
export function rfc3339(date: Date): string {
  const iso = date.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ""}Z`;
}

export function isStruct(value: unknown): value is TemplateStruct {
  return value instanceof TemplateStruct;
}

/** A plain object used as a Go map (not a list, not a struct). */
export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof TemplateStruct);
}

/** Go's notion of truth: false, 0, nil, "", empty list and empty map are false; structs are true. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof TemplateStruct) return true;
  if (typeof value === "object") {
    for (const key in value) if (Object.hasOwn(value, key)) return true;
    return false;
  }
  return true;
}

/** Sprig's kindOf: the Go reflect.Kind name. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return "invalid";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float64";
  if (Array.isArray(value)) return "slice";
  if (value instanceof TemplateStruct) return "struct";
  if (typeof value === "object") return "map";
  return "invalid";
}

/** Sprig's typeOf: the Go type as `%T` prints it. */
export function typeOf(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  if (value instanceof TemplateStruct) return value.typeName;
  if (typeof value === "object") return "map[string]interface {}";
  return kindOf(value);
}

/** Looks up a field of a map or struct: the exact name, then the name with its first letter lower-cased. */
export function fieldOf(container: Record<string, unknown> | TemplateStruct, name: string): { found: boolean; value: unknown } {
  const record = container instanceof TemplateStruct ? container.fields : container;
  if (Object.hasOwn(record, name)) return { found: true, value: record[name] };
  const lowered = name.charAt(0).toLowerCase() + name.slice(1);
  if (lowered !== name && Object.hasOwn(record, lowered)) return { found: true, value: record[lowered] };
  return { found: false, value: null };
}

/** Keys of a map in Go's order (sorted by code unit, as Go sorts strings by bytes for ASCII). */
export function sortedKeys(record: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(record).sort(compareStrings);
}

/** Go's string order: by UTF-8 bytes, which is code point order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
