import { CST, LineCounter, Lexer, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Alias, Node as YamlNode } from "yaml";
import { ErrorCode } from "../errors.js";
import type { SourceLocation } from "../errors.js";
import { DEFAULT_PARSE_LIMITS } from "./limits.js";
import type { ParseLimits } from "./limits.js";
import type { Problems } from "./problems.js";
import { shorten } from "./problems.js";

/**
 * The parser works on this small tree instead of the `yaml` AST: every node keeps its source
 * location, aliases and merge keys are resolved, and `--set` overrides can replace nodes while
 * remembering where the new value came from (`origin`).
 *
 * Reading hostile text is bounded here (limits.ts): the size, the number of nodes and the nesting
 * depth are checked by a linear scan of the `yaml` lexer's tokens before the YAML parser runs (it
 * takes seconds on a few kilobytes of nesting), and alias expansion is costed from the size of
 * every anchored node before anything is expanded.
 */
export type TreeNode = MapNode | SeqNode | ScalarNode;

export type ScalarValue = string | number | boolean | null;

interface NodeBase {
  loc: SourceLocation;
  /** The `--set` argument a node came from, when it did. */
  origin?: string | undefined;
}

export interface MapEntry {
  key: string;
  keyLoc: SourceLocation;
  value: TreeNode;
}

export interface MapNode extends NodeBase {
  kind: "map";
  entries: MapEntry[];
}

export interface SeqNode extends NodeBase {
  kind: "seq";
  items: TreeNode[];
}

export interface ScalarNode extends NodeBase {
  kind: "scalar";
  value: ScalarValue;
  /**
   * Column offset from `loc` to the first character of the value's text, when the value sits on
   * one line (0 for plain scalars, 1 for quoted ones); lets `if:` errors point inside the text.
   */
  textOffset?: number | undefined;
}

/**
 * Parses YAML text into a tree. YAML syntax errors are reported (EXPERIMENT_YAML_SYNTAX, with the
 * position), a document beyond a budget of `limits` is reported as EXPERIMENT_TOO_LARGE; both give
 * `undefined`. An empty document gives a null scalar.
 */
export function parseYamlTree(text: string, file: string, problems: Problems, limits: ParseLimits = DEFAULT_PARSE_LIMITS): TreeNode | undefined {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxDocumentBytes) {
    problems.report(ErrorCode.TooLarge, { loc: { file, line: 1, column: 1 } }, "", `the document is ${bytes} bytes, more than the limit of ${limits.maxDocumentBytes} bytes`);
    return undefined;
  }
  const refused = prescan(text, limits);
  if (refused !== undefined) {
    problems.report(ErrorCode.TooLarge, { loc: { file, ...lineAndColumn(text, refused.offset) } }, "", refused.message);
    return undefined;
  }
  const lineCounter = new LineCounter();
  // uniqueKeys is checked while converting: the library's check is quadratic in the number of keys.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      problems.report(ErrorCode.YamlSyntax, { loc: at(error.pos[0]) }, "", `YAML syntax error: ${error.message}`);
    }
    return undefined;
  }
  const before = problems.count;
  const aliases = new AliasIndex(at, problems, limits.maxAliasNodes);
  aliases.visit(doc.contents);
  if (problems.count > before) return undefined;
  const converter = new Converter(text, at, problems, aliases, limits);
  const tree = converter.convert(doc.contents, at(0), 0);
  return problems.count > before ? undefined : tree;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

// Markers the lexer yields that are not source text (yaml's CST.DOCUMENT, FLOW_END, SCALAR).
const DOCUMENT_MARKER = "\x02";
const FLOW_END_MARKER = "\x18";
const SCALAR_MARKER = "\x1f";

/**
 * One pass over the lexer's tokens: counts the nodes and estimates the nesting depth (flow
 * brackets, plus block levels from the columns at which nodes start; never an underestimate of a
 * block level, at most one over). Stops at the first budget exceeded.
 */
function prescan(text: string, limits: ParseLimits): { offset: number; message: string } | undefined {
  const maxTokens = limits.maxYamlNodes * 10;
  const levels: number[] = [];
  let offset = 0;
  let lineStart = 0;
  let tokens = 0;
  let nodes = 0;
  let flow = 0;
  let blockScalarBody = false;
  const nodeAt = (start: number): string | undefined => {
    if (++nodes > limits.maxYamlNodes) return `the document has more than ${limits.maxYamlNodes} YAML nodes (the limit)`;
    if (flow === 0) {
      const column = start - lineStart;
      while (levels.length > 0 && (levels[levels.length - 1] ?? 0) >= column) levels.pop();
      levels.push(column);
    }
    // +1: a value on its key's line is counted one level deeper than the key.
    if (levels.length + flow > limits.maxDepth + 1) return `lists and maps are nested deeper than ${limits.maxDepth} levels (the limit)`;
    return undefined;
  };
  for (const token of new Lexer().lex(text)) {
    if (++tokens > maxTokens) return { offset, message: `the document has more than ${maxTokens} YAML tokens (the limit is ${limits.maxYamlNodes} nodes)` };
    if (token === DOCUMENT_MARKER || token === FLOW_END_MARKER) continue;
    let refusal: string | undefined;
    if (token === SCALAR_MARKER) {
      if (blockScalarBody) blockScalarBody = false;
      else refusal = nodeAt(offset);
      if (refusal !== undefined) return { offset, message: refusal };
      continue;
    }
    switch (CST.tokenType(token)) {
      case "seq-item-ind":
      case "explicit-key-ind":
      case "alias":
        refusal = nodeAt(offset);
        break;
      case "block-scalar-header":
        refusal = nodeAt(offset);
        blockScalarBody = true;
        break;
      case "flow-seq-start":
      case "flow-map-start":
        refusal = nodeAt(offset);
        flow++;
        if (refusal === undefined && levels.length + flow > limits.maxDepth + 1) refusal = `lists and maps are nested deeper than ${limits.maxDepth} levels (the limit)`;
        break;
      case "flow-seq-end":
      case "flow-map-end":
        flow = Math.max(0, flow - 1);
        break;
      case "doc-start":
        levels.length = 0;
        flow = 0;
        break;
      default:
        break;
    }
    if (refusal !== undefined) return { offset, message: refusal };
    const newline = token.lastIndexOf("\n");
    if (newline >= 0) lineStart = offset + newline + 1;
    offset += token.length;
  }
  return undefined;
}

/**
 * Anchors and aliases of one document, resolved in document order (an alias names the last anchor
 * defined before it), with the number of nodes each anchored node expands to. Every alias of the
 * document expands once where it is written (an alias inside an anchored node is part of that
 * node's size), so the sum of the aliases' sizes is what converting the document creates: it is
 * checked against the budget here, before anything is expanded. Reports aliases that name no
 * anchor, aliases inside the node they name (recursive), and the alias where the budget runs out.
 */
class AliasIndex {
  readonly targets = new Map<Alias, YamlNode>();
  private readonly sizes = new Map<YamlNode, number>();
  private readonly anchors = new Map<string, YamlNode>();
  private readonly open = new Set<YamlNode>();
  private expanded = 0;

  constructor(
    private readonly at: (offset: number) => SourceLocation,
    private readonly problems: Problems,
    private readonly maxAliasNodes: number,
  ) {}

  /** Nodes `target` becomes once every alias inside it is expanded. */
  sizeOf(target: YamlNode): number {
    return this.sizes.get(target) ?? 1;
  }

  /** Visits `node` (recursion as deep as the document's nesting, bounded by the prescan). */
  visit(node: unknown): number {
    if (node === null || node === undefined) return 1;
    if (isAlias(node)) return this.alias(node);
    const yamlNode = node as YamlNode;
    if (yamlNode.anchor) this.anchors.set(yamlNode.anchor, yamlNode);
    this.open.add(yamlNode);
    let size = 1;
    if (isSeq(node)) for (const item of node.items) size += this.visit(item);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        size += this.visit(pair.key) + this.visit(pair.value);
      }
    }
    this.open.delete(yamlNode);
    this.sizes.set(yamlNode, size);
    return size;
  }

  private alias(alias: Alias): number {
    const loc = this.at(alias.range?.[0] ?? 0);
    const target = this.anchors.get(alias.source);
    if (target === undefined) {
      this.problems.report(ErrorCode.YamlSyntax, { loc }, "", `YAML alias *${alias.source} refers to no anchor &${alias.source} defined before it`);
      return 1;
    }
    if (this.open.has(target)) {
      this.problems.report(ErrorCode.YamlSyntax, { loc }, "", `YAML alias *${alias.source} is inside the node it refers to (a recursive alias)`);
      return 1;
    }
    this.targets.set(alias, target);
    const size = this.sizeOf(target);
    const before = this.expanded;
    this.expanded += size;
    if (before <= this.maxAliasNodes && this.expanded > this.maxAliasNodes) {
      this.problems.report(
        ErrorCode.TooLarge,
        { loc },
        "",
        `YAML alias *${alias.source} expands to ${formatCount(size)} nodes: alias expansion may create at most ${this.maxAliasNodes} nodes per document (the limit)`,
      );
    }
    return size;
  }
}

/** YAML AST -> TreeNode, aliases expanded (within the budget AliasIndex checked). */
class Converter {
  constructor(
    private readonly text: string,
    private readonly at: (offset: number) => SourceLocation,
    private readonly problems: Problems,
    private readonly aliases: AliasIndex,
    private readonly limits: ParseLimits,
  ) {}

  convert(node: unknown, fallback: SourceLocation, depth: number): TreeNode {
    if (depth > this.limits.maxDepth) {
      this.problems.report(ErrorCode.TooLarge, { loc: fallback }, "", `lists and maps are nested deeper than ${this.limits.maxDepth} levels (the limit), aliases expanded`);
      return { kind: "scalar", value: null, loc: fallback };
    }
    if (node === null || node === undefined) return { kind: "scalar", value: null, loc: fallback };
    const yamlNode = node as YamlNode;
    const loc = yamlNode.range ? this.at(yamlNode.range[0]) : fallback;
    if (isAlias(node)) return this.expand(node, loc, depth);
    if (isScalar(node)) {
      const range = node.range;
      const empty = range !== undefined && range !== null && range[0] === range[1];
      const scalarLoc = empty ? fallback : loc;
      const singleLine = range ? !this.text.slice(range[0], range[1]).includes("\n") : false;
      let textOffset: number | undefined;
      if (singleLine && node.type === "PLAIN") textOffset = 0;
      if (singleLine && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE")) textOffset = 1;
      return { kind: "scalar", value: toScalarValue(node.value), loc: scalarLoc, textOffset };
    }
    if (isSeq(node)) {
      return { kind: "seq", loc, items: node.items.map((item) => this.convert(item, loc, depth + 1)) };
    }
    if (isMap(node)) return this.map(node.items, loc, depth);
    return { kind: "scalar", value: null, loc };
  }

  private expand(alias: Alias, loc: SourceLocation, depth: number): TreeNode {
    const target = this.aliases.targets.get(alias);
    if (target === undefined) return { kind: "scalar", value: null, loc };
    return { ...this.convert(target, loc, depth + 1), loc };
  }

  private map(items: readonly unknown[], loc: SourceLocation, depth: number): MapNode {
    const entries: MapEntry[] = [];
    const merged: MapEntry[] = [];
    const seen = new Set<string>();
    for (const pair of items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyLoc = keyNode?.range ? this.at(keyNode.range[0]) : loc;
      let key: string;
      if (keyNode === null || keyNode === undefined) key = "";
      else if (isScalar(keyNode)) key = String(keyNode.value);
      else {
        this.problems.report(ErrorCode.WrongType, { loc: keyLoc }, "", "map keys must be plain strings");
        continue;
      }
      const value = this.convert(pair.value, keyLoc, depth + 1);
      if (key === "<<" && keyNode !== null && isScalar(keyNode) && keyNode.type === "PLAIN") {
        merged.push(...mergeSources(value));
        continue;
      }
      if (seen.has(key)) {
        this.problems.report(ErrorCode.YamlSyntax, { loc: keyLoc }, "", `YAML syntax error: map keys must be unique; ${JSON.stringify(shorten(key))} is written twice`);
        continue;
      }
      seen.add(key);
      entries.push({ key, keyLoc, value });
    }
    for (const entry of merged) if (!seen.has(entry.key)) entries.push(entry);
    return { kind: "map", loc, entries };
  }
}

function formatCount(n: number): string {
  return n < 1e15 ? String(n) : `more than ${(1e15).toExponential()}`;
}

function mergeSources(value: TreeNode): MapEntry[] {
  if (value.kind === "map") return value.entries;
  if (value.kind === "seq") return value.items.flatMap((item) => (item.kind === "map" ? item.entries : []));
  return [];
}

function toScalarValue(value: unknown): ScalarValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  return value instanceof Date ? value.toISOString() : JSON.stringify(value);
}

export function entry(map: MapNode, key: string): MapEntry | undefined {
  return map.entries.find((candidate) => candidate.key === key);
}

/** The tree as plain JSON-compatible data. */
export function toPlain(node: TreeNode): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toPlain);
    case "map": {
      const out: Record<string, unknown> = {};
      for (const { key, value } of node.entries) {
        Object.defineProperty(out, key, { value: toPlain(value), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  }
}
