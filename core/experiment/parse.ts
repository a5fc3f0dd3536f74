import { readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import { ErrorCode, ValidationError } from "../errors.js";
import { parseCondition } from "./condition.js";
import type { ParseContext } from "./fields.js";
import { Fields, checkString } from "./fields.js";
import { DEFAULT_PARSE_LIMITS } from "./limits.js";
import type { ParseLimits } from "./limits.js";
import { checkMetricRefs } from "./metric-check.js";
import { dropChartWarmupLeftovers } from "./warmup-leftovers.js";
import { TASK_ALIASES, TaskName } from "./model.js";
import type { Condition, Experiment, TaskEntry, TaskSpec } from "./model.js";
import { applyOverrides, canonicalTaskName } from "./overrides.js";
import { Problems, childPath, closest, describeNode, shorten } from "./problems.js";
import { parseAssessTask } from "./tasks/assess.js";
import { parseGrpcTask } from "./tasks/grpc.js";
import { parseHttpTask } from "./tasks/http.js";
import {
  parseCloudEventTask,
  parseCustomMetricsTask,
  parseGithubTask,
  parseK8sPatchTask,
  parseNotifyTask,
  parseReadyTask,
  parseRunTask,
  parseSlackTask,
  runEntry,
} from "./tasks/other.js";
import { parseTrafficTask } from "./tasks/traffic.js";
import type { MapEntry, MapNode, ScalarNode, TreeNode } from "./tree.js";
import { parseYamlTree } from "./tree.js";
import { checkTemplate } from "../template/index.js";

/** Options of parseExperimentFile / parseExperimentText. */
export interface ParseOptions {
  /** `--set key=value` overrides, applied in order to the YAML tree before validation. */
  readonly overrides?: readonly string[];
  /** Directory relative paths (`payloadFile`, ...) are read from. Default: the source file's directory. */
  readonly baseDir?: string;
  /**
   * Hook called for every template field (`payloadTemplate`, `payloadTemplateFile`'s text,
   * k8s-patch `patch`) with its text and field path. Whatever it throws is reported as
   * EXPERIMENT_BAD_TEMPLATE at the field's location. Default: core/template's checkTemplate.
   */
  readonly checkTemplate?: (text: string, field: string) => void;
  /** Parse budgets (document size, nodes, nesting, alias expansion); defaults in DEFAULT_PARSE_LIMITS. */
  readonly limits?: Partial<ParseLimits>;
  /**
   * When set, the only local files (`payloadFile`, `payloadTemplateFile`) this parse may read, as
   * absolute paths; any other is refused (SECRET_NOT_DECLARED at the field) before it is read.
   * The coordinator service passes its declared secret files. Plain data, so it crosses into a
   * parser worker. Default: every file may be read.
   */
  readonly readableFiles?: readonly string[] | undefined;
}

/** Every task name the parser accepts: canonical names, then aliases. */
export const KNOWN_TASK_NAMES: readonly string[] = [...Object.values(TaskName), ...Object.keys(TASK_ALIASES)];

const TOP_LEVEL_FIELDS = ["name", "spec", "metadata", "result"] as const;
const ENTRY_FIELDS = ["task", "run", "if", "with"] as const;

type TaskParser = (ctx: ParseContext, withNode: TreeNode, path: string, what: string) => TaskSpec | undefined;

const TASK_PARSERS: Readonly<Record<TaskName, TaskParser>> = {
  [TaskName.Http]: parseHttpTask,
  [TaskName.Grpc]: parseGrpcTask,
  [TaskName.CustomMetrics]: parseCustomMetricsTask,
  [TaskName.Assess]: parseAssessTask,
  [TaskName.Notify]: parseNotifyTask,
  [TaskName.Slack]: parseSlackTask,
  [TaskName.Github]: parseGithubTask,
  [TaskName.Ready]: parseReadyTask,
  [TaskName.Run]: parseRunTask,
  [TaskName.K8sPatch]: parseK8sPatchTask,
  [TaskName.CloudEvent]: parseCloudEventTask,
  [TaskName.Traffic]: parseTrafficTask,
};

/**
 * Reads and parses an experiment file. Throws a ValidationError: FILE_NOT_FOUND when it cannot be
 * read, otherwise as parseExperimentText.
 */
export async function parseExperimentFile(path: string, options: ParseOptions = {}): Promise<Experiment> {
  let text: string;
  const maxBytes = options.limits?.maxDocumentBytes ?? DEFAULT_PARSE_LIMITS.maxDocumentBytes;
  try {
    const { size } = await stat(path);
    if (size > maxBytes) {
      throw new ValidationError(ErrorCode.TooLarge, `${path}: the document is ${size} bytes, more than the limit of ${maxBytes} bytes`, {
        location: { file: path, line: 1, column: 1 },
      });
    }
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ValidationError(ErrorCode.FileNotFound, `cannot read experiment file ${path}: ${reason}`, { cause: error });
  }
  return parseExperimentText(text, path, options);
}

/**
 * Parses and validates an experiment (Iter8's `spec:` form or a bare task list), applies
 * `--set` overrides and defaults, and returns the normalised model.
 *
 * All problems are collected before anything is thrown: the error is an
 * ExperimentValidationError (a ValidationError) with the first problem's code, field and
 * location, a message listing every problem on its own line with its `file:line:column`, and
 * the structured list in `problems`. YAML syntax errors and bad overrides stop the parse
 * before validation.
 *
 * @param source file path used in messages, for the default name, and as the base directory
 *   of relative paths (unless options.baseDir is given).
 */
export function parseExperimentText(text: string, source: string, options: ParseOptions = {}): Experiment {
  const problems = new Problems();
  const limits: ParseLimits = { ...DEFAULT_PARSE_LIMITS, ...options.limits };
  const ctx: ParseContext = {
    problems,
    baseDir: options.baseDir ?? (isPseudoSource(source) ? process.cwd() : dirname(resolve(source))),
    checkTemplate: options.checkTemplate ?? checkTemplate,
    metricRefs: [],
    fileAccess: fileAccessOf(options.readableFiles),
  };
  const tree = parseYamlTree(text, source, problems, limits);
  problems.throwIfAny();
  const root = tree === undefined ? undefined : normalizeRoot(ctx, tree);
  problems.throwIfAny();
  const top = { file: source, line: 1, column: 1 };
  if (root === undefined) throw new ValidationError(ErrorCode.MissingField, "experiment is empty", { location: top });
  applyOverrides(root.map, options.overrides ?? [], problems, limits);
  problems.throwIfAny();

  const experiment = buildExperiment(ctx, root.map, source, root.bare);
  problems.throwIfAny();
  if (experiment === undefined) throw new ValidationError(ErrorCode.MissingField, "experiment has no valid tasks", { location: top });
  return experiment;
}

function isPseudoSource(source: string): boolean {
  return source.startsWith("<") || source === "";
}

/** A bare task list (Iter8 v0.8) is read as `{spec: <list>}`. */
function normalizeRoot(ctx: ParseContext, tree: TreeNode): { map: MapNode; bare: boolean } | undefined {
  if (tree.kind === "map") return { map: tree, bare: false };
  if (tree.kind === "seq") return { map: { kind: "map", loc: tree.loc, entries: [{ key: "spec", keyLoc: tree.loc, value: tree }] }, bare: true };
  const message = tree.value === null ? "the file is empty; expected a map with spec: (a list of tasks)" : `expected a map with spec: (a list of tasks) or a list of tasks, got ${describeNode(tree)}`;
  ctx.problems.report(tree.value === null ? ErrorCode.MissingField : ErrorCode.WrongType, tree, "", message);
  return undefined;
}

function buildExperiment(ctx: ParseContext, root: MapNode, source: string, bare: boolean): Experiment | undefined {
  const top = Fields.of(ctx, root, "", TOP_LEVEL_FIELDS, bare ? "the experiment" : "the experiment (top level)");
  if (top === undefined) return undefined;
  let name = top.string("name");
  const metadata = top.present("metadata");
  if (metadata !== undefined) {
    const meta = Fields.of(ctx, metadata, "metadata", ["name", "namespace"], "metadata");
    const metaName = meta?.string("name");
    meta?.string("namespace");
    name ??= metaName;
  }
  name ??= defaultName(source);

  const spec = top.list("spec", "a list of tasks");
  if (spec === undefined) {
    if (top.present("spec") === undefined) top.missing("spec", "expected spec: with a list of tasks");
    return undefined;
  }
  if (spec.items.length === 0) {
    ctx.problems.report(ErrorCode.MissingField, spec, "spec", "the task list is empty");
    return undefined;
  }
  const tasks: TaskEntry[] = [];
  spec.items.forEach((item, index) => {
    const task = parseEntry(ctx, item, index);
    if (task !== undefined) tasks.push(task);
  });
  checkBaseline(ctx, spec.items, tasks);
  // Only on an otherwise valid file: a task that failed to parse would make its metrics look unknown.
  return { name, source, tasks: ctx.problems.count === 0 ? checkMetricRefs(ctx, dropChartWarmupLeftovers(tasks)) : tasks };
}

function defaultName(source: string): string {
  if (isPseudoSource(source)) return "experiment";
  const base = basename(source);
  return base.slice(0, base.length - extname(base).length) || base;
}

function parseEntry(ctx: ParseContext, item: TreeNode, index: number): TaskEntry | undefined {
  const path = childPath("spec", index);
  const before = ctx.problems.count;
  const f = Fields.of(ctx, item, path, ENTRY_FIELDS, "a task entry (task, run, if, with)");
  if (f === undefined) return undefined;
  // A misspelt `with` would otherwise also report every required field as missing.
  const misspelt = ctx.problems.count > before && !f.has("with");
  const { condition, conditionText } = parseIf(ctx, f);

  let writtenName: string | undefined;
  let spec: TaskSpec | undefined;
  if (f.has("task") && f.has("run")) {
    f.contradiction("task", "run", "an entry is either a task (task: <name>) or a shell command (run: <command>), not both");
  } else if (f.has("run")) {
    writtenName = TaskName.Run;
    if (f.has("with")) f.contradiction("run", "with", "run: entries take no with: (the command is the value of run:)");
    spec = runEntry(ctx, f.get("run") ?? f.node, f.pathOf("run"));
  } else if (f.has("task")) {
    const taskNode = f.get("task") ?? f.node;
    writtenName = checkString(ctx, taskNode, f.pathOf("task"));
    const canonical = writtenName === undefined ? undefined : canonicalTaskName(writtenName);
    if (writtenName !== undefined && canonical === undefined) {
      const guess = closest(writtenName, KNOWN_TASK_NAMES);
      ctx.problems.report(
        ErrorCode.UnknownTask,
        taskNode,
        f.pathOf("task"),
        `unknown task ${JSON.stringify(shorten(writtenName))}${guess === undefined ? "" : ` (did you mean "${guess}"?)`}; known tasks: ${KNOWN_TASK_NAMES.join(", ")}`,
      );
    }
    if (canonical !== undefined && writtenName !== undefined && !misspelt) {
      const withNode: TreeNode = f.get("with") ?? { kind: "scalar", value: null, loc: f.anchor.loc };
      spec = TASK_PARSERS[canonical](ctx, withNode, f.pathOf("with"), `task "${writtenName}"`);
    }
  } else {
    ctx.problems.report(ErrorCode.MissingField, item, path, "a task entry needs task: <name> or run: <command>");
  }
  if (ctx.problems.count === before && (spec === undefined || writtenName === undefined)) {
    ctx.problems.report(ErrorCode.MissingField, item, path, "this entry could not be read");
  }
  if (ctx.problems.count > before || spec === undefined || writtenName === undefined) return undefined;
  return { index, writtenName, condition, conditionText, spec, location: item.loc };
}

function parseIf(ctx: ParseContext, f: Fields): { condition: Condition | undefined; conditionText: string | undefined } {
  const node = f.present("if");
  if (node === undefined) {
    if (f.has("if")) ctx.problems.report(ErrorCode.BadCondition, f.get("if") ?? f.anchor, f.pathOf("if"), "expected a condition such as SLOs(), got nothing");
    return { condition: undefined, conditionText: undefined };
  }
  const text = checkString(ctx, node, f.pathOf("if"));
  if (text === undefined) return { condition: undefined, conditionText: undefined };
  const scalar = node as ScalarNode;
  const exact = scalar.textOffset !== undefined && scalar.origin === undefined;
  const location = { ...scalar.loc, column: scalar.loc.column + (scalar.textOffset ?? 0) };
  try {
    return { condition: parseCondition(text, { field: f.pathOf("if"), location, exactColumns: exact }), conditionText: text };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const prefix = `${f.pathOf("if")}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    ctx.problems.report(ErrorCode.BadCondition, { loc: error.location ?? location, origin: scalar.origin }, f.pathOf("if"), message);
    return { condition: undefined, conditionText: text };
  }
}

/** `assess.baseline` must name a version of the experiment's http tasks (when it has any). */
function checkBaseline(ctx: ParseContext, items: readonly TreeNode[], tasks: readonly TaskEntry[]): void {
  const versionNames = new Set(tasks.flatMap((task) => (task.spec.task === TaskName.Http ? task.spec.versions.map((v) => v.name) : [])));
  if (versionNames.size === 0) return;
  for (const task of tasks) {
    if (task.spec.task !== TaskName.Assess || task.spec.baseline === undefined || versionNames.has(task.spec.baseline)) continue;
    const item = items[task.index];
    const withNode = item?.kind === "map" ? fieldEntry(item, "with")?.value : undefined;
    const baselineNode = withNode?.kind === "map" ? fieldEntry(withNode, "baseline")?.value : undefined;
    ctx.problems.report(
      ErrorCode.Contradiction,
      baselineNode ?? { loc: task.location },
      `spec[${task.index}].with.baseline`,
      `baseline "${task.spec.baseline}" is not a version of this experiment (versions: ${[...versionNames].join(", ")})`,
    );
  }
}

/** The entry of a field of `map`, whatever the case it is written in (as Fields matches it). */
function fieldEntry(map: MapNode, field: string): MapEntry | undefined {
  return map.entries.find((candidate) => candidate.key.toLowerCase() === field.toLowerCase());
}

function fileAccessOf(readable: readonly string[] | undefined): ((fullPath: string) => string | undefined) | undefined {
  if (readable === undefined) return undefined;
  const allowed = new Set(readable.map((path) => resolve(path)));
  const listed = readable.length === 0 ? "none are declared" : `declared: ${readable.join(", ")}`;
  return (fullPath) => (allowed.has(fullPath) ? undefined : `the coordinator service reads no file ${fullPath}: it is not one of its secret sources (${listed})`);
}
