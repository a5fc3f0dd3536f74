/**
 * `cloudevent`: emits one CloudEvent (spec 1.0) over HTTP with the cloudevents library, in binary
 * mode (attributes as `ce-*` headers, data as the body) or structured mode (the whole event as
 * `application/cloudevents+json`). Data is the result's summary, or the rendered payloadTemplate.
 * Retries resend the same event (same id), so receivers can de-duplicate. Success is any 2xx.
 */
import { CloudEvent, HTTP } from "cloudevents";
import type { CloudEventTaskSpec } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { planOf, scrubText, secretsOf, withRetries } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";
import { failureOf, sendHttp } from "./http.js";
import { parseJson, renderPayload } from "./payload.js";
import { resolveReferences } from "./secrets.js";
import { summarize } from "./template-data.js";

export async function runCloudEvent(spec: CloudEventTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  const url = await resolveReferences(spec.url, context.secrets);
  const secrets = secretsOf(context);
  let data: unknown = summarize(context.result);
  let datacontenttype = "application/json";
  if (spec.payloadTemplate !== undefined) {
    const rendered = await renderPayload(spec.payloadTemplate, context);
    const parsed = parseJson(rendered);
    data = parsed ?? rendered;
    if (parsed === undefined) datacontenttype = "text/plain";
  }
  const event = new CloudEvent({ type: spec.type, source: spec.source, time: new Date().toISOString(), datacontenttype, data });
  const message = spec.mode === "structured" ? HTTP.structured(event) : HTTP.binary(event);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  const body = typeof message.body === "string" ? message.body : Buffer.isBuffer(message.body) ? new Uint8Array(message.body) : JSON.stringify(message.body);
  let shown = "[invalid url]";
  try {
    const parsed = new URL(url);
    shown = scrubText(`${parsed.origin}${parsed.pathname}`, secrets);
  } catch {
    // fetch reports the bad URL on the attempt
  }
  const { value: answer, attempts } = await withRetries(
    { what: `cloudevent ${spec.mode} POST ${shown}`, ...planOf(spec), options, context, secrets },
    async (signal) => {
      const answer = await sendHttp({ method: "POST", url, headers, body }, signal, { context, field: "url" });
      if (answer.status < 200 || answer.status > 299) throw failureOf(answer, "2xx");
      return answer;
    },
  );
  return { attempts, detail: { id: event.id, type: event.type, mode: spec.mode, url: shown, status: answer.status, attempts } };
}
