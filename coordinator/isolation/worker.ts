/**
 * Worker-thread entry of the isolation threads (thread.ts): says `ready` once loaded, then runs
 * each job it is sent — an experiment to parse (parse.ts) or a run-time template to render
 * (render.ts) — and posts the value back, or the error's parts (errors.ts).
 */
import { parentPort } from "node:worker_threads";
import { parseExperimentText } from "../../core/index.js";
import type { Experiment } from "../../core/index.js";
import { runTemplateJob } from "../actions/index.js";
import type { TemplateJob } from "../tasks/types.js";
import { serializeError } from "./errors.js";
import type { SerializedError } from "./errors.js";

export interface ParseRequest {
  readonly text: string;
  readonly source: string;
  readonly overrides: readonly string[];
  readonly baseDir: string;
  /** The service's declared secret files (ParseOptions.readableFiles); undefined = any file. */
  readonly readableFiles?: readonly string[] | undefined;
}

/** What a worker can be asked to do, and what each answers. */
export type IsolatedJob = { readonly kind: "parse"; readonly request: ParseRequest } | { readonly kind: "render"; readonly job: TemplateJob };

export type JobResponse = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: SerializedError };

/** main → worker */
export interface WorkerRequest {
  readonly id: number;
  readonly job: IsolatedJob;
}

/** worker → main: `ready` once, then one answer per request. */
export type WorkerMessage = { readonly type: "ready" } | { readonly type: "done"; readonly id: number; readonly response: JobResponse };

function parse(request: ParseRequest): Experiment {
  return parseExperimentText(request.text, request.source, {
    overrides: request.overrides,
    baseDir: request.baseDir,
    ...(request.readableFiles ? { readableFiles: request.readableFiles } : {}),
  });
}

function respond(job: IsolatedJob): JobResponse {
  try {
    return { ok: true, value: job.kind === "parse" ? parse(job.request) : runTemplateJob(job.job) };
  } catch (caught) {
    return { ok: false, error: serializeError(caught) };
  }
}

const port = parentPort;
if (port) {
  port.on("message", (message: WorkerRequest) => {
    const answer: WorkerMessage = { type: "done", id: message.id, response: respond(message.job) };
    port.postMessage(answer);
  });
  const ready: WorkerMessage = { type: "ready" };
  port.postMessage(ready);
}
