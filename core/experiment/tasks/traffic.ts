/**
 * The `traffic` task's `with:` (docs/progressive.md): the pattern, the step, what happens after
 * the last loop, the baseline, and where each version's weight lives. A version is written
 * `{apiVersion, kind, name, namespace, fieldPath}` or in Iter8 v0.7's spelling
 * `{weightObjRef: {apiVersion, kind, name, namespace, fieldPath}}`.
 */
import { ErrorCode } from "../../errors.js";
import type { ParseContext } from "../fields.js";
import { Fields } from "../fields.js";
import { TaskName, TrafficPattern } from "../model.js";
import type { TrafficTaskSpec, TrafficWeightRef } from "../model.js";
import { childPath } from "../problems.js";
import type { TreeNode } from "../tree.js";
import { actionFields, common } from "./other.js";

export const DEFAULT_MAX_INCREMENT = 10;
const REF_FIELDS = ["apiVersion", "kind", "name", "namespace", "fieldPath"] as const;
const SEGMENT = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[["']([^"']+)["']\])/;

/** `.spec.http[0].route[1].weight` (also without the leading dot) -> `/spec/http/0/route/1/weight`; undefined when malformed. */
export function fieldPathPointer(fieldPath: string): string | undefined {
  let rest = fieldPath.startsWith(".") || fieldPath.startsWith("[") ? fieldPath : `.${fieldPath}`;
  const tokens: string[] = [];
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) return undefined;
    tokens.push((match[1] ?? match[2] ?? match[3] ?? "").replaceAll("~", "~0").replaceAll("/", "~1"));
    rest = rest.slice(match[0].length);
  }
  // The weight must be a member of an object: a JSON patch `add` at an array index would insert.
  if (tokens.length === 0 || /^\d+$/.test(tokens.at(-1) ?? "")) return undefined;
  return `/${tokens.join("/")}`;
}

function parseRef(ctx: ParseContext, node: TreeNode, path: string, version: string): TrafficWeightRef | undefined {
  let f = Fields.of(ctx, node, path, [...REF_FIELDS, "weightObjRef"], `the weight of ${version}`);
  if (f === undefined) return undefined;
  let refPath = path;
  const v07 = f.present("weightObjRef");
  if (v07 !== undefined) {
    for (const key of REF_FIELDS) if (f.has(key)) f.contradiction("weightObjRef", key, "write the reference either inside weightObjRef (Iter8 v0.7) or directly, not both");
    refPath = f.pathOf("weightObjRef");
    f = Fields.of(ctx, v07, refPath, REF_FIELDS, `the weightObjRef of ${version}`);
    if (f === undefined) return undefined;
  }
  const apiVersion = f.string("apiVersion", { required: true });
  const kind = f.string("kind", { required: true });
  const name = f.string("name", { required: true });
  const namespace = f.string("namespace");
  const fieldPath = f.string("fieldPath", { required: true });
  const pointer = fieldPath === undefined ? undefined : fieldPathPointer(fieldPath);
  if (fieldPath !== undefined && pointer === undefined) {
    ctx.problems.report(ErrorCode.OutOfRange, f.get("fieldPath") ?? node, f.pathOf("fieldPath"), `expected a field path like ".spec.http[0].route[1].weight" ending in a field name, got ${JSON.stringify(fieldPath)}`);
  }
  if (apiVersion === undefined || kind === undefined || name === undefined || fieldPath === undefined || pointer === undefined) return undefined;
  return { apiVersion, kind, name, namespace, fieldPath, pointer };
}

export function parseTrafficTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): TrafficTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["pattern", "maxIncrement", "onFinish", "baseline", "versions"], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const pattern = f.oneOf("pattern", Object.values(TrafficPattern)) ?? TrafficPattern.Progressive;
  const maxIncrement = f.number("maxIncrement", { integer: true, min: 1, max: 100 }) ?? DEFAULT_MAX_INCREMENT;
  const onFinish = f.oneOf("onFinish", ["promote", "rollback", "keep"] as const) ?? "promote";
  const versionsNode = f.map("versions", "a map of version name to where its weight lives");
  if (versionsNode === undefined && !f.has("versions")) f.missing("versions", "needs the versions and where each one's weight lives");
  const versions: { version: string; ref: TrafficWeightRef }[] = [];
  for (const { key, value } of versionsNode?.entries ?? []) {
    const ref = parseRef(ctx, value, childPath(f.pathOf("versions"), key), key);
    if (ref !== undefined) versions.push({ version: key, ref });
  }
  if (versionsNode !== undefined && versionsNode.entries.length < 2) {
    ctx.problems.report(ErrorCode.OutOfRange, versionsNode, f.pathOf("versions"), "needs at least two versions (a baseline and a candidate)");
  }
  const baseline = f.string("baseline") ?? versions[0]?.version;
  if (baseline !== undefined && versionsNode !== undefined && !versionsNode.entries.some((e) => e.key === baseline)) {
    ctx.problems.report(ErrorCode.OutOfRange, f.get("baseline") ?? withNode, f.pathOf("baseline"), `${JSON.stringify(baseline)} is not one of the versions (${versionsNode.entries.map((e) => e.key).join(", ")})`);
  }
  const base = common(f, false);
  if (ctx.problems.count > before || baseline === undefined) return undefined;
  return { task: TaskName.Traffic, ...base, pattern, maxIncrement, onFinish, baseline, versions };
}
