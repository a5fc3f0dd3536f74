import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ErrorCode } from "../../errors.js";
import type { ParseContext } from "../fields.js";
import { Count, Fields, checkMap, checkString, checkStringMap, checkTemplate } from "../fields.js";
import { TaskName } from "../model.js";
import { isDatabaseForm, parseDatabaseForm } from "./collect-database.js";
import type {
  ActionCommon,
  CloudEventTaskSpec,
  CustomMetricsTaskSpec,
  GithubTaskSpec,
  K8sPatchTaskSpec,
  NotifyTaskSpec,
  ReadyTaskSpec,
  RunTaskSpec,
  SlackTaskSpec,
} from "../model.js";
import { childPath } from "../problems.js";
import type { TreeNode } from "../tree.js";
import { toPlain } from "../tree.js";

/** Defaults of the action tasks (Iter8's where it has them); the grpc task's are GRPC_DEFAULTS (grpc.ts). */
export const TASK_DEFAULTS = {
  githubApiUrl: "https://api.github.com",
  githubEventType: "iter8",
  cloudEventType: "io.assay.experiment",
  cloudEventSource: "assay",
} as const;

const ACTION_FIELDS = ["softFailure", "timeout", "retries"] as const;

// ------------------------------------------------------------------------------------ custommetrics

/**
 * Loose checks only: the custom-metrics task owns its semantics. Known keys are type-checked,
 * unknown keys are kept in `raw`; `providers` stays empty until that task compiles them.
 */
export function parseCustomMetricsTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): CustomMetricsTaskSpec | undefined {
  if (withNode.kind !== "map" && !(withNode.kind === "scalar" && withNode.value === null)) {
    checkMap(ctx, withNode, path, `a map (the fields of ${what})`);
    return undefined;
  }
  const map = withNode.kind === "map" ? withNode : undefined;
  const known = map?.entries.map((e) => e.key) ?? [];
  const f = Fields.of(ctx, withNode, path, known, what);
  if (f === undefined) return undefined;
  if (isDatabaseForm(f)) return parseDatabaseForm(ctx, f, known);
  const before = ctx.problems.count;
  const templates = f.present("templates");
  if (templates !== undefined) checkStringMap(ctx, templates, f.pathOf("templates"));
  const providers = f.list("providers", "a list of provider maps");
  providers?.items.forEach((item, i) => checkMap(ctx, item, childPath(f.pathOf("providers"), i)));
  const values = f.map("values");
  const versionValues = f.list("versionValues", "a list of maps (one per version)");
  versionValues?.items.forEach((item, i) => {
    if (!(item.kind === "scalar" && item.value === null)) checkMap(ctx, item, childPath(f.pathOf("versionValues"), i));
  });
  if (ctx.problems.count > before) return undefined;
  return {
    task: TaskName.CustomMetrics,
    providers: [],
    values: values === undefined ? {} : (toPlain(values) as Record<string, unknown>),
    versionValues: (versionValues?.items ?? []).map((item) => (item.kind === "map" ? (toPlain(item) as Record<string, unknown>) : {})),
    raw: map === undefined ? {} : (toPlain(map) as Record<string, unknown>),
  };
}

// ------------------------------------------------------------------------------------ actions

export function actionFields(ctx: ParseContext, withNode: TreeNode, path: string, own: readonly string[], what: string): Fields | undefined {
  return Fields.of(ctx, withNode, path, [...own, ...ACTION_FIELDS], what);
}

export function common(f: Fields, softFailureDefault: boolean): ActionCommon {
  return {
    softFailure: f.boolean("softFailure") ?? softFailureDefault,
    timeoutMs: f.durationMs("timeout"),
    retries: f.count("retries", Count.retries),
  };
}

/**
 * `payloadTemplate`, the text of `payloadTemplateFile` (checked by the template hook), or
 * Iter8's `payloadTemplateURL`, fetched when the task runs (it wins over the others, as in Iter8).
 */
function payloadTemplate(ctx: ParseContext, f: Fields): { text: string | undefined; url: string | undefined } {
  if (f.has("payloadTemplate") && f.has("payloadTemplateFile")) {
    f.contradiction("payloadTemplate", "payloadTemplateFile", "write either {first} or payloadTemplateFile, not both");
    return { text: undefined, url: undefined };
  }
  const url = f.url("payloadTemplateURL");
  if (url !== undefined) return { text: undefined, url };
  const inline = f.string("payloadTemplate", { nonEmpty: false });
  if (inline !== undefined) {
    f.template("payloadTemplate", inline);
    return { text: inline, url: undefined };
  }
  const file = f.string("payloadTemplateFile");
  if (file === undefined) return { text: undefined, url: undefined };
  const fullPath = resolve(ctx.baseDir, file);
  const refused = ctx.fileAccess?.(fullPath, f.pathOf("payloadTemplateFile"));
  if (refused !== undefined) {
    ctx.problems.report(ErrorCode.SecretNotDeclared, f.get("payloadTemplateFile") ?? f.anchor, f.pathOf("payloadTemplateFile"), refused);
    return { text: undefined, url: undefined };
  }
  try {
    const text = readFileSync(fullPath, "utf8");
    f.template("payloadTemplateFile", text);
    return { text, url: undefined };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    ctx.problems.report(ErrorCode.FileNotFound, f.get("payloadTemplateFile") ?? f.anchor, f.pathOf("payloadTemplateFile"), `cannot read ${JSON.stringify(file)} (${fullPath}): ${reason}`);
    return { text: undefined, url: undefined };
  }
}

function urlField(url: string | undefined): { payloadTemplateURL?: string } {
  return url === undefined ? {} : { payloadTemplateURL: url };
}

const PAYLOAD_FIELDS = ["payloadTemplate", "payloadTemplateFile", "payloadTemplateURL"] as const;

function httpMethod(ctx: ParseContext, f: Fields, fallback: string): string {
  const method = f.string("method");
  if (method === undefined) return fallback;
  if (!/^[A-Za-z]+$/.test(method)) {
    ctx.problems.report(ErrorCode.OutOfRange, f.get("method") ?? f.anchor, f.pathOf("method"), `expected an HTTP method like GET or POST, got ${JSON.stringify(method)}`);
    return fallback;
  }
  return method.toUpperCase();
}

export function parseNotifyTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): NotifyTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["url", "method", "params", "headers", ...PAYLOAD_FIELDS], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const url = f.url("url", { required: true, secretReference: true });
  const params = f.stringMap("params") ?? {};
  const headers = f.headers("headers") ?? {};
  const template = payloadTemplate(ctx, f);
  const method = httpMethod(ctx, f, template.text === undefined && template.url === undefined ? "GET" : "POST");
  const base = common(f, false);
  if (ctx.problems.count > before || url === undefined) return undefined;
  return { task: TaskName.Notify, ...base, url, method, params, headers, payloadTemplate: template.text, ...urlField(template.url) };
}

export function parseSlackTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): SlackTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["url", "method", ...PAYLOAD_FIELDS], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const url = f.url("url", { required: true, secretReference: true });
  const template = payloadTemplate(ctx, f);
  const method = httpMethod(ctx, f, "POST");
  const base = common(f, true);
  if (ctx.problems.count > before || url === undefined) return undefined;
  return { task: TaskName.Slack, ...base, url, method, payloadTemplate: template.text, ...urlField(template.url) };
}

export function parseGithubTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): GithubTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["owner", "repo", "token", "eventType", "workflow", "ref", "apiUrl", ...PAYLOAD_FIELDS], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const owner = f.string("owner", { required: true });
  const repo = f.string("repo", { required: true });
  const token = f.string("token", { required: true, secretReference: true });
  if (f.has("eventType") && f.has("workflow")) {
    f.contradiction("eventType", "workflow", "eventType (repository_dispatch) and workflow (workflow_dispatch) are two different calls; write one");
  }
  const workflow = f.string("workflow");
  const eventType = f.string("eventType") ?? (workflow === undefined ? TASK_DEFAULTS.githubEventType : undefined);
  const ref = f.string("ref");
  const apiUrl = f.url("apiUrl") ?? TASK_DEFAULTS.githubApiUrl;
  const template = payloadTemplate(ctx, f);
  const base = common(f, false);
  if (ctx.problems.count > before || owner === undefined || repo === undefined || token === undefined) return undefined;
  return { task: TaskName.Github, ...base, owner, repo, token, eventType, workflow, ref, apiUrl, payloadTemplate: template.text, ...urlField(template.url) };
}

export function parseReadyTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): ReadyTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["name", "group", "version", "resource", "namespace", "condition", "conditions"], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const name = f.string("name", { required: true });
  const group = f.string("group", { nonEmpty: false }) ?? "";
  const version = f.string("version", { required: true });
  const resource = f.string("resource", { required: true });
  const namespace = f.string("namespace");
  const condition = f.string("condition");
  if (f.has("condition") && f.has("conditions")) f.contradiction("condition", "conditions", "write either {first} (Iter8 v0.10-v0.17) or conditions (v1.x), not both");
  const conditions = readyConditions(ctx, f);
  const base = common(f, false);
  if (ctx.problems.count > before || name === undefined || version === undefined || resource === undefined) return undefined;
  return { task: TaskName.Ready, ...base, name, group, version, resource, namespace, condition, ...(conditions !== undefined ? { conditions } : {}) };
}

/** Iter8 v1.x's `conditions: [type, …]` (base/readiness.go: ready when any of them is "True"). */
function readyConditions(ctx: ParseContext, f: Fields): string[] | undefined {
  const list = f.list("conditions", "a list of condition types");
  if (list === undefined) return undefined;
  return list.items.flatMap((item, i) => {
    const text = checkString(ctx, item, childPath(f.pathOf("conditions"), i));
    return text === undefined ? [] : [text];
  });
}

/** `run` written as a task (`task: run` + `with.command`); `run: <shell>` entries go through runEntry. */
export function parseRunTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): RunTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["command"], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const command = f.string("command", { required: true });
  const base = common(f, false);
  if (ctx.problems.count > before || command === undefined) return undefined;
  return { task: TaskName.Run, ...base, command };
}

export function runEntry(ctx: ParseContext, node: TreeNode, field: string): RunTaskSpec | undefined {
  const command = checkString(ctx, node, field);
  return command === undefined ? undefined : { task: TaskName.Run, softFailure: false, timeoutMs: undefined, retries: undefined, command };
}

export function parseK8sPatchTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): K8sPatchTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["apiVersion", "kind", "resource", "name", "namespace", "patchType", "patch"], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const apiVersion = f.string("apiVersion", { required: true });
  const kind = f.string("kind");
  const resource = f.string("resource");
  if (!f.has("kind") && !f.has("resource")) f.missing("kind", "needs kind or resource (which object to patch)");
  const name = f.string("name", { required: true });
  const namespace = f.string("namespace");
  const patchType = f.oneOf("patchType", ["json", "merge", "apply"] as const) ?? "merge";
  const patchNode = f.present("patch");
  let patchTemplate: string | undefined;
  if (patchNode === undefined) f.missing("patch");
  else if (patchNode.kind === "scalar" && typeof patchNode.value === "string") patchTemplate = patchNode.value;
  else if (patchNode.kind === "map" || patchNode.kind === "seq") {
    if (patchType === "json" && patchNode.kind === "map") {
      ctx.problems.report(ErrorCode.WrongType, patchNode, f.pathOf("patch"), "a JSON patch is a list of operations ({op, path, value}), got a map");
    }
    patchTemplate = JSON.stringify(toPlain(patchNode));
  } else checkString(ctx, patchNode, f.pathOf("patch"));
  if (patchTemplate !== undefined && patchNode !== undefined) checkTemplate(ctx, patchTemplate, f.pathOf("patch"), patchNode);
  const base = common(f, false);
  if (ctx.problems.count > before || apiVersion === undefined || name === undefined || patchTemplate === undefined) return undefined;
  return { task: TaskName.K8sPatch, ...base, apiVersion, kind, resource, name, namespace, patchType, patchTemplate };
}

export function parseCloudEventTask(ctx: ParseContext, withNode: TreeNode, path: string, what: string): CloudEventTaskSpec | undefined {
  const f = actionFields(ctx, withNode, path, ["url", "type", "source", "mode", ...PAYLOAD_FIELDS], what);
  if (f === undefined) return undefined;
  const before = ctx.problems.count;
  const url = f.url("url", { required: true, secretReference: true });
  const type = f.string("type") ?? TASK_DEFAULTS.cloudEventType;
  const source = f.string("source") ?? TASK_DEFAULTS.cloudEventSource;
  const mode = f.oneOf("mode", ["binary", "structured"] as const) ?? "binary";
  const template = payloadTemplate(ctx, f);
  const base = common(f, false);
  if (ctx.problems.count > before || url === undefined) return undefined;
  return { task: TaskName.CloudEvent, ...base, url, type, source, mode, payloadTemplate: template.text, ...urlField(template.url) };
}
