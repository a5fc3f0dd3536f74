/**
 * Sprig's regex functions with Go's regexp semantics. Go's regexp is RE2: linear time and RE2
 * syntax. JavaScript's RegExp backtracks (`(a+)+$` can run for ever) and reads some patterns
 * differently, so patterns run on re2js, a port of RE2 — a template cannot hang the process with a
 * regex, and `regexReplaceAll` expands `$1`/`${name}` exactly as Go's ReplaceAllString does.
 */
import { RE2JS } from "re2js";
import type { Meter } from "./errors.js";
import { goQuote } from "./fmt.js";
import { FunctionError } from "./func-support.js";

const cache = new Map<string, RE2JS>();
const CACHE_SIZE = 64;

/** regexp.Compile: the compiled pattern, or FunctionError with Go's wording. */
export function compileRegex(pattern: string, meter: Meter): RE2JS {
  const cached = cache.get(pattern);
  if (cached !== undefined) return cached;
  meter.charge(1 + pattern.length);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FunctionError(`regexp: Compile(${goQuote(pattern)}): ${message}`);
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value ?? "");
  cache.set(pattern, compiled);
  return compiled;
}

/** Match positions: [start0, end0, start1, end1, ...] (-1 for a group that did not take part). */
type Match = number[];

/** Go's allMatches loop: successive non-overlapping matches, an empty match right after a match skipped. */
function allMatches(re: RE2JS, input: string, limit: number, meter: Meter): Match[] {
  const matcher = re.matcher(input);
  const groups = re.groupCount();
  const out: Match[] = [];
  let searchPos = 0;
  let prevMatchEnd = -1;
  while (searchPos <= input.length && (limit < 0 || out.length < limit)) {
    meter.charge(1);
    if (!matcher.find(searchPos)) break;
    const match: Match = [];
    for (let g = 0; g <= groups; g++) match.push(matcher.start(g), matcher.end(g));
    const [start = 0, end = 0] = match;
    let accept = true;
    if (end === searchPos) {
      if (start === prevMatchEnd) accept = false;
      const code = input.codePointAt(searchPos);
      searchPos += code !== undefined && code > 0xffff ? 2 : 1;
    } else searchPos = end;
    prevMatchEnd = end;
    if (accept) out.push(match);
  }
  return out;
}

export function regexMatch(pattern: string, input: string, meter: Meter): boolean {
  meter.charge(1 + Math.floor(input.length / 64));
  return compileRegex(pattern, meter).matcher(input).find();
}

export function regexFindAll(pattern: string, input: string, limit: number, meter: Meter): string[] {
  meter.charge(1 + Math.floor(input.length / 64));
  return allMatches(compileRegex(pattern, meter), input, limit, meter).map(([start = 0, end = 0]) => input.slice(start, end));
}

/** ReplaceAllString (`literal` false: `$1`, `${name}`, `$$` expanded) or ReplaceAllLiteralString. */
export function regexReplaceAll(pattern: string, input: string, replacement: string, literal: boolean, meter: Meter): string {
  meter.charge(1 + Math.floor(input.length / 64));
  if (pattern !== "" && !/[\\.+*?()|[\]{}^$]/.test(pattern) && (literal || !replacement.includes("$"))) {
    const parts = input.split(pattern);
    if (input.length + (parts.length - 1) * (replacement.length - pattern.length) > meter.maxBytes) throw new FunctionError("result larger than the output limit");
    return parts.join(replacement);
  }
  const re = compileRegex(pattern, meter);
  const names = literal ? {} : re.namedGroups();
  let out = "";
  let last = 0;
  const matches = allMatchesForReplace(re, input, meter);
  for (const match of matches) {
    const [start = 0, end = 0] = match;
    out += input.slice(last, start);
    out += literal ? replacement : expand(replacement, input, match, names);
    last = end;
    if (out.length > meter.maxBytes) throw new FunctionError("result larger than the output limit");
  }
  return out + input.slice(last);
}

/** Go's replaceAll loop: like allMatches, but an empty match right after a match still copies nothing. */
function allMatchesForReplace(re: RE2JS, input: string, meter: Meter): Match[] {
  const matcher = re.matcher(input);
  const groups = re.groupCount();
  const out: Match[] = [];
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= input.length) {
    meter.charge(1);
    if (!matcher.find(searchPos)) break;
    const match: Match = [];
    for (let g = 0; g <= groups; g++) match.push(matcher.start(g), matcher.end(g));
    const [start = 0, end = 0] = match;
    if (end > lastMatchEnd || start === 0) out.push(match);
    lastMatchEnd = end;
    const code = input.codePointAt(searchPos);
    const width = code !== undefined && code > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out;
}

/** Go's Regexp.expand: `$$`, `$1`, `${1}`, `$name`, `${name}`; a malformed `$` is literal. */
function expand(template: string, input: string, match: Match, names: Readonly<Record<string, number>>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar === -1) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      out += "$";
      i++;
      continue;
    }
    const brace = template[i] === "{";
    let j = brace ? i + 1 : i;
    const nameStart = j;
    while (j < template.length && /[A-Za-z0-9_]/.test(template[j] ?? "")) j++;
    const name = template.slice(nameStart, j);
    if (name === "" || (brace && template[j] !== "}")) {
      out += "$";
      continue;
    }
    i = brace ? j + 1 : j;
    const group = /^\d+$/.test(name) ? Number(name) : names[name];
    if (group === undefined) continue;
    const start = match[2 * group];
    const end = match[2 * group + 1];
    if (start !== undefined && end !== undefined && start >= 0) out += input.slice(start, end);
  }
  return out + template.slice(i);
}

export function regexSplit(pattern: string, input: string, limit: number, meter: Meter): string[] {
  meter.charge(1 + Math.floor(input.length / 64));
  if (limit === 0) return [];
  const re = compileRegex(pattern, meter);
  if (pattern.length > 0 && input.length === 0) return [""];
  const matches = allMatches(re, input, limit, meter);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const [start = 0, stop = 0] of matches) {
    if (limit > 0 && out.length === limit - 1) break;
    end = start;
    if (stop !== 0) out.push(input.slice(beg, end));
    beg = stop;
  }
  if (end !== input.length) out.push(input.slice(beg));
  return out;
}

/** regexp.QuoteMeta. */
export function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}
