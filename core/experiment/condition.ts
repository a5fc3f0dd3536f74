import { ErrorCode, ValidationError } from "../errors.js";
import type { SourceLocation } from "../errors.js";
import type { Condition, ConditionContext, ConditionFunction } from "./model.js";
import { CONDITION_LIMITS } from "./limits.js";
import { closest } from "./problems.js";

/** Where an `if:` expression sits in its file, for error messages. */
export interface ConditionWhere {
  /** e.g. `spec[2].if`. */
  readonly field: string;
  /** Position of the expression's first character. */
  readonly location: SourceLocation;
  /**
   * True when the expression is on one line starting at `location`, so an error can point at the
   * offending token's own column. Otherwise errors point at `location`.
   */
  readonly exactColumns?: boolean;
}

const FUNCTIONS: readonly ConditionFunction[] = ["SLOs", "WinnerFound", "Winner", "CandidateWon"];
const KNOWN_NAMES = [...FUNCTIONS.map((fn) => `${fn}()`), "NumLoops", "Result.<field>"];
const COMPARE_OPS = ["==", "!=", "<=", ">=", "<", ">"] as const;
type CompareOp = (typeof COMPARE_OPS)[number];

type Token =
  | { readonly type: "ident"; readonly text: string; readonly offset: number }
  | { readonly type: "string"; readonly value: string; readonly text: string; readonly offset: number }
  | { readonly type: "number"; readonly value: number; readonly text: string; readonly offset: number }
  | { readonly type: "punct"; readonly text: string; readonly offset: number }
  | { readonly type: "end"; readonly text: ""; readonly offset: number };

class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly hint = "",
  ) {
    super(message);
  }
}

/**
 * Parses an `if:` expression (grammar on the Condition type in model.ts). Throws a ValidationError
 * with code EXPERIMENT_BAD_CONDITION, pointing at the offending token when it can.
 */
export function parseCondition(text: string, where?: ConditionWhere): Condition {
  try {
    if (text.length > CONDITION_LIMITS.maxLength) {
      throw new ConditionSyntaxError(`the expression is ${text.length} characters long, more than the limit of ${CONDITION_LIMITS.maxLength}`, 0);
    }
    const parser = new Parser(tokenize(text));
    return parser.parseAll();
  } catch (error) {
    if (!(error instanceof ConditionSyntaxError)) throw error;
    const field = where?.field ?? "if";
    const location = where
      ? { ...where.location, column: where.location.column + (where.exactColumns ? error.offset : 0) }
      : undefined;
    const quoted = text.length > 200 ? `${JSON.stringify(text.slice(0, 200))}...` : JSON.stringify(text);
    const message = `${field}: ${error.message} in ${quoted}${error.hint}`;
    return throwBad(message, field, location, error);
  }
}

function throwBad(message: string, field: string, location: SourceLocation | undefined, cause: unknown): never {
  throw new ValidationError(ErrorCode.BadCondition, message, location === undefined ? { field, cause } : { field, location, cause });
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident) {
      tokens.push({ type: "ident", text: ident[0], offset: i });
      i += ident[0].length;
      continue;
    }
    const number = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
    if (number) {
      tokens.push({ type: "number", value: Number(number[0]), text: number[0], offset: i });
      i += number[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ type: "string", value, text: text.slice(i, end), offset: i });
      i = end;
      continue;
    }
    const punct = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", ".", "[", "]"].find((p) => rest.startsWith(p));
    if (punct === undefined) throw new ConditionSyntaxError(`unexpected character ${JSON.stringify(ch)}`, i);
    tokens.push({ type: "punct", text: punct, offset: i });
    i += punct.length;
  }
  tokens.push({ type: "end", text: "", offset: text.length });
  return tokens;
}

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text.charAt(start);
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === quote) return { value, end: i + 1 };
    if (ch === "\\" && i + 1 < text.length) {
      const next = text.charAt(i + 1);
      value += next === "n" ? "\n" : next === "t" ? "\t" : next;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  throw new ConditionSyntaxError("unterminated string", start);
}

class Parser {
  private position = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseAll(): Condition {
    if (this.peek().type === "end") throw new ConditionSyntaxError("empty expression", 0);
    const condition = this.parseOr();
    const next = this.peek();
    if (next.type !== "end") throw new ConditionSyntaxError(`unexpected ${describeToken(next)}`, next.offset);
    return condition;
  }

  private peek(): Token {
    return this.tokens[this.position] ?? { type: "end", text: "", offset: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== "end") this.position++;
    return token;
  }

  private isWord(token: Token, ...words: string[]): boolean {
    return (token.type === "ident" || token.type === "punct") && words.includes(token.text);
  }

  private expectPunct(text: string, context: string): Token {
    const token = this.next();
    if (token.type !== "punct" || token.text !== text) {
      throw new ConditionSyntaxError(`expected "${text}" ${context}, found ${describeToken(token)}`, token.offset);
    }
    return token;
  }

  private parseOr(): Condition {
    let left = this.parseAnd();
    while (this.isWord(this.peek(), "or", "||")) {
      this.next();
      left = { kind: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Condition {
    let left = this.parseUnary();
    while (this.isWord(this.peek(), "and", "&&")) {
      this.next();
      left = { kind: "and", left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Condition {
    if (this.isWord(this.peek(), "not", "!")) {
      const token = this.next();
      return { kind: "not", operand: this.nested(token, () => this.parseUnary()) };
    }
    return this.parseCompare();
  }

  /** Parses a nested part (after `not`, inside parentheses) within CONDITION_LIMITS.maxDepth. */
  private nested<T>(token: Token, parse: () => T): T {
    if (++this.depth > CONDITION_LIMITS.maxDepth) throw new ConditionSyntaxError(`nested more than ${CONDITION_LIMITS.maxDepth} levels deep (the limit)`, token.offset);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private parseCompare(): Condition {
    const left = this.parseOperand();
    const token = this.peek();
    if (token.type === "punct" && (COMPARE_OPS as readonly string[]).includes(token.text)) {
      this.next();
      const right = this.parseOperand();
      return { kind: "compare", op: token.text as CompareOp, left, right };
    }
    return left;
  }

  private parseOperand(): Condition {
    const token = this.next();
    switch (token.type) {
      case "string":
        return { kind: "literal", value: token.value };
      case "number":
        return { kind: "literal", value: token.value };
      case "end":
        throw new ConditionSyntaxError("expression ends too early", token.offset);
      case "punct":
        if (token.text === "(") {
          const inner = this.nested(token, () => this.parseOr());
          this.expectPunct(")", "to close the parenthesis");
          return inner;
        }
        throw new ConditionSyntaxError(`unexpected ${describeToken(token)}`, token.offset);
      case "ident":
        return this.parseName(token);
    }
  }

  private parseName(token: Token & { type: "ident" }): Condition {
    const name = token.text;
    if (name === "true" || name === "false") return { kind: "literal", value: name === "true" };
    if (name === "null" || name === "nil") return { kind: "literal", value: null };
    if (["and", "or", "not"].includes(name)) throw new ConditionSyntaxError(`unexpected "${name}"`, token.offset);
    if (name === "Result") return this.parseResultPath(token);
    // Iter8's loop counter: the loop now running (result.numLoops).
    if (name === "NumLoops") return { kind: "field", path: ["numLoops"] };
    const after = this.peek();
    const isCall = after.type === "punct" && after.text === "(";
    if ((FUNCTIONS as readonly string[]).includes(name)) {
      if (!isCall) throw new ConditionSyntaxError(`${name} is a function: write ${name}()`, token.offset);
      this.next();
      this.expectPunct(")", `after ${name}( (it takes no arguments)`);
      return { kind: "call", fn: name as ConditionFunction };
    }
    const guess = closest(isCall ? `${name}()` : name, KNOWN_NAMES);
    const hint = guess === undefined ? `; known: ${KNOWN_NAMES.join(", ")}` : ` (did you mean ${guess}?)`;
    throw new ConditionSyntaxError(`unknown ${isCall ? "function" : "name"} "${name}"`, token.offset, hint);
  }

  private parseResultPath(start: Token): Condition {
    const path: string[] = [];
    for (;;) {
      const token = this.peek();
      if (token.type === "punct" && token.text === ".") {
        this.next();
        const segment = this.next();
        if (segment.type !== "ident") throw new ConditionSyntaxError(`expected a field name after ".", found ${describeToken(segment)}`, segment.offset);
        path.push(segment.text);
      } else if (token.type === "punct" && token.text === "[") {
        this.next();
        const key = this.next();
        if (key.type === "string") path.push(key.value);
        else if (key.type === "number" && Number.isInteger(key.value) && key.value >= 0) path.push(String(key.value));
        else throw new ConditionSyntaxError(`expected a quoted key or an index inside [ ], found ${describeToken(key)}`, key.offset);
        this.expectPunct("]", "after the key");
      } else break;
    }
    if (path.length === 0) throw new ConditionSyntaxError('expected "Result.<field>"', start.offset);
    return { kind: "field", path };
  }
}

function describeToken(token: Token): string {
  return token.type === "end" ? "end of expression" : `"${token.text}"`;
}

// ------------------------------------------------------------------------------------ evaluation

type Value = string | number | boolean | null | object;

/** Evaluates a parsed condition. Never throws for missing data: a missing `Result` field is null. */
export function evaluateCondition(condition: Condition, context: ConditionContext): boolean {
  return truthy(evaluate(condition, context));
}

function evaluate(condition: Condition, context: ConditionContext): Value {
  switch (condition.kind) {
    case "literal":
      return condition.value;
    case "call":
      switch (condition.fn) {
        case "SLOs":
          return context.slosSatisfied();
        case "WinnerFound":
          return context.winner() !== null;
        case "Winner":
          return context.winner();
        case "CandidateWon":
          return context.candidateWon();
      }
      return null;
    case "field":
      return lookup(context.result, condition.path);
    case "not":
      return !truthy(evaluate(condition.operand, context));
    case "and":
      return truthy(evaluate(condition.left, context)) && truthy(evaluate(condition.right, context));
    case "or":
      return truthy(evaluate(condition.left, context)) || truthy(evaluate(condition.right, context));
    case "compare":
      return compare(condition.op, evaluate(condition.left, context), evaluate(condition.right, context));
  }
}

function truthy(value: Value): boolean {
  if (value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value !== "";
  return true;
}

function compare(op: CompareOp, left: Value, right: Value): boolean {
  if (op === "==") return equal(left, right);
  if (op === "!=") return !equal(left, right);
  const comparable = (typeof left === "number" && typeof right === "number") || (typeof left === "string" && typeof right === "string");
  if (!comparable) return false;
  switch (op) {
    case "<":
      return left < right;
    case "<=":
      return left <= right;
    case ">":
      return left > right;
    case ">=":
      return left >= right;
  }
}

function equal(left: Value, right: Value): boolean {
  if (typeof left === "object" && left !== null) return false;
  if (typeof right === "object" && right !== null) return false;
  return left === right;
}

/** `Result.a.b` -> result.a.b, trying each segment as written and in lower camel case (Go-style names). */
function lookup(root: unknown, path: readonly string[]): Value {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return null;
    const record = current as Record<string, unknown>;
    const lowerCamel = segment.charAt(0).toLowerCase() + segment.slice(1);
    if (Object.hasOwn(record, segment)) current = record[segment];
    else if (Object.hasOwn(record, lowerCamel)) current = record[lowerCamel];
    else return null;
  }
  if (current === undefined) return null;
  if (typeof current === "bigint") return Number(current);
  if (typeof current === "function" || typeof current === "symbol") return null;
  return current;
}
