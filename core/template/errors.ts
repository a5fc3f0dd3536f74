import { ErrorCode, ValidationError } from "../errors.js";

/** Name used as the `file` of a template error's location (the template has no file of its own). */
export const TEMPLATE_SOURCE = "<template>";

/** 1-based line and column of a character offset in `source`. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** A ValidationError (EXPERIMENT_BAD_TEMPLATE) at a position inside the template text. */
export function templateError(source: string, offset: number, message: string, cause?: unknown): ValidationError {
  const { line, column } = positionOf(source, offset);
  return new ValidationError(ErrorCode.BadTemplate, `template: ${line}:${column}: ${message}`, {
    location: { file: TEMPLATE_SOURCE, line, column },
    ...(cause === undefined ? {} : { cause }),
  });
}
