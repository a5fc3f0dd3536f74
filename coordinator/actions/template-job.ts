/**
 * Executing one run-time template job (TemplateJob, coordinator/tasks/types.ts): the same code on
 * the calling thread (local runs) and in the service's template worker (coordinator/isolation).
 */
import { compileTemplate } from "../../core/index.js";
import type { TemplateExecutor, TaskContext, TemplateJob } from "../tasks/types.js";
import { templateData } from "./template-data.js";

/** Renders the job's template over its data, within its limits; throws the template's ValidationError. */
export function runTemplateJob(job: TemplateJob): string {
  const data = job.data.kind === "json" ? job.data.value : templateData(job.data.result, { nowMs: job.data.nowMs, uptimeSeconds: job.data.uptimeSeconds });
  return compileTemplate(job.text, { name: job.name, limits: job.limits }).render(data);
}

/** Runs jobs on the calling thread. */
export const INLINE_TEMPLATE_EXECUTOR: TemplateExecutor = {
  render: (job) => {
    try {
      return Promise.resolve(runTemplateJob(job));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  },
};

/** The executor a task's templates run on: the policy's (the service's worker), else the calling thread. */
export function templateExecutor(context: Pick<TaskContext, "policy">): TemplateExecutor {
  return context.policy.templates ?? INLINE_TEMPLATE_EXECUTOR;
}
