import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ExperimentValidationError, ValidationError, parseExperimentText } from "../../../core/index.js";
import type { Experiment, HttpTaskSpec, ParseOptions, TaskSpec } from "../../../core/index.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/experiments/", import.meta.url));

/** Parses text that must fail and returns the error, checked to be the parser's error type. */
export function failure(text: string, options: ParseOptions = {}, source = "exp.yaml"): ExperimentValidationError {
  try {
    parseExperimentText(text, source, options);
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.ok(error instanceof ExperimentValidationError);
    return error;
  }
  assert.fail("expected the experiment to be rejected");
}

export interface ExpectedProblem {
  code: string;
  line: number;
  column: number;
  field?: string;
  message: RegExp;
}

/** The first (or only) problem has this code, position, field and message. */
export function assertProblem(error: ExperimentValidationError, expected: ExpectedProblem): void {
  assert.equal(error.code, expected.code, error.describe());
  assert.deepEqual(error.location, { file: "exp.yaml", line: expected.line, column: expected.column }, error.describe());
  if (expected.field !== undefined) assert.equal(error.field, expected.field);
  assert.match(error.message, expected.message);
}

export function taskOf<K extends TaskSpec["task"]>(experiment: Experiment, index: number, kind: K): Extract<TaskSpec, { task: K }> {
  const entry = experiment.tasks[index];
  assert.ok(entry, `no task ${index}`);
  assert.equal(entry.spec.task, kind);
  return entry.spec as Extract<TaskSpec, { task: K }>;
}

export function http(experiment: Experiment, index = 0): HttpTaskSpec {
  return taskOf(experiment, index, "http");
}

/** `spec:` with one http task whose `with:` lines are given (indented by the caller-free helper). */
export function httpExperiment(...withLines: string[]): string {
  return ["spec:", "  - task: http", "    with:", ...withLines.map((line) => `      ${line}`)].join("\n") + "\n";
}
