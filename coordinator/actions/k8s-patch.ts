/**
 * `k8s-patch`: patches any Kubernetes object, the patch being a template rendered with the
 * template data (e.g. an Istio VirtualService's route weights from `.Weights`).
 *   json   application/json-patch+json  (RFC 6902; `test` operations guard the patch: when one
 *          fails the API answers 422 and nothing changes)
 *   merge  application/merge-patch+json (RFC 7386)
 *   apply  application/apply-patch+yaml (server-side apply, fieldManager=assay, force=true so
 *          Assay takes over the fields it sets)
 * The object is named by apiVersion + kind (resolved to its resource through API discovery) or
 * apiVersion + resource (no discovery; namespaced when a namespace is given).
 */
import { parse as parseYaml } from "yaml";
import { ErrorCode, ValidationError } from "../../core/index.js";
import type { K8sPatchTaskSpec } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { AttemptFailure, planOf, secretsOf, withRetries } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";
import { discoverResource, kubeClient, objectPath } from "./kube.js";
import type { KubeAnswer, ResourceInfo } from "./kube.js";
import { renderPayload } from "./payload.js";

export const FIELD_MANAGER = "assay";

const CONTENT_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

async function renderPatch(spec: K8sPatchTaskSpec, context: TaskContext): Promise<unknown> {
  const rendered = await renderPayload(spec.patchTemplate, context, "patch");
  let patch: unknown;
  try {
    patch = parseYaml(rendered) as unknown;
  } catch (error) {
    throw new ValidationError(ErrorCode.BadTemplate, `k8s-patch: the rendered patch is not YAML or JSON: ${error instanceof Error ? error.message : String(error)}`, { field: "patch", cause: error });
  }
  if (spec.patchType === "json") {
    if (!Array.isArray(patch) || patch.some((op) => op === null || typeof op !== "object" || typeof (op as { op?: unknown }).op !== "string" || typeof (op as { path?: unknown }).path !== "string")) {
      throw new ValidationError(ErrorCode.WrongType, "k8s-patch: a json patch must be a list of operations {op, path, value?}", { field: "patch" });
    }
    return patch;
  }
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
    throw new ValidationError(ErrorCode.WrongType, `k8s-patch: a ${spec.patchType} patch must be an object`, { field: "patch" });
  }
  if (spec.patchType === "apply") {
    const object = patch as Record<string, unknown>;
    const metadata = (object["metadata"] ?? {}) as Record<string, unknown>;
    const kind = object["kind"] ?? spec.kind;
    if (typeof kind !== "string") throw new ValidationError(ErrorCode.MissingField, "k8s-patch: server-side apply needs `kind` (in the task or in the patch)", { field: "kind" });
    return {
      ...object,
      apiVersion: object["apiVersion"] ?? spec.apiVersion,
      kind,
      metadata: { ...metadata, name: metadata["name"] ?? spec.name, ...(spec.namespace ? { namespace: metadata["namespace"] ?? spec.namespace } : {}) },
    };
  }
  return patch;
}

function describeObject(spec: K8sPatchTaskSpec): string {
  return `${spec.kind ?? spec.resource ?? "object"}.${spec.apiVersion} ${spec.namespace ? `${spec.namespace}/` : ""}${spec.name}`;
}

function patchFailure(answer: KubeAnswer, patchType: K8sPatchTaskSpec["patchType"]): AttemptFailure {
  let reason = "";
  try {
    const status = JSON.parse(answer.body) as { message?: unknown };
    if (typeof status.message === "string") reason = status.message.slice(0, 300);
  } catch {
    reason = answer.body.slice(0, 200);
  }
  const guard = patchType === "json" && answer.status === 422 ? " (a test operation failed or the patch does not apply)" : "";
  return new AttemptFailure(`HTTP ${answer.status}${guard}${reason ? `: ${reason}` : ""}`, {
    retryable: answer.status === 429 || answer.status >= 500,
    status: answer.status,
  });
}

export async function runK8sPatch(spec: K8sPatchTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  if (spec.kind === undefined && spec.resource === undefined) {
    throw new ValidationError(ErrorCode.MissingField, "k8s-patch: give `kind` or `resource`", { field: "kind" });
  }
  const body = JSON.stringify(await renderPatch(spec, context));
  const client = await kubeClient(context.policy.kubeconfig);
  const secrets = secretsOf(context);
  const contentType = CONTENT_TYPES[spec.patchType];
  const query: Record<string, string> = { fieldManager: FIELD_MANAGER };
  if (spec.patchType === "apply") query["force"] = "true";
  let resource: ResourceInfo | undefined = spec.resource === undefined ? undefined : { name: spec.resource, namespaced: spec.namespace !== undefined };
  let path = "";
  const { value: answer, attempts } = await withRetries(
    { what: `k8s-patch ${spec.patchType} ${describeObject(spec)}`, ...planOf(spec), options, context, secrets },
    async (signal) => {
      resource ??= await discoverResource(client, spec.apiVersion, spec.kind ?? "", signal);
      const namespace = resource.namespaced ? (spec.namespace ?? client.defaultNamespace) : undefined;
      path = objectPath(spec.apiVersion, resource.name, spec.name, namespace);
      const answer = await client.request({ method: "PATCH", path, query, body, contentType }, signal);
      if (answer.status === 404) throw new AttemptFailure(`HTTP 404: ${describeObject(spec)} not found`, { retryable: false, status: 404 });
      if (answer.status < 200 || answer.status > 299) throw patchFailure(answer, spec.patchType);
      return answer;
    },
  );
  let resourceVersion: string | undefined;
  try {
    const object = JSON.parse(answer.body) as { metadata?: { resourceVersion?: unknown } };
    if (typeof object.metadata?.resourceVersion === "string") resourceVersion = object.metadata.resourceVersion;
  } catch {
    // the patch was applied; the answer's body is informational
  }
  return {
    attempts,
    detail: { patchType: spec.patchType, contentType, path, status: answer.status, attempts, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
  };
}
