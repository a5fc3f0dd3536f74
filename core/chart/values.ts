/**
 * Chart values as Helm assembles them: `-f` files merged in order (maps key by key, anything else
 * replaced), then every `--set`, every `--set-string`, every `--set-file` applied in that order,
 * and the result coalesced over the chart's own values.yaml (user values win, a user `null`
 * deletes the chart's key).
 */
import { readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { ErrorCode, ValidationError } from "../errors.js";
import { parseSetInto, stringSetValue, typedSetValue } from "./strvals.js";
import type { ChartValue, ChartValues } from "./strvals.js";

/** Where the user's values come from (the flags of `assay launch`). */
export interface ValueSources {
  /** `-f` files, in order (each may also be a comma-separated list, as Helm allows). */
  readonly files?: readonly string[];
  readonly set?: readonly string[];
  readonly setString?: readonly string[];
  /** `--set-file KEY=PATH`: the value is the file's text. */
  readonly setFile?: readonly string[];
}

/** Largest values file read (a values file is configuration, not data). */
export const MAX_VALUES_FILE_BYTES = 4 * 1024 * 1024;

export function isValueMap(value: ChartValue | undefined): value is ChartValues {
  return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value);
}

/** Helm's mergeMaps: `b` over `a`, maps merged key by key, lists and scalars replaced. */
export function mergeValues(a: ChartValues, b: ChartValues): ChartValues {
  const out: ChartValues = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    out[key] = isValueMap(value) && isValueMap(existing) ? mergeValues(existing, value) : value;
  }
  return out;
}

/** Helm's coalesce: `user` over the chart's `defaults`; a user `null` removes the chart's key. */
export function coalesceValues(user: ChartValues, defaults: ChartValues): ChartValues {
  const out: ChartValues = { ...user };
  for (const [key, fallback] of Object.entries(defaults)) {
    if (!(key in out)) out[key] = structuredClone(fallback);
    else if (out[key] === null) delete out[key];
    else {
      const mine = out[key];
      if (isValueMap(mine) && isValueMap(fallback)) out[key] = coalesceValues(mine, fallback);
    }
  }
  return out;
}

/** Parses a YAML values text; an empty document is `{}`. Throws naming `source` and the line. */
export function parseValuesText(text: string, source: string): ChartValues {
  const doc = parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
    throw new ValidationError(ErrorCode.BadValues, `${source}:${line}:${column}: not valid YAML: ${error.message.split("\n")[0] ?? ""}`, {
      location: { file: source, line, column },
    });
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError(ErrorCode.BadValues, `${source}: a values file must be a map of keys to values, got ${Array.isArray(value) ? "a list" : typeof value}`, {
      location: { file: source, line: 1, column: 1 },
    });
  }
  return value as ChartValues;
}

export async function readValuesFile(path: string, what = "values file"): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    if (text.length > MAX_VALUES_FILE_BYTES) throw new ValidationError(ErrorCode.TooLarge, `${path}: the ${what} is larger than ${MAX_VALUES_FILE_BYTES} bytes`);
    return text;
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ValidationError(ErrorCode.FileNotFound, `cannot read ${what} ${path}: ${reason}`, { cause: error });
  }
}

/** The user's values from `-f`, `--set`, `--set-string` and `--set-file`, in Helm's order. */
export async function loadUserValues(sources: ValueSources): Promise<ChartValues> {
  let values: ChartValues = {};
  const files = (sources.files ?? []).flatMap((entry) => entry.split(",")).filter((entry) => entry !== "");
  for (const file of files) values = mergeValues(values, parseValuesText(isUrl(file) ? await fetchValuesFile(file) : await readValuesFile(file), file));
  for (const item of sources.set ?? []) parseSetInto(values, item, { flag: "--set", read: typedSetValue });
  for (const item of sources.setString ?? []) parseSetInto(values, item, { flag: "--set-string", read: stringSetValue });
  for (const item of sources.setFile ?? []) parseSetInto(values, item, { flag: "--set-file", read: readSetFile });
  return values;
}

/** How long `-f URL` may take. */
export const VALUES_FETCH_TIMEOUT_MS = 10_000;

function isUrl(file: string): boolean {
  return /^https?:\/\//i.test(file);
}

/** `-f https://…` (as Helm): the body of a 2xx answer, within the time and size limits. */
async function fetchValuesFile(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(VALUES_FETCH_TIMEOUT_MS), redirect: "follow" });
  } catch (error) {
    throw new ValidationError(ErrorCode.FileNotFound, `cannot fetch values file ${url}: ${(error as Error).message}`, { cause: error, field: "--values" });
  }
  if (!response.ok) throw new ValidationError(ErrorCode.FileNotFound, `cannot fetch values file ${url}: HTTP ${response.status}`, { field: "--values" });
  const text = await response.text();
  if (text.length > MAX_VALUES_FILE_BYTES) throw new ValidationError(ErrorCode.TooLarge, `${url}: the values file is larger than ${MAX_VALUES_FILE_BYTES} bytes`, { field: "--values" });
  return text;
}

/** `--set-file KEY=PATH`: the file's text. */
function readSetFile(path: string): string {
  try {
    if (statSync(path).size > MAX_VALUES_FILE_BYTES) throw new ValidationError(ErrorCode.TooLarge, `--set-file ${path}: the file is larger than ${MAX_VALUES_FILE_BYTES} bytes`);
    return readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ValidationError(ErrorCode.FileNotFound, `--set-file: cannot read ${path}: ${reason}`, { cause: error, field: "--set-file" });
  }
}

/** Every `--set` assignment whose value Helm typed as a string that reads as a number (`0.05`, `15.5`). */
export function numericStrings(values: ChartValue, path = ""): string[] {
  if (typeof values === "string") return /^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+|0\d+)$/.test(values) ? [`${path}=${values}`] : [];
  if (Array.isArray(values)) return values.flatMap((item, i) => numericStrings(item, `${path}[${i}]`));
  if (isValueMap(values)) return Object.entries(values).flatMap(([key, item]) => numericStrings(item, path === "" ? key : `${path}.${key}`));
  return [];
}
