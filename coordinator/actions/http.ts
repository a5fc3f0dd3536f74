/** One HTTP exchange of a webhook-style action, with the answer classified for retries. */
import { fetch } from "undici";
import type { Response } from "undici";
import { findTargetNotAllowed } from "../../core/index.js";
import type { TaskContext } from "../tasks/types.js";
import { AttemptFailure } from "./common.js";

/** Who sends: the task (its policy's allow-list applies) and the field that named the URL, e.g. `url`. */
export interface HttpSender {
  readonly context: Pick<TaskContext, "policy" | "entry">;
  readonly field: string;
}

export interface HttpCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | undefined;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The response body, at most RESPONSE_BODY_LIMIT characters. */
  readonly body: string;
}

/** How much of a response body is kept (for success checks and error messages). */
export const RESPONSE_BODY_LIMIT = 4096;

/**
 * Sends one request; network errors become retryable AttemptFailures (messages name no URL). In
 * the coordinator service the request goes through its allow-list: a refused host is a
 * TargetNotAllowedError naming `spec[i].with.<field>` and the task, never retried.
 */
export async function sendHttp(call: HttpCall, signal: AbortSignal, sender: HttpSender): Promise<HttpAnswer> {
  let response: Response;
  const egress = sender.context.policy.egress;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers: call.headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      signal,
      redirect: "manual",
      ...(egress ? { dispatcher: egress.dispatcher } : {}),
    });
  } catch (error) {
    const refusal = findTargetNotAllowed(error);
    const { entry } = sender.context;
    if (refusal && egress) throw refusal.withField(`spec[${entry.index}].with.${sender.field}`, entry.writtenName, egress.guard.allowList.patterns);
    throw new AttemptFailure(networkMessage(error), { retryable: true, cause: error });
  }
  let body: string;
  try {
    body = (await response.text()).slice(0, RESPONSE_BODY_LIMIT);
  } catch (error) {
    throw new AttemptFailure(`reading the response failed: ${networkMessage(error)}`, { retryable: true, status: response.status, cause: error });
  }
  return { status: response.status, headers: response.headers, body };
}

function networkMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    if (cause instanceof Error && "code" in cause && typeof cause.code === "string") return `${error.message} (${cause.code})`;
    return error.message;
  }
  return String(error);
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const dateMs = Date.parse(value);
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - Date.now());
}

/**
 * The usual classification of an HTTP answer that is not a success: 408, 429 and 5xx are worth
 * retrying (429 with its Retry-After), other statuses are not.
 */
export function failureOf(answer: HttpAnswer, expected: string): AttemptFailure {
  const retryable = answer.status === 408 || answer.status === 429 || answer.status >= 500;
  const snippet = answer.body.trim().slice(0, 200);
  const after = answer.status === 429 ? retryAfterMs(answer.headers) : undefined;
  return new AttemptFailure(`HTTP ${answer.status}${snippet ? ` ${JSON.stringify(snippet)}` : ""}, expected ${expected}`, {
    retryable,
    status: answer.status,
    ...(after === undefined ? {} : { retryAfterMs: after }),
  });
}
