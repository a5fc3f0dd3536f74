/**
 * Flag parsing on node:util parseArgs, with errors that name the flag and a non-zero exit.
 */
import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import { ErrorCode, ValidationError } from "../core/index.js";

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

export function parseFlags<T extends FlagSpec>(command: string, argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(ErrorCode.BadFlag, `assay ${command}: ${message}`, {
      cause: error,
      suggestion: `run \`assay ${command} --help\``,
    });
  }
}

export function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new ValidationError(ErrorCode.BadFlag, `${flag}: expected a positive integer, got "${value}"`, { field: flag });
  }
  return parsed;
}

export function requirePositional(positionals: readonly string[], command: string, what: string): string {
  const value = positionals[0];
  if (value === undefined) {
    throw new ValidationError(ErrorCode.BadFlag, `assay ${command}: missing ${what}`, { suggestion: `usage: assay ${command} ${what.toUpperCase()}` });
  }
  return value;
}
