/**
 * Lexer for the Go text/template subset: splits a template into text and `{{ … }}` actions and
 * tokenises the inside of actions. Positions are byte offsets into the template text.
 */
import { templateError } from "./errors.js";
import type { TemplateSource } from "./errors.js";

export type Token =
  | { type: "text"; pos: number; value: string }
  | { type: "open"; pos: number }
  | { type: "close"; pos: number }
  | { type: "comment"; pos: number }
  | { type: "dot"; pos: number; spaceBefore: boolean }
  | { type: "field"; pos: number; path: string[]; spaceBefore: boolean }
  | { type: "variable"; pos: number; name: string; path: string[] }
  | { type: "string"; pos: number; value: string }
  | { type: "number"; pos: number; value: number }
  | { type: "bool"; pos: number; value: boolean }
  | { type: "nil"; pos: number }
  | { type: "ident"; pos: number; name: string }
  | { type: "pipe"; pos: number }
  | { type: "lparen"; pos: number }
  | { type: "rparen"; pos: number }
  | { type: "declare"; pos: number }
  | { type: "assign"; pos: number }
  | { type: "comma"; pos: number };

const NUMBER = /[+-]?(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)/y;

const OPEN = "{{";
const CLOSE = "}}";

function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

function isIdentStart(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z_]/.test(ch);
}

function isIdentPart(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_]/.test(ch);
}

function trimRightSpace(text: string): string {
  return text.replace(/[ \t\r\n]+$/, "");
}

export function lex(src: TemplateSource): Token[] {
  const source = src.text;
  const tokens: Token[] = [];
  let pos = 0;
  let trimNextText = false;

  while (pos < source.length) {
    const openAt = source.indexOf(OPEN, pos);
    let text = source.slice(pos, openAt === -1 ? source.length : openAt);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, "");
    trimNextText = false;
    if (openAt === -1) {
      if (text !== "") tokens.push({ type: "text", pos, value: text });
      break;
    }
    let inner = openAt + OPEN.length;
    if (source[inner] === "-" && isSpace(source[inner + 1])) {
      text = trimRightSpace(text);
      inner += 1;
    }
    if (text !== "") tokens.push({ type: "text", pos, value: text });
    const after = lexAction(src, inner, openAt, tokens);
    pos = after.end;
    trimNextText = after.trimRight;
  }
  return tokens;
}

/** Lexes one action starting after `{{` (and a trim marker); returns where text resumes. */
function lexAction(src: TemplateSource, start: number, openAt: number, tokens: Token[]): { end: number; trimRight: boolean } {
  const source = src.text;
  let pos = start;
  while (isSpace(source[pos])) pos++;
  if (source.startsWith("/*", pos)) {
    const endComment = source.indexOf("*/", pos + 2);
    if (endComment === -1) throw templateError(src, openAt, "unclosed comment");
    pos = endComment + 2;
    while (isSpace(source[pos])) pos++;
    const close = matchClose(src, pos);
    if (!close) throw templateError(src, pos, "comment ends before closing delimiter");
    tokens.push({ type: "comment", pos: openAt });
    return close;
  }
  tokens.push({ type: "open", pos: openAt });
  let spaceBefore = true;
  for (;;) {
    if (pos >= source.length) throw templateError(src, openAt, "unclosed action");
    const ch = source[pos];
    if (isSpace(ch)) {
      pos++;
      spaceBefore = true;
      continue;
    }
    const close = matchClose(src, pos);
    if (close) {
      tokens.push({ type: "close", pos });
      return close;
    }
    const tokenStart = pos;
    const hadSpace = spaceBefore;
    spaceBefore = false;
    if (ch === "|") {
      tokens.push({ type: "pipe", pos });
      pos++;
    } else if (ch === "(") {
      tokens.push({ type: "lparen", pos });
      pos++;
    } else if (ch === ")") {
      tokens.push({ type: "rparen", pos });
      pos++;
    } else if (ch === ",") {
      tokens.push({ type: "comma", pos });
      pos++;
    } else if (ch === ":" && source[pos + 1] === "=") {
      tokens.push({ type: "declare", pos });
      pos += 2;
    } else if (ch === "=") {
      tokens.push({ type: "assign", pos });
      pos++;
    } else if (ch === '"') {
      const end = scanQuoted(src, pos, '"');
      tokens.push({ type: "string", pos, value: unquote(src, pos, source.slice(pos, end)) });
      pos = end;
    } else if (ch === "`") {
      const end = source.indexOf("`", pos + 1);
      if (end === -1) throw templateError(src, pos, "unterminated raw quoted string");
      tokens.push({ type: "string", pos, value: source.slice(pos + 1, end) });
      pos = end + 1;
    } else if (ch === "'") {
      const end = scanQuoted(src, pos, "'");
      const value = unquote(src, pos, `"${source.slice(pos + 1, end - 1)}"`);
      const code = value.codePointAt(0);
      if (code === undefined || [...value].length !== 1) throw templateError(src, pos, "malformed character constant");
      tokens.push({ type: "number", pos, value: code });
      pos = end;
    } else if (ch === "." && !/[0-9]/.test(source[pos + 1] ?? "")) {
      const { path, end } = scanPath(src, pos);
      tokens.push(path.length === 0 ? { type: "dot", pos, spaceBefore: hadSpace } : { type: "field", pos, path, spaceBefore: hadSpace });
      pos = end;
    } else if (ch === "$") {
      let end = pos + 1;
      while (isIdentPart(source[end])) end++;
      const name = source.slice(pos, end);
      const scanned = source[end] === "." ? scanPath(src, end) : { path: [], end };
      tokens.push({ type: "variable", pos, name, path: scanned.path });
      pos = scanned.end;
    } else if (/[0-9+\-.]/.test(ch ?? "")) {
      NUMBER.lastIndex = pos;
      const match = NUMBER.exec(source);
      if (!match || match[0] === "" || match[0] === "-" || match[0] === "+") throw templateError(src, pos, `unexpected "${ch}" in action`);
      const literal = match[0].replace(/_/g, "");
      const value = parseNumber(literal);
      if (Number.isNaN(value)) throw templateError(src, pos, `bad number syntax: "${match[0]}"`);
      tokens.push({ type: "number", pos, value });
      pos += match[0].length;
    } else if (isIdentStart(ch)) {
      let end = pos + 1;
      while (isIdentPart(source[end])) end++;
      const name = source.slice(pos, end);
      if (name === "true" || name === "false") tokens.push({ type: "bool", pos, value: name === "true" });
      else if (name === "nil") tokens.push({ type: "nil", pos });
      else tokens.push({ type: "ident", pos, name });
      pos = end;
    } else {
      throw templateError(src, tokenStart, `unexpected "${ch}" in action`);
    }
  }
}

function matchClose(src: TemplateSource, pos: number): { end: number; trimRight: boolean } | undefined {
  const source = src.text;
  if (source[pos] === "-" && source.startsWith(CLOSE, pos + 1) && isSpace(source[pos - 1])) {
    return { end: pos + 1 + CLOSE.length, trimRight: true };
  }
  if (source.startsWith(CLOSE, pos)) return { end: pos + CLOSE.length, trimRight: false };
  return undefined;
}

function scanPath(src: TemplateSource, start: number): { path: string[]; end: number } {
  const source = src.text;
  const path: string[] = [];
  let pos = start;
  while (source[pos] === ".") {
    let end = pos + 1;
    while (isIdentPart(source[end])) end++;
    if (end === pos + 1) {
      if (path.length === 0) return { path, end };
      throw templateError(src, pos, "bad field name");
    }
    path.push(source.slice(pos + 1, end));
    pos = end;
  }
  return { path, end: pos };
}

function scanQuoted(src: TemplateSource, start: number, quote: string): number {
  const source = src.text;
  let pos = start + 1;
  while (pos < source.length) {
    const ch = source[pos];
    if (ch === "\\") pos += 2;
    else if (ch === quote) return pos + 1;
    else if (ch === "\n") break;
    else pos++;
  }
  throw templateError(src, start, "unterminated quoted string");
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\u0007",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

function unquote(src: TemplateSource, pos: number, quoted: string): string {
  let out = "";
  for (let i = 1; i < quoted.length - 1; i++) {
    const ch = quoted[i] ?? "";
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = quoted[i + 1] ?? "";
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i += 1;
      continue;
    }
    const hexLength = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
    if (hexLength > 0) {
      const hex = quoted.slice(i + 2, i + 2 + hexLength);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLength) throw templateError(src, pos, "invalid escape in string");
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + hexLength;
      continue;
    }
    throw templateError(src, pos, `invalid escape "\\${next}" in string`);
  }
  return out;
}

function parseNumber(literal: string): number {
  const sign = literal.startsWith("-") ? -1 : 1;
  const body = literal.replace(/^[+-]/, "");
  if (/^0[xX]/.test(body)) return sign * parseInt(body.slice(2), 16);
  if (/^0[bB]/.test(body)) return sign * parseInt(body.slice(2), 2);
  if (/^0[oO]/.test(body)) return sign * parseInt(body.slice(2), 8);
  if (/^0[0-7]+$/.test(body)) return sign * parseInt(body.slice(1), 8);
  return sign * Number(body);
}
