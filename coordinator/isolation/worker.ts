/**
 * Worker-thread entry of the isolated parser (parse.ts): says `ready` once loaded, then parses each
 * request it is sent and posts the model back, or the error's parts (class instances do not cross
 * the thread boundary).
 */
import { parentPort } from "node:worker_threads";
import { ExperimentValidationError, parseExperimentText, toAssayError } from "../../core/index.js";
import type { ExperimentProblem, SourceLocation } from "../../core/index.js";
import type { Experiment } from "../../core/index.js";

export interface ParseRequest {
  readonly text: string;
  readonly source: string;
  readonly overrides: readonly string[];
  readonly baseDir: string;
  /** The service's declared secret files (ParseOptions.readableFiles); undefined = any file. */
  readonly readableFiles?: readonly string[] | undefined;
}

export interface SerializedError {
  readonly kind: string;
  readonly code: string;
  readonly message: string;
  readonly field: string | undefined;
  readonly location: SourceLocation | undefined;
  readonly suggestion: string | undefined;
  readonly problems: readonly ExperimentProblem[] | undefined;
}

export type ParseResponse = { readonly ok: true; readonly experiment: Experiment } | { readonly ok: false; readonly error: SerializedError };

/** main → worker */
export interface WorkerRequest {
  readonly id: number;
  readonly request: ParseRequest;
}

/** worker → main: `ready` once, then one answer per request. */
export type WorkerMessage = { readonly type: "ready" } | { readonly type: "parsed"; readonly id: number; readonly response: ParseResponse };

function respond(request: ParseRequest): ParseResponse {
  try {
    return { ok: true, experiment: parseExperimentText(request.text, request.source, { overrides: request.overrides, baseDir: request.baseDir, ...(request.readableFiles ? { readableFiles: request.readableFiles } : {}) }) };
  } catch (caught) {
    const error = toAssayError(caught);
    return {
      ok: false,
      error: {
        kind: error.kind,
        code: error.code,
        message: error.message,
        field: error.field,
        location: error.location,
        suggestion: error.suggestion,
        problems: caught instanceof ExperimentValidationError ? caught.problems : undefined,
      },
    };
  }
}

const port = parentPort;
if (port) {
  port.on("message", (message: WorkerRequest) => {
    const answer: WorkerMessage = { type: "parsed", id: message.id, response: respond(message.request) };
    port.postMessage(answer);
  });
  const ready: WorkerMessage = { type: "ready" };
  port.postMessage(ready);
}
