/**
 * The last lines a `run` task's command printed (its detail keeps the end of stdout and stderr),
 * for the text report: what a person reads first when a command failed or said something.
 */
import type { TaskResult } from "../../core/index.js";

/** Lines of each stream shown. */
export const RUN_OUTPUT_LINES = 5;

function lastLines(text: unknown, count: number): string[] {
  if (typeof text !== "string") return [];
  const lines = text.replace(/\s+$/, "").split("\n");
  return lines.length === 1 && lines[0] === "" ? [] : lines.slice(-count);
}

/** `task 3 (run) output:` then up to RUN_OUTPUT_LINES of stdout and of stderr; [] when silent. */
export function runOutputLines(task: TaskResult, count = RUN_OUTPUT_LINES): string[] {
  if (task.task !== "run" || !task.detail) return [];
  const stdout = lastLines(task.detail["stdout"], count);
  const stderr = lastLines(task.detail["stderr"], count);
  if (stdout.length === 0 && stderr.length === 0) return [];
  return [
    `  task ${task.index + 1} (run) output, last lines:`,
    ...stdout.map((line) => `    stdout | ${line}`),
    ...stderr.map((line) => `    stderr | ${line}`),
  ];
}
