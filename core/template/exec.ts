/** Executes a parsed template against JSON-shaped data. No eval, no access to prototypes. */
import { isAssayError } from "../errors.js";
import { templateError } from "./errors.js";
import { FUNCTIONS, describeType, isTruthy, printValue } from "./funcs.js";
import type { Command, Node, Operand, Pipeline } from "./parse.js";

type Flow = "normal" | "break" | "continue";

interface State {
  readonly source: string;
  readonly out: string[];
  readonly vars: Array<[string, unknown]>;
}

export function execute(source: string, nodes: readonly Node[], data: unknown): string {
  const state: State = { source, out: [], vars: [["$", data]] };
  executeList(state, nodes, data);
  return state.out.join("");
}

function executeList(state: State, nodes: readonly Node[], dot: unknown): Flow {
  for (const node of nodes) {
    const flow = executeNode(state, node, dot);
    if (flow !== "normal") return flow;
  }
  return "normal";
}

function executeNode(state: State, node: Node, dot: unknown): Flow {
  switch (node.kind) {
    case "text":
      state.out.push(node.value);
      return "normal";
    case "action": {
      const value = evalPipeline(state, node.pipeline, dot);
      if (node.pipeline.variables.length === 0) state.out.push(printValue(value));
      return "normal";
    }
    case "if":
    case "with": {
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
      return executeRange(state, node, dot);
    case "break":
    case "continue":
      return node.kind;
  }
}

function executeRange(state: State, node: Extract<Node, { kind: "range" }>, dot: unknown): Flow {
  const mark = state.vars.length;
  try {
    const value = evalPipeline(state, node.pipeline, dot, true);
    const entries = rangeEntries(state, node, value);
    if (entries.length === 0) return node.otherwise ? executeList(state, node.otherwise, dot) : "normal";
    const [first, second] = node.pipeline.variables;
    for (const [key, element] of entries) {
      const inner = state.vars.length;
      if (second !== undefined && first !== undefined) {
        assignVariable(state, first, key, node.pipeline.isAssign);
        assignVariable(state, second, element, node.pipeline.isAssign);
      } else if (first !== undefined) {
        assignVariable(state, first, element, node.pipeline.isAssign);
      }
      const flow = executeList(state, node.body, element);
      state.vars.length = node.pipeline.isAssign ? state.vars.length : inner;
      if (flow === "break") break;
    }
    return "normal";
  } finally {
    state.vars.length = mark;
  }
}

function rangeEntries(state: State, node: Extract<Node, { kind: "range" }>, value: unknown): Array<[unknown, unknown]> {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map((element, index) => [index, element]);
  if (typeof value === "number" && Number.isInteger(value)) {
    if (node.pipeline.variables.length > 1) throw templateError(state.source, node.pos, "can't use two variables in range over an integer");
    return Array.from({ length: Math.max(0, value) }, (_unused, index) => [index, index]);
  }
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    return Object.keys(record)
      .sort()
      .map((key) => [key, record[key]]);
  }
  throw templateError(state.source, node.pos, `range can't iterate over ${printValue(value)}`);
}

function assignVariable(state: State, name: string, value: unknown, isAssign: boolean): void {
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

function evalPipeline(state: State, pipeline: Pipeline, dot: unknown, isRange = false): unknown {
  let value: unknown = undefined;
  let first = true;
  for (const command of pipeline.commands) {
    value = evalCommand(state, command, dot, first ? undefined : { value });
    first = false;
  }
  if (!isRange) {
    for (const name of pipeline.variables) assignVariable(state, name, value, pipeline.isAssign);
  }
  return value;
}

function evalCommand(state: State, command: Command, dot: unknown, piped: { value: unknown } | undefined): unknown {
  const [head, ...rest] = command.args;
  if (head === undefined) throw templateError(state.source, command.pos, "empty command");
  if (head.kind !== "function") {
    if (rest.length > 0 || piped) {
      throw templateError(state.source, head.pos, `can't give argument to non-function ${describeOperand(head)}`);
    }
    return evalOperand(state, head, dot);
  }
  try {
    if (head.name === "and" || head.name === "or") return evalLogical(state, head.name, rest, dot, piped);
    const args = rest.map((operand) => evalOperand(state, operand, dot));
    if (piped) args.push(piped.value);
    const fn = FUNCTIONS[head.name];
    if (!fn) throw templateError(state.source, head.pos, `function "${head.name}" not defined`);
    return fn(...args);
  } catch (error) {
    if (isAssayError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw templateError(state.source, head.pos, `error calling ${head.name}: ${message}`, error);
  }
}

function evalLogical(state: State, name: "and" | "or", operands: readonly Operand[], dot: unknown, piped: { value: unknown } | undefined): unknown {
  const count = operands.length + (piped ? 1 : 0);
  if (count === 0) throw templateError(state.source, operands[0]?.pos ?? 0, `wrong number of args for ${name}: want at least 1 got 0`);
  let value: unknown = undefined;
  for (let i = 0; i < count; i++) {
    const operand = operands[i];
    value = operand ? evalOperand(state, operand, dot) : piped?.value;
    if (isTruthy(value) === (name === "or")) return value;
  }
  return value;
}

function evalOperand(state: State, operand: Operand, dot: unknown): unknown {
  switch (operand.kind) {
    case "dot":
      return dot;
    case "literal":
      return operand.value;
    case "field":
      return walk(state, dot, operand.path, operand.pos);
    case "variable":
      return walk(state, lookupVariable(state, operand.name, operand.pos), operand.path, operand.pos);
    case "function": {
      const fn = FUNCTIONS[operand.name];
      if (!fn) throw templateError(state.source, operand.pos, `function "${operand.name}" not defined`);
      try {
        return fn();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw templateError(state.source, operand.pos, `error calling ${operand.name}: ${message}`, error);
      }
    }
    case "pipeline":
      return walk(state, evalPipeline(state, operand.pipeline, dot), operand.path, operand.pos);
  }
}

function lookupVariable(state: State, name: string, pos: number): unknown {
  for (let i = state.vars.length - 1; i >= 0; i--) {
    const entry = state.vars[i];
    if (entry && entry[0] === name) return entry[1];
  }
  throw templateError(state.source, pos, `undefined variable "${name}"`);
}

/**
 * Field lookup: the name exactly, then with its first letter lower-cased (Go templates use
 * exported names like `.Result`, our JSON is camelCase). Missing fields, at any depth, are nil.
 */
function walk(state: State, start: unknown, path: readonly string[], pos: number): unknown {
  let current = start;
  for (const name of path) {
    if (current === null || current === undefined) return null;
    if (typeof current !== "object" || Array.isArray(current)) {
      throw templateError(state.source, pos, `can't evaluate field ${name} in type ${describeType(current)}`);
    }
    const record = current as Record<string, unknown>;
    if (Object.hasOwn(record, name)) current = record[name];
    else {
      const lowered = name.charAt(0).toLowerCase() + name.slice(1);
      current = Object.hasOwn(record, lowered) ? record[lowered] : null;
    }
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
