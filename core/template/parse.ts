/**
 * Parser for the Go text/template subset: tokens → a tree of nodes. Functions and variables are
 * checked here, so a template that compiles only fails at render time on bad data.
 */
import { templateError } from "./errors.js";
import { FUNCTIONS } from "./funcs.js";
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
  | { kind: "break" | "continue"; pos: number };

const UNSUPPORTED_KEYWORDS = new Set(["define", "template", "block"]);

type Terminator = "end" | "else" | "eof";

export function parse(source: string, tokens: readonly Token[]): Node[] {
  return new Parser(source, tokens).parseRoot();
}

class Parser {
  private index = 0;
  private readonly scopes: string[][] = [["$"]];
  private rangeDepth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseRoot(): Node[] {
    const { nodes, terminator, pos } = this.parseList();
    if (terminator !== "eof") throw templateError(this.source, pos, `unexpected {{${terminator}}}`);
    return nodes;
  }

  private parseList(): { nodes: Node[]; terminator: Terminator; pos: number } {
    const nodes: Node[] = [];
    for (;;) {
      const token = this.tokens[this.index];
      if (token === undefined) return { nodes, terminator: "eof", pos: this.source.length };
      this.index++;
      if (token.type === "text") {
        nodes.push({ kind: "text", value: token.value });
        continue;
      }
      if (token.type === "comment") continue;
      if (token.type !== "open") throw templateError(this.source, token.pos, "unexpected token");
      const first = this.peek();
      if (first.type === "ident") {
        const name = first.name;
        if (name === "end") {
          this.index++;
          this.expectClose("end");
          return { nodes, terminator: "end", pos: first.pos };
        }
        if (name === "else") {
          this.index++;
          return { nodes, terminator: "else", pos: first.pos };
        }
        if (name === "if" || name === "with" || name === "range") {
          this.index++;
          nodes.push(this.parseControl(name, first.pos));
          continue;
        }
        if (name === "break" || name === "continue") {
          this.index++;
          if (this.rangeDepth === 0) throw templateError(this.source, first.pos, `{{${name}}} outside {{range}}`);
          this.expectClose(name);
          nodes.push({ kind: name, pos: first.pos });
          continue;
        }
        if (UNSUPPORTED_KEYWORDS.has(name)) {
          throw templateError(this.source, first.pos, `{{${name}}} is not supported`);
        }
      }
      const pipeline = this.parsePipeline("close", true);
      this.expectClose("action");
      nodes.push({ kind: "action", pos: token.pos, pipeline });
    }
  }

  /** After `if`/`with`/`range` (or `else if`/`else with`): pipeline, body, optional else, end. */
  private parseControl(kind: "if" | "with" | "range", pos: number): Node {
    this.scopes.push([]);
    const pipeline = this.parsePipeline("close", true, kind === "range");
    this.expectClose(kind);
    if (kind === "range") this.rangeDepth++;
    const body = this.parseList();
    if (kind === "range") this.rangeDepth--;
    let otherwise: Node[] | undefined;
    if (body.terminator === "eof") throw templateError(this.source, pos, `unexpected EOF: {{${kind}}} without {{end}}`);
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
        if (rest.terminator !== "end") throw templateError(this.source, rest.pos, `expected {{end}} for {{${kind}}}`);
        otherwise = rest.nodes;
      }
    }
    this.scopes.pop();
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
      throw templateError(this.source, next.pos, `unexpected ${describe(next)} in pipeline`);
    }
    if (variables.length > 0 && isAssign === false && commands.length === 0) throw templateError(this.source, start.pos, "missing value for declaration");
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
    if (args.length === 0) throw templateError(this.source, first.pos, "missing value for command");
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
        if (!Object.hasOwn(FUNCTIONS, token.name)) {
          throw templateError(this.source, token.pos, `function "${token.name}" not defined`);
        }
        return { kind: "function", pos: token.pos, name: token.name };
      case "lparen": {
        const pipeline = this.parsePipeline("rparen", false);
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
        throw templateError(this.source, token.pos, `unexpected ${describe(token)} in operand`);
    }
  }

  private checkVariable(name: string, pos: number): void {
    if (!this.scopes.some((scope) => scope.includes(name))) {
      throw templateError(this.source, pos, `undefined variable "${name}"`);
    }
  }

  private expectClose(context: string): void {
    const token = this.peek();
    if (token.type !== "close") throw templateError(this.source, token.pos, `unexpected ${describe(token)} in ${context}`);
    this.index++;
  }

  private peek(): Token {
    const token = this.tokens[this.index];
    if (token === undefined) throw templateError(this.source, this.source.length, "unexpected end of template");
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
