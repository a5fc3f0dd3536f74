/**
 * `notify` (Iter8): an HTTP request to any endpoint. Method defaults to GET without a payload and
 * POST with one; `params` become the query string; the rendered payloadTemplate is the body
 * (application/json when it parses as JSON, else text/plain, unless a Content-Type header is
 * given). Success is any 2xx.
 */
import { ValidationError, ErrorCode } from "../../core/index.js";
import type { NotifyTaskSpec } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { planOf, scrubText, secretsOf, withRetries } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";
import { failureOf, sendHttp } from "./http.js";
import { contentTypeOf, hasHeader, renderPayload } from "./payload.js";
import { resolveMap, resolveReferences } from "./secrets.js";

export async function runNotify(spec: NotifyTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  const url = await resolveReferences(spec.url, context.secrets);
  const headers = await resolveMap(spec.headers, context.secrets);
  const params = await resolveMap(spec.params, context.secrets);
  const body = spec.payloadTemplate === undefined ? undefined : await renderPayload(spec.payloadTemplate, context);
  const method = (spec.method || (body === undefined ? "GET" : "POST")).toUpperCase();
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    throw new ValidationError(ErrorCode.WrongType, scrubText(`notify: url ${url} is not a valid URL`, secretsOf(context)), { field: "url", cause: error });
  }
  for (const [key, value] of Object.entries(params)) target.searchParams.append(key, value);
  if (body !== undefined && !hasHeader(headers, "content-type")) headers["Content-Type"] = contentTypeOf(body);
  const shown = `${target.origin}${target.pathname}`;
  const secrets = secretsOf(context);
  const { value: answer, attempts } = await withRetries(
    { what: scrubText(`notify ${method} ${shown}`, secrets), ...planOf(spec), options, context, secrets },
    async (signal) => {
      const answer = await sendHttp({ method, url: target.toString(), headers, body }, signal, { context, field: "url" });
      if (answer.status < 200 || answer.status > 299) throw failureOf(answer, "2xx");
      return answer;
    },
  );
  return { attempts, detail: { method, url: scrubText(shown, secrets), status: answer.status, attempts } };
}
