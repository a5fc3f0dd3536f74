/** Rendering payload templates over the template data, and guessing their content type. */
import type { TemplateLimits } from "../../core/index.js";
import type { TaskContext } from "../tasks/types.js";
import { templateExecutor } from "./template-job.js";

/**
 * Renders `text` with the template data of the result so far, on the task's template executor
 * (the service's worker thread, or the calling thread in a local run). `field` names the template in
 * errors (`spec[2].with.payloadTemplate: 3:7: …`); `limits` overrides the default template budget
 * (the coordinator service passes its configured limits).
 */
export function renderPayload(text: string, context: TaskContext, field = "payloadTemplate", limits?: Partial<TemplateLimits>): Promise<string> {
  return templateExecutor(context).render({
    text,
    name: `spec[${context.entry.index}].with.${field}`,
    limits: limits ?? context.policy.templateLimits,
    data: { kind: "result", result: context.result, nowMs: Date.now(), uptimeSeconds: process.uptime() },
  });
}

/** The parsed JSON value of `text`, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

/** application/json when the body parses as JSON, else text/plain. */
export function contentTypeOf(body: string): string {
  return parseJson(body) === undefined ? "text/plain; charset=utf-8" : "application/json";
}

/** True when `headers` already sets the named header (case-insensitive). */
export function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((key) => key.toLowerCase() === lower);
}
