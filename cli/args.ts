/**
 * Parsers for flag values, each failing with a validation error that names the flag.
 */
import { ErrorCode, ValidationError } from "../core/index.js";

export function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new ValidationError(ErrorCode.BadFlag, `${flag}: expected a positive integer, got "${value}"`, { field: flag });
  }
  return parsed;
}

/** `k=v,k2=v2` (the flag also repeatable) into a record. */
export function parseLabels(values: readonly string[], flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of values.flatMap((v) => v.split(","))) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new ValidationError(ErrorCode.BadFlag, `${flag}: expected key=value, got "${part}"`, { field: flag });
    labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return labels;
}
