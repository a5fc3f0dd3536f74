import { readFile } from "node:fs/promises";
import type { ResultDocument } from "../../core/index.js";
import { parse as parseYaml } from "yaml";
import { ErrorCode, RESULT_SCHEMA_VERSION, ValidationError } from "../../core/index.js";
import { isIter8Experiment, iter8ExperimentResult } from "./iter8-result.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** What is wrong with a parsed result document, or undefined when its basics hold. */
export function resultProblem(document: unknown): string | undefined {
  if (!isRecord(document)) return "it is not a JSON object";
  if (typeof document["schemaVersion"] !== "number") return "schemaVersion is missing or not a number";
  if (typeof document["name"] !== "string") return "name is missing or not a string";
  if (typeof document["completed"] !== "boolean") return "completed is missing or not true/false";
  if (document["schemaVersion"] > RESULT_SCHEMA_VERSION) {
    return `schemaVersion ${document["schemaVersion"]} is newer than this assay reads (${RESULT_SCHEMA_VERSION})`;
  }
  const versions = document["versions"];
  if (versions !== undefined && (!Array.isArray(versions) || !versions.every((v) => typeof v === "string"))) {
    return "versions is not a list of names";
  }
  const metrics = document["metrics"];
  if (!isRecord(metrics)) return "metrics is missing or not an object";
  for (const [version, values] of Object.entries(metrics)) {
    if (!isRecord(values)) return `metrics.${version} is not an object`;
    for (const [name, value] of Object.entries(values)) {
      if (typeof value !== "number") return `metrics.${version}["${name}"] is not a number`;
    }
  }
  const tasks = document["tasks"];
  if (!Array.isArray(tasks)) return "tasks is missing or not a list";
  for (const [i, task] of tasks.entries()) {
    if (!isRecord(task) || typeof task["task"] !== "string" || typeof task["status"] !== "string") {
      return `tasks[${i}] needs a task name and a status`;
    }
  }
  if (document["slos"] !== undefined && !Array.isArray(document["slos"])) return "slos is not a list";
  return undefined;
}

/**
 * Fills the fields that older or hand-written documents may lack (defaults that change no
 * meaning), so renderers can rely on the ResultDocument shape.
 */
function withDefaults(document: Record<string, unknown>, path: string): ResultDocument {
  const tasks = document["tasks"] as Record<string, unknown>[];
  return {
    failure: null,
    incomplete: false,
    startTime: "",
    metricsInfo: {},
    slos: [],
    histograms: {},
    source: path,
    ...document,
    versions: Array.isArray(document["versions"]) ? document["versions"] : Object.keys(document["metrics"] as object),
    numCompletedTasks:
      typeof document["numCompletedTasks"] === "number"
        ? document["numCompletedTasks"]
        : tasks.filter((t) => t["status"] === "completed" || t["status"] === "skipped").length,
    tasks: tasks.map((task, index) => ({ index, ...task })),
  } as unknown as ResultDocument;
}

function parseYamlQuietly(text: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 }) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads and checks a stored result document (`--out FILE`). Throws ValidationError
 * FILE_NOT_FOUND when the file is missing, RESULT_FILE_INVALID naming the file and the problem
 * when it is not JSON or lacks the basics (schemaVersion, name, completed, versions, metrics, tasks).
 * An Iter8 experiment.yaml with a `result:` section is read as Iter8's assert reads it (iter8-result.ts).
 */
export async function readResultFile(path: string): Promise<ResultDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ValidationError(ErrorCode.FileNotFound, `${path}: no such result file`, {
        cause: error,
        suggestion: "store one with `assay run FILE --out result.json`",
      });
    }
    throw new ValidationError(ErrorCode.BadResultFile, `${path}: cannot read the result file (${code ?? String(error)})`, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // Iter8's experiment.yaml (with its result: section) is YAML.
    const yaml = parseYamlQuietly(text);
    if (isIter8Experiment(yaml)) return iter8ExperimentResult(yaml, path);
    throw new ValidationError(ErrorCode.BadResultFile, `${path}: not a result document: ${(error as Error).message}`, { cause: error });
  }
  if (isIter8Experiment(document) && (document as Record<string, unknown>)["schemaVersion"] === undefined) return iter8ExperimentResult(document, path);
  const problem = resultProblem(document);
  if (problem !== undefined) {
    throw new ValidationError(ErrorCode.BadResultFile, `${path}: not a result document: ${problem}`);
  }
  return withDefaults(document as Record<string, unknown>, path);
}
