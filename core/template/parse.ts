/**
 * Parser for the Go text/template subset: tokens → trees of nodes. A source yields its main tree
 * and the trees it defines (`define`, `block`). Functions and variables are checked here, so a
 * template that compiles only fails at render time on bad data or a budget.
 */
import { templateError } from "./errors.js";
import type { TemplateSource } from "./errors.js";
import type { Token } from "./lex.js";

export type Operand =
  | { kind: "dot"; pos: number }
  | { kind: "field"; pos: number; path: string[] }
  | { kind: "variable"; pos: number; name: string; path: string[] }
  | { kind: "literal"; pos: number; value: string | number | boolean | null }
  | { kind: "function"; pos: number; name: string }
  | { kind: "pipeline"; pos: number; pipeline: Pipeline; path: string[] };

export interface Command {
  pos: number;
  args: Operand[];
}

export interface Pipeline {
  pos: number;
  /** Declared (`:=`) or assigned (`=`) variables. */
  variables: string[];
  isAssign: boolean;
  commands: Command[];
}

export type Node =
  | { kind: "text"; value: string }
  | { kind: "action"; pos: number; pipeline: Pipeline }
  | { kind: "if" | "with"; pos: number; pipeline: Pipeline; body: Node[]; otherwise: Node[] | undefined }
  | { kind: "range"; pos: number; pipeline: Pipeline; body: Node[]; otherwise: Node[] | undefined }
  | { kind: "break" | "continue"; pos: number }
  | { kind: "template"; pos: number; name: string; pipeline: Pipeline | undefined };

/** A named list of nodes: a source's main body or one `define`/`block`. */
export interface Tree {
  readonly name: string;
  readonly source: TemplateSource;
  readonly nodes: readonly Node[];
  /** True when the body is only whitespace text (Go: such a define does not replace another). */
  readonly empty: boolean;
}

export interface ParseResult {
  readonly main: Tree;
  readonly defines: readonly Tree[];
}

/** Nesting of control structures and parentheses a template may have (Go's parser allows 10,000). */
export const MAX_PARSE_DEPTH = 1000;

type Terminator = "end" | "else" | "eof";

/** Parses `tokens` of `source`; `isFunction` says which names are functions (checked here, as Go does). */
export function parse(source: TemplateSource, tokens: readonly Token[], isFunction: (name: string) => boolean): ParseResult {
  const parser = new Parser(source, tokens, isFunction);
  const nodes = parser.parseRoot();
  return { main: makeTree(source.name, source, nodes), defines: parser.defines };
}

function makeTree(name: string, source: TemplateSource, nodes: Node[]): Tree {
  return { name, source, nodes, empty: nodes.every((node) => node.kind === "text" && node.value.trim() === "") };
}

class Parser {
  private index = 0;
  private scopes: string[][] = [["$"]];
  private rangeDepth = 0;
  private depth = 0;
  readonly defines: Tree[] = [];

  constructor(
    private readonly source: TemplateSource,
    private readonly tokens: readonly Token[],
    private readonly isFunction: (name: string) => boolean,
  ) {}

  parseRoot(): Node[] {
    const { nodes, terminator, pos } = this.parseList(true);
    if (terminator !== "eof") throw this.error(pos, `unexpected {{${terminator}}}`);
    return nodes;
  }

  private error(pos: number, message: string): Error {
    return templateError(this.source, pos, message);
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_PARSE_DEPTH) throw this.error(pos, `nesting deeper than ${MAX_PARSE_DEPTH}`);
  }

  private parseList(topLevel = false): { nodes: Node[]; terminator: Terminator; pos: number } {
    const nodes: Node[] = [];
    for (;;) {
      const token = this.tokens[this.index];
      if (token === undefined) return { nodes, terminator: "eof", pos: this.source.text.length };
      this.index++;
      if (token.type === "text") {
        nodes.push({ kind: "text", value: token.value });
        continue;
      }
      if (token.type === "comment") continue;
      if (token.type !== "open") throw this.error(token.pos, "unexpected token");
      const first = this.peek();
      if (first.type === "ident") {
        const keyword = this.parseKeyword(first.name, first.pos, topLevel, nodes);
        if (keyword === "handled") continue;
        if (keyword !== undefined) return { nodes, terminator: keyword, pos: first.pos };
      }
      const pipeline = this.parsePipeline("close", true);
      this.expectClose("action");
      nodes.push({ kind: "action", pos: token.pos, pipeline });
    }
  }

  /** Handles an action starting with a keyword; returns the terminator, "handled", or undefined for a plain action. */
  private parseKeyword(name: string, pos: number, topLevel: boolean, nodes: Node[]): Terminator | "handled" | undefined {
    switch (name) {
      case "end":
        this.index++;
        this.expectClose("end");
        return "end";
      case "else":
        this.index++;
        return "else";
      case "if":
      case "with":
      case "range":
        this.index++;
        nodes.push(this.parseControl(name, pos));
        return "handled";
      case "break":
      case "continue":
        this.index++;
        if (this.rangeDepth === 0) throw this.error(pos, `{{${name}}} outside {{range}}`);
        this.expectClose(name);
        nodes.push({ kind: name, pos });
        return "handled";
      case "define":
        if (!topLevel) throw this.error(pos, "unexpected {{define}}: define only at the top level");
        this.index++;
        this.parseDefine(pos);
        return "handled";
      case "template":
        this.index++;
        nodes.push(this.parseTemplateCall(pos, "template"));
        return "handled";
      case "block": {
        this.index++;
        const call = this.parseTemplateCall(pos, "block");
        this.defines.push(makeTree(call.name, this.source, this.parseBody(pos, "block")));
        nodes.push(call);
        return "handled";
      }
      default:
        return undefined;
    }
  }

  private parseDefine(pos: number): void {
    const nameToken = this.peek();
    if (nameToken.type !== "string") throw this.error(nameToken.pos, "define: name must be a quoted string");
    this.index++;
    this.expectClose("define");
    this.defines.push(makeTree(nameToken.value, this.source, this.parseBody(pos, "define")));
  }

  /** The body of a define or block: its own variable scope, no enclosing range. */
  private parseBody(pos: number, keyword: string): Node[] {
    const savedScopes = this.scopes;
    const savedRange = this.rangeDepth;
    this.scopes = [["$"]];
    this.rangeDepth = 0;
    this.enter(pos);
    const body = this.parseList();
    this.depth--;
    this.scopes = savedScopes;
    this.rangeDepth = savedRange;
    if (body.terminator !== "end") throw this.error(pos, body.terminator === "eof" ? `unexpected EOF: {{${keyword}}} without {{end}}` : `unexpected {{else}} in {{${keyword}}}`);
    return body.nodes;
  }

  /** After `template` or `block`: a quoted name and an optional pipeline. */
  private parseTemplateCall(pos: number, keyword: string): Extract<Node, { kind: "template" }> {
    const nameToken = this.peek();
    if (nameToken.type !== "string") throw this.error(nameToken.pos, `${keyword}: name must be a quoted string`);
    this.index++;
    let pipeline: Pipeline | undefined;
    if (this.peek().type !== "close") pipeline = this.parsePipeline("close", false);
    else if (keyword === "block") throw this.error(pos, "block: missing pipeline");
    this.expectClose(keyword);
    return { kind: "template", pos, name: nameToken.value, pipeline };
  }

  /** After `if`/`with`/`range` (or `else if`/`else with`): pipeline, body, optional else, end. */
  private parseControl(kind: "if" | "with" | "range", pos: number): Node {
    this.enter(pos);
    this.scopes.push([]);
    const pipeline = this.parsePipeline("close", true, kind === "range");
    this.expectClose(kind);
    if (kind === "range") this.rangeDepth++;
    const body = this.parseList();
    if (kind === "range") this.rangeDepth--;
    let otherwise: Node[] | undefined;
    if (body.terminator === "eof") throw this.error(pos, `unexpected EOF: {{${kind}}} without {{end}}`);
    if (body.terminator === "else") {
      const next = this.peek();
      if (next.type === "ident" && (next.name === "if" || next.name === "with") && kind !== "range") {
        this.index++;
        otherwise = [this.parseControl(next.name, next.pos)];
      } else {
        this.expectClose("else");
        this.scopes.push([]);
        const rest = this.parseList();
        this.scopes.pop();
        if (rest.terminator !== "end") throw this.error(rest.pos, `expected {{end}} for {{${kind}}}`);
        otherwise = rest.nodes;
      }
    }
    this.scopes.pop();
    this.depth--;
    return { kind, pos, pipeline, body: body.nodes, otherwise };
  }

  private parsePipeline(end: "close" | "rparen", allowDeclare: boolean, isRange = false): Pipeline {
    const start = this.peek();
    const variables: string[] = [];
    let isAssign = false;
    if (allowDeclare && start.type === "variable" && start.path.length === 0) {
      const second = this.tokens[this.index + 1];
      const third = this.tokens[this.index + 2];
      const fourth = this.tokens[this.index + 3];
      if (second?.type === "declare" || second?.type === "assign") {
        variables.push(start.name);
        isAssign = second.type === "assign";
        this.index += 2;
      } else if (isRange && second?.type === "comma" && third?.type === "variable" && third.path.length === 0 && (fourth?.type === "declare" || fourth?.type === "assign")) {
        variables.push(start.name, third.name);
        isAssign = fourth.type === "assign";
        this.index += 4;
      }
      for (const name of variables) {
        if (isAssign) this.checkVariable(name, start.pos);
        else this.scopes[this.scopes.length - 1]?.push(name);
      }
    }
    const commands: Command[] = [];
    for (;;) {
      commands.push(this.parseCommand());
      const next = this.peek();
      if (next.type === "pipe") {
        this.index++;
        continue;
      }
      if ((end === "close" && next.type === "close") || (end === "rparen" && next.type === "rparen")) break;
      throw this.error(next.pos, `unexpected ${describe(next)} in pipeline`);
    }
    return { pos: start.pos, variables, isAssign, commands };
  }

  private parseCommand(): Command {
    const first = this.peek();
    const args: Operand[] = [];
    for (;;) {
      const token = this.peek();
      if (token.type === "pipe" || token.type === "close" || token.type === "rparen") break;
      args.push(this.parseOperand());
    }
    if (args.length === 0) throw this.error(first.pos, "missing value for command");
    return { pos: first.pos, args };
  }

  private parseOperand(): Operand {
    const token = this.peek();
    this.index++;
    switch (token.type) {
      case "dot":
        return { kind: "dot", pos: token.pos };
      case "field":
        return { kind: "field", pos: token.pos, path: token.path };
      case "variable":
        this.checkVariable(token.name, token.pos);
        return { kind: "variable", pos: token.pos, name: token.name, path: token.path };
      case "string":
      case "number":
      case "bool":
        return { kind: "literal", pos: token.pos, value: token.value };
      case "nil":
        return { kind: "literal", pos: token.pos, value: null };
      case "ident":
        if (!this.isFunction(token.name)) throw this.error(token.pos, `function "${token.name}" not defined`);
        return { kind: "function", pos: token.pos, name: token.name };
      case "lparen": {
        this.enter(token.pos);
        const pipeline = this.parsePipeline("rparen", false);
        this.depth--;
        this.index++;
        const after = this.tokens[this.index];
        let path: string[] = [];
        if (after?.type === "field" && !after.spaceBefore) {
          path = after.path;
          this.index++;
        }
        return { kind: "pipeline", pos: token.pos, pipeline, path };
      }
      default:
        throw this.error(token.pos, `unexpected ${describe(token)} in operand`);
    }
  }

  private checkVariable(name: string, pos: number): void {
    if (!this.scopes.some((scope) => scope.includes(name))) throw this.error(pos, `undefined variable "${name}"`);
  }

  private expectClose(context: string): void {
    const token = this.peek();
    if (token.type !== "close") throw this.error(token.pos, `unexpected ${describe(token)} in ${context}`);
    this.index++;
  }

  private peek(): Token {
    const token = this.tokens[this.index];
    if (token === undefined) throw this.error(this.source.text.length, "unexpected end of template");
    return token;
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case "close":
      return '"}}"';
    case "ident":
      return `"${token.name}"`;
    case "rparen":
      return '")"';
    case "lparen":
      return '"("';
    case "pipe":
      return '"|"';
    default:
      return token.type;
  }
}
