import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import { ErrorCode } from "../errors.js";
import type { SourceLocation } from "../errors.js";
import type { Problems } from "./problems.js";

/**
 * The parser works on this small tree instead of the `yaml` AST: every node keeps its source
 * location, aliases and merge keys are resolved, and `--set` overrides can replace nodes while
 * remembering where the new value came from (`origin`).
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

const MAX_DEPTH = 64;

/**
 * Parses YAML text into a tree. YAML syntax errors are reported (EXPERIMENT_YAML_SYNTAX, with the
 * position) and give `undefined`; an empty document gives a null scalar.
 */
export function parseYamlTree(text: string, file: string, problems: Problems): TreeNode | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
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
  const converter = new Converter(doc, text, at, problems);
  return converter.convert(doc.contents, at(0), 0);
}

class Converter {
  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly at: (offset: number) => SourceLocation,
    private readonly problems: Problems,
  ) {}

  convert(node: unknown, fallback: SourceLocation, depth: number): TreeNode {
    if (depth > MAX_DEPTH) {
      this.problems.report(ErrorCode.YamlSyntax, { loc: fallback }, "", "YAML nesting too deep (recursive alias?)");
      return { kind: "scalar", value: null, loc: fallback };
    }
    if (node === null || node === undefined) return { kind: "scalar", value: null, loc: fallback };
    const yamlNode = node as YamlNode;
    const loc = yamlNode.range ? this.at(yamlNode.range[0]) : fallback;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      return { ...this.convert(target, loc, depth + 1), loc };
    }
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
    if (isMap(node)) {
      const entries: MapEntry[] = [];
      const merged: MapEntry[] = [];
      for (const pair of node.items) {
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
        entries.push({ key, keyLoc, value });
      }
      for (const entry of merged) if (!entries.some((own) => own.key === entry.key)) entries.push(entry);
      return { kind: "map", loc, entries };
    }
    return { kind: "scalar", value: null, loc };
  }
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
