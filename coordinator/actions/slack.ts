/**
 * `slack`: a Slack incoming webhook. POST JSON `{text, blocks}` with a readable summary, or the
 * rendered payloadTemplate (sent as is when it is JSON, else as `{text}`). Success is HTTP 200
 * with body `ok`; 429 waits Retry-After before the next attempt. The webhook URL is a secret: it
 * appears only as `https://host/…`.
 */
import type { SlackTaskSpec } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { AttemptFailure, planOf, redactUrl, secretsOf, withRetries } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";
import { failureOf, sendHttp } from "./http.js";
import { parseJson, renderPayload } from "./payload.js";
import { nonEmptyCredential, resolveReferences } from "./secrets.js";
import { slackMessage } from "./template-data.js";

export async function runSlack(spec: SlackTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  const url = nonEmptyCredential(await resolveReferences(spec.url, context.secrets, { whole: true }), { task: "slack", field: "url", written: spec.url });
  const secrets = secretsOf(context, [url]);
  let payload: unknown;
  if (spec.payloadTemplate === undefined) payload = slackMessage(context.result);
  else {
    const rendered = await renderPayload(spec.payloadTemplate, context);
    payload = parseJson(rendered) ?? { text: rendered };
  }
  const body = JSON.stringify(payload);
  const method = (spec.method || "POST").toUpperCase();
  const shown = redactUrl(url);
  const { value: answer, attempts } = await withRetries(
    { what: `slack ${method} ${shown}`, ...planOf(spec), options, context, secrets },
    async (signal) => {
      const answer = await sendHttp({ method, url, headers: { "Content-Type": "application/json" }, body }, signal, { context, field: "url" });
      if (answer.status !== 200) throw failureOf(answer, "200 ok");
      if (answer.body.trim() !== "ok") {
        throw new AttemptFailure(`HTTP 200 with body ${JSON.stringify(answer.body.trim().slice(0, 200))}, expected "ok"`, { retryable: false, status: 200 });
      }
      return answer;
    },
  );
  return { attempts, detail: { webhook: shown, status: answer.status, attempts } };
}
