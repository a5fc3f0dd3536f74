/**
 * Executes parsed templates against JSON-shaped data, within a budget of evaluation steps, output
 * bytes, wall time and call depth (TemplateLimits): a runaway template fails with a
 * TemplateBudgetError in at most its time limit instead of blocking the process. No eval, no
 * access to prototypes; `range` over an integer counts without allocating.
 */
import { isAssayError } from "../errors.js";
import { SizeExceeded, TemplateBudgetError, TemplateLimit, templateError } from "./errors.js";
import type { Meter, TemplateLimits, TemplateSource } from "./errors.js";
import { FunctionError, FUNCTIONS, lookupFunction } from "./funcs.js";
import { printValue } from "./fmt.js";
import { lex } from "./lex.js";
import { parse } from "./parse.js";
import type { Command, Node, Operand, Pipeline, Tree } from "./parse.js";
import { TemplateStruct, compareStrings, fieldOf, isTruthy, typeOf } from "./values.js";

type Flow = "normal" | "break" | "continue";

/** Names the executor evaluates itself (lazily, or with access to the template set). */
export const ENGINE_FUNCTIONS: ReadonlySet<string> = new Set(["and", "or", "include", "tpl"]);

export function isFunctionName(name: string): boolean {
  return ENGINE_FUNCTIONS.has(name) || Object.hasOwn(FUNCTIONS, name);
}

/** What one execution used (RenderOptions.onStats). */
export interface TemplateStats {
  readonly steps: number;
  readonly outputBytes: number;
  readonly elapsedMs: number;
  /** Deepest nesting of template calls reached. */
  readonly maxDepth: number;
}

export interface ExecOptions {
  readonly limits: TemplateLimits;
  readonly onStats?: ((stats: TemplateStats) => void) | undefined;
  /** What a nil value prints as at the top of an action (Go prints `<no value>`, Helm ""). */
  readonly noValue: string;
}

/** How often (in steps) the wall clock is read. */
const CLOCK_EVERY = 512;
/** A function that builds a string pays one step per this many characters. */
const CHARS_PER_STEP = 64;

class Output {
  parts: string[] = [];
  length = 0;
}

class Execution implements Meter {
  steps = 0;
  depth = 0;
  maxDepthReached = 0;
  readonly startedMs = performance.now();
  source: TemplateSource;
  pos = 0;
  out = new Output();
  vars: Array<[string, unknown]> = [];
  private readonly deadline: number;
  private nextClock = CLOCK_EVERY;
  readonly maxBytes: number;

  constructor(
    readonly options: ExecOptions,
    public templates: ReadonlyMap<string, Tree>,
    main: Tree,
  ) {
    this.source = main.source;
    this.maxBytes = options.limits.maxOutputBytes;
    this.deadline = this.startedMs + options.limits.timeoutMs;
  }

  charge(steps: number): void {
    this.steps += steps;
    if (this.steps > this.options.limits.maxSteps) throw this.budget(TemplateLimit.Steps);
    if (this.steps >= this.nextClock) {
      this.nextClock = this.steps + CLOCK_EVERY;
      if (performance.now() > this.deadline) throw this.budget(TemplateLimit.Time);
    }
  }

  budget(limit: TemplateLimit, cause?: unknown): TemplateBudgetError {
    return new TemplateBudgetError(limit, this.options.limits, this.source, this.pos, cause === undefined ? {} : { cause });
  }

  write(text: string): void {
    const out = this.out;
    out.length += text.length;
    if (out.length > this.maxBytes) throw this.budget(TemplateLimit.Output);
    out.parts.push(text);
  }

  error(pos: number, message: string, cause?: unknown): Error {
    return templateError(this.source, pos, message, cause);
  }
}

/** Runs `main` with `data` as dot and `$`; `templates` are the defined templates it may call. */
export function execute(main: Tree, templates: ReadonlyMap<string, Tree>, data: unknown, options: ExecOptions): string {
  const state = new Execution(options, templates, main);
  try {
    runTree(state, main, data);
  } catch (error) {
    throw normalizeError(state, error);
  }
  const output = state.out.parts.join("");
  options.onStats?.({ steps: state.steps, outputBytes: output.length, elapsedMs: performance.now() - state.startedMs, maxDepth: state.maxDepthReached });
  return output;
}

function normalizeError(state: Execution, error: unknown): unknown {
  if (isAssayError(error)) return error;
  if (error instanceof SizeExceeded) return state.budget(TemplateLimit.Output, error);
  if (error instanceof RangeError && /call stack/i.test(error.message)) return state.budget(TemplateLimit.Depth, error);
  const message = error instanceof Error ? error.message : String(error);
  return state.error(state.pos, `internal error: ${message}`, error);
}

/** Executes a tree with a fresh variable scope (`$` = data), as Go does for each template call. */
function runTree(state: Execution, tree: Tree, data: unknown): void {
  const savedVars = state.vars;
  const savedSource = state.source;
  state.vars = [["$", data]];
  state.source = tree.source;
  try {
    executeList(state, tree.nodes, data);
  } finally {
    state.vars = savedVars;
    state.source = savedSource;
  }
}

/** Calls a defined template (template action, include, tpl) one level deeper. */
function callTree(state: Execution, tree: Tree, data: unknown, pos: number): void {
  if (state.depth >= state.options.limits.maxDepth) {
    state.pos = pos;
    throw state.budget(TemplateLimit.Depth);
  }
  state.depth++;
  if (state.depth > state.maxDepthReached) state.maxDepthReached = state.depth;
  try {
    runTree(state, tree, data);
  } finally {
    state.depth--;
  }
}

/** Runs `fn` writing into a fresh output and returns what it wrote. */
function capture(state: Execution, fn: () => void): string {
  const saved = state.out;
  state.out = new Output();
  try {
    fn();
    return state.out.parts.join("");
  } finally {
    state.out = saved;
  }
}

function executeList(state: Execution, nodes: readonly Node[], dot: unknown): Flow {
  for (const node of nodes) {
    const flow = executeNode(state, node, dot);
    if (flow !== "normal") return flow;
  }
  return "normal";
}

function executeNode(state: Execution, node: Node, dot: unknown): Flow {
  state.charge(1);
  switch (node.kind) {
    case "text":
      state.write(node.value);
      return "normal";
    case "action": {
      state.pos = node.pos;
      const value = evalPipeline(state, node.pipeline, dot);
      if (node.pipeline.variables.length === 0) state.write(printTop(state, value));
      return "normal";
    }
    case "if":
    case "with": {
      state.pos = node.pos;
      const mark = state.vars.length;
      try {
        const value = evalPipeline(state, node.pipeline, dot);
        if (isTruthy(value)) return executeList(state, node.body, node.kind === "with" ? value : dot);
        return node.otherwise ? executeList(state, node.otherwise, dot) : "normal";
      } finally {
        state.vars.length = mark;
      }
    }
    case "range":
      state.pos = node.pos;
      return executeRange(state, node, dot);
    case "template": {
      state.pos = node.pos;
      const data = node.pipeline ? evalPipeline(state, node.pipeline, dot) : null;
      const tree = state.templates.get(node.name);
      if (tree === undefined) throw state.error(node.pos, `no such template "${node.name}"`);
      callTree(state, tree, data, node.pos);
      return "normal";
    }
    case "break":
    case "continue":
      return node.kind;
  }
}

function printTop(state: Execution, value: unknown): string {
  if (value === null || value === undefined) return state.options.noValue;
  if (typeof value === "string") return value;
  const text = printValue(value, state.maxBytes);
  state.charge(Math.floor(text.length / CHARS_PER_STEP));
  return text;
}

type RangeNode = Extract<Node, { kind: "range" }>;

function executeRange(state: Execution, node: RangeNode, dot: unknown): Flow {
  const mark = state.vars.length;
  try {
    const value = evalPipeline(state, node.pipeline, dot, true);
    const [first, second] = node.pipeline.variables;
    let iterations = 0;
    const iterate = (key: unknown, element: unknown): boolean => {
      state.charge(1);
      iterations++;
      const inner = state.vars.length;
      if (second !== undefined && first !== undefined) {
        assignVariable(state, first, key, node.pipeline.isAssign);
        assignVariable(state, second, element, node.pipeline.isAssign);
      } else if (first !== undefined) {
        assignVariable(state, first, element, node.pipeline.isAssign);
      }
      const flow = executeList(state, node.body, element);
      if (!node.pipeline.isAssign) state.vars.length = inner;
      return flow === "break";
    };
    if (value === null || value === undefined) {
      // nothing to iterate
    } else if (Array.isArray(value)) {
      const list: readonly unknown[] = value;
      const length = list.length;
      for (let i = 0; i < length; i++) if (iterate(i, list[i])) break;
    } else if (typeof value === "number") {
      if (!Number.isInteger(value)) throw state.error(node.pos, `range can't iterate over ${printValue(value)}`);
      if (second !== undefined) throw state.error(node.pos, "can't use two variables in range over an integer");
      for (let i = 0; i < value; i++) if (iterate(i, i)) break;
    } else if (value instanceof TemplateStruct || typeof value !== "object") {
      throw state.error(node.pos, `range can't iterate over ${printValue(value, 200)}`);
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      state.charge(keys.length);
      keys.sort(compareStrings);
      for (const key of keys) if (iterate(key, record[key])) break;
    }
    if (iterations === 0 && node.otherwise) return executeList(state, node.otherwise, dot);
    return "normal";
  } finally {
    state.vars.length = mark;
  }
}

function assignVariable(state: Execution, name: string, value: unknown, isAssign: boolean): void {
  if (isAssign) {
    for (let i = state.vars.length - 1; i >= 0; i--) {
      const entry = state.vars[i];
      if (entry && entry[0] === name) {
        entry[1] = value;
        return;
      }
    }
  }
  state.vars.push([name, value]);
}

function evalPipeline(state: Execution, pipeline: Pipeline, dot: unknown, isRange = false): unknown {
  let value: unknown = undefined;
  let first = true;
  for (const command of pipeline.commands) {
    state.charge(1);
    value = evalCommand(state, command, dot, first ? undefined : { value });
    first = false;
  }
  if (!isRange) {
    for (const name of pipeline.variables) assignVariable(state, name, value, pipeline.isAssign);
  }
  return value;
}

function evalCommand(state: Execution, command: Command, dot: unknown, piped: { value: unknown } | undefined): unknown {
  const [head, ...rest] = command.args;
  if (head === undefined) throw state.error(command.pos, "empty command");
  if (head.kind !== "function") {
    if (rest.length > 0 || piped) throw state.error(head.pos, `can't give argument to non-function ${describeOperand(head)}`);
    if (head.kind === "literal" && head.value === null) throw state.error(head.pos, "nil is not a command");
    return evalOperand(state, head, dot);
  }
  return callFunction(state, head.name, head.pos, rest, dot, piped);
}

function callFunction(state: Execution, name: string, pos: number, operands: readonly Operand[], dot: unknown, piped: { value: unknown } | undefined): unknown {
  try {
    if (name === "and" || name === "or") return evalLogical(state, name, pos, operands, dot, piped);
    const args = operands.map((operand) => evalOperand(state, operand, dot));
    if (piped) args.push(piped.value);
    state.pos = pos;
    if (name === "include") return include(state, pos, args);
    if (name === "tpl") return tpl(state, pos, args);
    const fn = lookupFunction(name);
    if (!fn) throw state.error(pos, `function "${name}" not defined`);
    const result = fn(args, state);
    if (typeof result === "string" && result.length >= CHARS_PER_STEP) {
      if (result.length > state.maxBytes) throw new SizeExceeded();
      state.charge(Math.floor(result.length / CHARS_PER_STEP));
    }
    return result;
  } catch (error) {
    if (isAssayError(error) || !(error instanceof FunctionError)) throw error;
    throw state.error(pos, `error calling ${name}: ${error.message}`, error);
  }
}

function evalLogical(state: Execution, name: "and" | "or", pos: number, operands: readonly Operand[], dot: unknown, piped: { value: unknown } | undefined): unknown {
  const count = operands.length + (piped ? 1 : 0);
  if (count === 0) throw state.error(pos, `wrong number of args for ${name}: want at least 1 got 0`);
  let value: unknown = undefined;
  for (let i = 0; i < count; i++) {
    const operand = operands[i];
    value = operand ? evalOperand(state, operand, dot) : piped?.value;
    if (isTruthy(value) === (name === "or")) return value;
  }
  return value;
}

/** Helm's include: renders a defined template into a string. */
function include(state: Execution, pos: number, args: unknown[]): string {
  if (args.length !== 2) throw new FunctionError(`wrong number of args for include: want 2 got ${args.length}`);
  const [name, data] = args;
  if (typeof name !== "string") throw new FunctionError(`template name must be a string, got ${typeOf(name)}`);
  const tree = state.templates.get(name);
  if (tree === undefined) throw new FunctionError(`no such template "${name}"`);
  return capture(state, () => callTree(state, tree, data, pos));
}

/** Helm's tpl: parses a string as a template (seeing the defined templates) and renders it. */
function tpl(state: Execution, pos: number, args: unknown[]): string {
  if (args.length !== 2) throw new FunctionError(`wrong number of args for tpl: want 2 got ${args.length}`);
  const [text, data] = args;
  if (typeof text !== "string") throw new FunctionError(`tpl: template must be a string, got ${typeOf(text)}`);
  state.charge(1 + Math.floor(text.length / 16));
  const source: TemplateSource = { name: `${state.source.name}:tpl`, text };
  const parsed = parse(source, lex(source), isFunctionName);
  let templates = state.templates;
  if (parsed.defines.length > 0) {
    state.charge(templates.size);
    templates = defineAll(new Map(templates), parsed.defines);
  }
  const saved = state.templates;
  state.templates = templates;
  try {
    return capture(state, () => callTree(state, parsed.main, data, pos));
  } finally {
    state.templates = saved;
  }
}

/** Adds trees to a template map; a later definition wins unless it is empty and the earlier one is not (Go). */
export function defineAll(into: Map<string, Tree>, trees: readonly Tree[]): Map<string, Tree> {
  for (const tree of trees) {
    const existing = into.get(tree.name);
    if (existing !== undefined && tree.empty && !existing.empty) continue;
    into.set(tree.name, tree);
  }
  return into;
}

function evalOperand(state: Execution, operand: Operand, dot: unknown): unknown {
  switch (operand.kind) {
    case "dot":
      return dot;
    case "literal":
      return operand.value;
    case "field":
      return walk(state, dot, operand.path, operand.pos);
    case "variable":
      return walk(state, lookupVariable(state, operand.name, operand.pos), operand.path, operand.pos);
    case "function":
      return callFunction(state, operand.name, operand.pos, [], dot, undefined);
    case "pipeline":
      return walk(state, evalPipeline(state, operand.pipeline, dot), operand.path, operand.pos);
  }
}

function lookupVariable(state: Execution, name: string, pos: number): unknown {
  for (let i = state.vars.length - 1; i >= 0; i--) {
    const entry = state.vars[i];
    if (entry && entry[0] === name) return entry[1];
  }
  throw state.error(pos, `undefined variable "${name}"`);
}

/**
 * Field lookup on maps and structs: the name exactly, then with its first letter lower-cased (Go
 * templates use exported names like `.Result`, our JSON is camelCase). Missing fields, at any
 * depth, are nil.
 */
function walk(state: Execution, start: unknown, path: readonly string[], pos: number): unknown {
  let current = start;
  for (const name of path) {
    if (current === null || current === undefined) return null;
    if (typeof current !== "object" || Array.isArray(current)) {
      throw state.error(pos, `can't evaluate field ${name} in type ${typeOf(current)}`);
    }
    current = fieldOf(current as Record<string, unknown> | TemplateStruct, name).value;
  }
  return current;
}

function describeOperand(operand: Operand): string {
  switch (operand.kind) {
    case "field":
      return `.${operand.path.join(".")}`;
    case "variable":
      return operand.name + operand.path.map((name) => `.${name}`).join("");
    case "literal":
      return JSON.stringify(operand.value);
    default:
      return operand.kind;
  }
}
