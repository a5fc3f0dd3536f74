/**
 * `traffic` (docs/progressive.md): each loop reads the versions' weights from the cluster, decides
 * the next ones from the assessment (traffic-split.ts) and writes them with one JSON patch per
 * object. Every patch first tests the values it read, so a weight someone changed in between is
 * read again (the attempt is retried) instead of overwritten.
 */
import type { ResultDocument, TrafficTaskSpec, TrafficWeightRef } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { AttemptFailure, planOf, secretsOf, withRetries } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";
import { discoverResource, kubeClient, objectPath } from "./kube.js";
import type { KubeClient, ResourceInfo } from "./kube.js";
import { FIELD_MANAGER } from "./k8s-patch.js";
import { decideTraffic } from "./traffic-split.js";

interface WeightObject {
  readonly ref: TrafficWeightRef;
  /** The versions whose weight is in this object. */
  readonly fields: { readonly version: string; readonly pointer: string }[];
  path: string;
  body: unknown;
}

function objectKey(ref: TrafficWeightRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ""}|${ref.name}`;
}

function describe(ref: TrafficWeightRef): string {
  return `${ref.kind}.${ref.apiVersion} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}

/** The value at a JSON pointer, or undefined. */
export function valueAt(document: unknown, pointer: string): unknown {
  let current = document;
  for (const raw of pointer.split("/").slice(1)) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(current)) current = current[Number(token)];
    else if (current !== null && typeof current === "object") current = (current as Record<string, unknown>)[token];
    else return undefined;
  }
  return current;
}

function failingVersions(result: Readonly<ResultDocument>): Set<string> {
  const failing = new Set<string>();
  for (const slo of result.slos) for (const [version, ok] of Object.entries(slo.satisfied)) if (!ok) failing.add(version);
  return failing;
}

function recommendedWeights(result: Readonly<ResultDocument>): Record<string, number> | undefined {
  const weights = result.assessment?.["weights"];
  if (weights === null || typeof weights !== "object") return undefined;
  const out: Record<string, number> = {};
  for (const [version, weight] of Object.entries(weights)) if (typeof weight === "number") out[version] = weight;
  return out;
}

async function readObjects(client: KubeClient, objects: readonly WeightObject[], signal: AbortSignal, resources: Map<string, ResourceInfo>): Promise<Record<string, number>> {
  const current: Record<string, number> = {};
  for (const object of objects) {
    const { ref } = object;
    const resourceKey = `${ref.apiVersion}|${ref.kind}`;
    const resource = resources.get(resourceKey) ?? (await discoverResource(client, ref.apiVersion, ref.kind, signal));
    resources.set(resourceKey, resource);
    object.path = objectPath(ref.apiVersion, resource.name, ref.name, resource.namespaced ? (ref.namespace ?? client.defaultNamespace) : undefined);
    const answer = await client.request({ method: "GET", path: object.path }, signal);
    if (answer.status === 404) throw new AttemptFailure(`${describe(ref)} not found`, { retryable: false, status: 404 });
    if (answer.status !== 200) throw new AttemptFailure(`reading ${describe(ref)}: HTTP ${answer.status}`, { retryable: answer.status === 429 || answer.status >= 500, status: answer.status });
    object.body = JSON.parse(answer.body) as unknown;
    for (const field of object.fields) {
      const value = valueAt(object.body, field.pointer);
      current[field.version] = typeof value === "number" ? value : 0;
    }
  }
  return current;
}

/** One JSON patch for the object: test what was read, then set each weight that changes. */
function patchOf(object: WeightObject, weights: Readonly<Record<string, number>>): unknown[] {
  const ops: unknown[] = [];
  for (const field of object.fields) {
    const before = valueAt(object.body, field.pointer);
    const next = weights[field.version] ?? 0;
    if (before === next) continue;
    if (before !== undefined) ops.push({ op: "test", path: field.pointer, value: before });
    ops.push({ op: "add", path: field.pointer, value: next });
  }
  return ops;
}

export async function runTraffic(spec: TrafficTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  const client = await kubeClient(context.policy.kubeconfig);
  const byKey = new Map<string, WeightObject>();
  for (const { version, ref } of spec.versions) {
    const key = objectKey(ref);
    const object = byKey.get(key) ?? { ref, fields: [], path: "", body: undefined };
    object.fields.push({ version, pointer: ref.pointer });
    byKey.set(key, object);
  }
  const objects = [...byKey.values()];
  const versions = spec.versions.map((v) => v.version);
  const resources = new Map<string, ResourceInfo>();
  const loop = context.loop;
  const { value, attempts } = await withRetries(
    { what: `traffic (${spec.pattern})`, ...planOf(spec), options, context, secrets: secretsOf(context) },
    async (signal) => {
      const current = await readObjects(client, objects, signal, resources);
      const decision = decideTraffic({
        spec,
        versions,
        current,
        recommended: recommendedWeights(context.result),
        failing: failingVersions(context.result),
        winner: typeof context.result.assessment?.["winner"] === "string" ? context.result.assessment["winner"] : null,
        last: loop?.last ?? true,
      });
      const patched: string[] = [];
      for (const object of objects) {
        const ops = patchOf(object, decision.weights);
        if (ops.length === 0) continue;
        const answer = await client.request(
          { method: "PATCH", path: object.path, query: { fieldManager: FIELD_MANAGER }, body: JSON.stringify(ops), contentType: "application/json-patch+json" },
          signal,
        );
        // 422 on a test operation: the weights changed since they were read; read them again.
        if (answer.status === 422 || answer.status === 409) throw new AttemptFailure(`${describe(object.ref)} changed while the weights were written (HTTP ${answer.status})`, { retryable: true, status: answer.status });
        if (answer.status < 200 || answer.status > 299) throw new AttemptFailure(`patching ${describe(object.ref)}: HTTP ${answer.status}`, { retryable: answer.status === 429 || answer.status >= 500, status: answer.status });
        patched.push(describe(object.ref));
      }
      return { current, decision, patched };
    },
  );
  context.setResultField("traffic", {
    pattern: spec.pattern,
    before: value.current,
    weights: value.decision.weights,
    action: value.decision.action,
    loop: loop?.number ?? 1,
    reasons: value.decision.reasons,
  });
  return {
    attempts,
    detail: { pattern: spec.pattern, action: value.decision.action, before: value.current, weights: value.decision.weights, patched: value.patched, reasons: value.decision.reasons },
  };
}
