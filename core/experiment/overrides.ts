import { ErrorCode } from "../errors.js";
import type { SourceLocation } from "../errors.js";
import { DEFAULT_PARSE_LIMITS } from "./limits.js";
import type { ParseLimits } from "./limits.js";
import { TASK_ALIASES, TaskName } from "./model.js";
import { Problems, childPath, describeNode } from "./problems.js";
import type { MapEntry, MapNode, TreeNode } from "./tree.js";
import { entry, parseYamlTree } from "./tree.js";

type Segment = { readonly key: string } | { readonly index: number } | { readonly loose: string };

/** Canonical task name for a written one (canonical names and aliases), else undefined. */
export function canonicalTaskName(written: string): TaskName | undefined {
  if ((Object.values(TaskName) as string[]).includes(written)) return written as TaskName;
  return Object.hasOwn(TASK_ALIASES, written) ? TASK_ALIASES[written] : undefined;
}

const TOP_LEVEL_KEYS = ["name", "spec", "metadata"];

/**
 * Applies `--set key=value` overrides to the tree, in order, before validation. Paths:
 * `name=x`, `spec[0].with.qps=20` (or `spec.0.with.qps`), and `<task>.<field...>=value`, which
 * applies to the `with:` of every entry of that task (aliases included). Values are YAML
 * (`20` is a number, `[99.5]` a list). Missing map keys are created; list indexes must exist.
 * Each problem is EXPERIMENT_BAD_OVERRIDE, located at the node where the path stopped matching.
 */
export function applyOverrides(root: MapNode, overrides: readonly string[], problems: Problems, limits: ParseLimits = DEFAULT_PARSE_LIMITS): void {
  for (const text of overrides) applyOne(root, text, problems, limits);
}

function applyOne(root: MapNode, text: string, problems: Problems, limits: ParseLimits): void {
  const bad = (at: TreeNode, message: string): void => problems.report(ErrorCode.BadOverride, { loc: at.loc }, "", `--set ${text}: ${message}`);
  const eq = text.indexOf("=");
  if (eq <= 0) return bad(root, "expected key=value");
  const segments = parsePath(text.slice(0, eq));
  if (typeof segments === "string") return bad(root, segments);
  const value = parseValue(text.slice(eq + 1), limits);
  if (typeof value === "string") return bad(root, value);

  const [head, ...rest] = segments;
  const headKey = head !== undefined && "key" in head ? head.key : undefined;
  if (headKey !== undefined && (TOP_LEVEL_KEYS.includes(headKey) || entry(root, headKey) !== undefined)) {
    const failure = setPath(root, segments, value, text, "");
    if (failure) bad(failure.at, failure.message);
    return;
  }
  const task = headKey === undefined ? undefined : canonicalTaskName(headKey);
  if (task === undefined || headKey === undefined) {
    const what = headKey === undefined ? "a path must start with a name" : `"${headKey}" is neither a top-level field (${TOP_LEVEL_KEYS.join(", ")}) nor a task name`;
    return bad(root, what);
  }
  if (rest.length === 0) return bad(root, `name a field of the task, e.g. ${headKey}.<field>=value`);
  const spec = fieldEntry(root, "spec")?.value;
  const items = spec?.kind === "seq" ? spec.items : [];
  let matched = 0;
  for (const [index, item] of items.entries()) {
    if (item.kind !== "map" || entryTask(item) !== task) continue;
    matched++;
    const withKey = fieldEntry(item, "with")?.key ?? "with";
    const failure = setPath(item, [{ key: withKey }, ...rest], value, text, `spec[${index}]`);
    if (failure) return bad(failure.at, failure.message);
  }
  if (matched === 0) bad(spec ?? root, `the experiment has no "${task}" task`);
}

function entryTask(item: MapNode): TaskName | undefined {
  const task = fieldEntry(item, "task")?.value;
  if (task?.kind === "scalar" && typeof task.value === "string") return canonicalTaskName(task.value);
  return fieldEntry(item, "run") === undefined ? undefined : TaskName.Run;
}

/** A field of an experiment or task entry, whatever its case (`Spec`, `With`), as the parser reads it. */
function fieldEntry(map: MapNode, field: string): MapEntry | undefined {
  return entry(map, field) ?? map.entries.find((candidate) => candidate.key.toLowerCase() === field);
}

/** `spec[0].with.qps`, `spec.0.with.qps`, `http.headers["X-Id"]`; a message on failure. */
function parsePath(path: string): Segment[] | string {
  const segments: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === "[") {
      const close = path.indexOf("]", i);
      if (close < 0) return `unclosed "[" in ${JSON.stringify(path)}`;
      const inside = path.slice(i + 1, close);
      if (/^\d+$/.test(inside)) segments.push({ index: Number(inside) });
      else if (/^"[^"]*"$/.test(inside) || /^'[^']*'$/.test(inside)) segments.push({ key: inside.slice(1, -1) });
      else return `expected an index or a quoted key inside [ ], got ${JSON.stringify(inside)}`;
      i = close + 1;
    } else {
      const match = /^[^.[\]]+/.exec(path.slice(i));
      if (!match) return `empty name in ${JSON.stringify(path)}`;
      segments.push(/^\d+$/.test(match[0]) ? { loose: match[0] } : { key: match[0] });
      i += match[0].length;
    }
    if (path[i] === ".") {
      i++;
      if (i === path.length) return `${JSON.stringify(path)} ends with "."`;
    } else if (i < path.length && path[i] !== "[") return `unexpected ${JSON.stringify(path[i])} in ${JSON.stringify(path)}`;
  }
  return segments.length === 0 ? "empty path" : segments;
}

/** The value as a tree, or why it is refused (a --set value is YAML on its own: the file's anchors are not visible). */
function parseValue(text: string, limits: ParseLimits): TreeNode | string {
  const scratch = new Problems();
  const node = parseYamlTree(text, "--set", scratch, limits);
  const first = scratch.first();
  if (first !== undefined) {
    return first.code === ErrorCode.YamlSyntax ? `the value is not valid YAML (${first.message.replace(/^YAML syntax error: /, "")})` : `the value is refused: ${first.message}`;
  }
  return node ?? "the value is not valid YAML";
}

/** A copy of `node` placed at `loc` and marked as coming from the `--set` text. */
function stamp(node: TreeNode, loc: SourceLocation, origin: string): TreeNode {
  switch (node.kind) {
    case "scalar":
      return { kind: "scalar", value: node.value, loc, origin };
    case "seq":
      return { kind: "seq", loc, origin, items: node.items.map((item) => stamp(item, loc, origin)) };
    case "map":
      return { kind: "map", loc, origin, entries: node.entries.map((e) => ({ key: e.key, keyLoc: loc, value: stamp(e.value, loc, origin) })) };
  }
}

function isNull(node: TreeNode): boolean {
  return node.kind === "scalar" && node.value === null;
}

function setPath(start: MapNode, segments: readonly Segment[], value: TreeNode, origin: string, startPath: string): { at: TreeNode; message: string } | undefined {
  let current: TreeNode = start;
  let path = startPath;
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const next = segments[i + 1];
    const nextIsIndex = next !== undefined && "index" in next;
    if (current.kind === "map") {
      if ("index" in segment) return { at: current, message: `${path || "the top level"} is a map, not a list` };
      const key = "key" in segment ? segment.key : segment.loose;
      const found = entry(current, key);
      const childLoc = found?.value.loc ?? current.loc;
      path = childPath(path, key);
      if (last) {
        const placed = stamp(value, childLoc, origin);
        if (found) found.value = placed;
        else current.entries.push({ key, keyLoc: current.loc, value: placed });
        return undefined;
      }
      if (found === undefined || isNull(found.value)) {
        if (nextIsIndex) return { at: found?.value ?? current, message: `${path} does not exist, so it has no [${next.index}]` };
        const created: MapNode = { kind: "map", loc: childLoc, origin, entries: [] };
        if (found) found.value = created;
        else current.entries.push({ key, keyLoc: current.loc, value: created });
        current = created;
      } else current = found.value;
    } else if (current.kind === "seq") {
      const index = "index" in segment ? segment.index : "loose" in segment ? Number(segment.loose) : undefined;
      if (index === undefined) return { at: current, message: `${path} is a list; use an index like ${path}[0]` };
      if (index >= current.items.length) {
        return { at: current, message: `${path} has ${current.items.length} entries, so there is no [${index}]` };
      }
      path = childPath(path, index);
      const item = current.items[index] as TreeNode;
      if (last) {
        current.items[index] = stamp(value, item.loc, origin);
        return undefined;
      }
      if (isNull(item) && !nextIsIndex) {
        const created: MapNode = { kind: "map", loc: item.loc, origin, entries: [] };
        current.items[index] = created;
        current = created;
      } else current = item;
    } else {
      return { at: current, message: `${path} is ${describeNode(current)}, not a map or a list` };
    }
  }
  return undefined;
}
