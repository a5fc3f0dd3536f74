/**
 * `github`: a repository_dispatch event (POST /repos/{owner}/{repo}/dispatches with
 * `{event_type, client_payload}`), or, when `workflow` is set, a workflow_dispatch (POST
 * /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches with `{ref, inputs}`). Both answer
 * 204 on success. `apiUrl` points at GitHub Enterprise (default https://api.github.com).
 */
import { ErrorCode, ValidationError } from "../../core/index.js";
import type { GithubTaskSpec } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { planOf, secretsOf, withRetries } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";
import { failureOf, sendHttp } from "./http.js";
import { parseJson, renderPayload } from "./payload.js";
import { nonEmptyCredential, resolveReferences } from "./secrets.js";
import { summarize, summaryText } from "./template-data.js";

/** GitHub's limit on client_payload's top-level properties. */
export const CLIENT_PAYLOAD_MAX_KEYS = 10;
/** event_type when the task gives none. */
export const DEFAULT_EVENT_TYPE = "assay";
/** Branch or tag of a workflow_dispatch when the task gives no `ref`. */
export const DEFAULT_REF = "main";
export const GITHUB_API_VERSION = "2022-11-28";

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The default client_payload: the result's summary (8 keys). */
function defaultClientPayload(context: TaskContext): Record<string, unknown> {
  const summary = summarize(context.result);
  return {
    experiment: summary.experiment,
    completed: summary.completed,
    failure: summary.failure,
    versions: summary.versions,
    winner: summary.winner,
    weights: summary.weights,
    slosSatisfied: summary.slosSatisfied,
    summary: summaryText(context.result),
  };
}

async function dispatchBody(spec: GithubTaskSpec, context: TaskContext): Promise<Record<string, unknown>> {
  let parsed: Record<string, unknown> | undefined;
  if (spec.payloadTemplate !== undefined) {
    const value = parseJson(await renderPayload(spec.payloadTemplate, context));
    if (!isObject(value)) {
      throw new ValidationError(ErrorCode.WrongType, "github: the rendered payloadTemplate must be a JSON object", { field: "payloadTemplate" });
    }
    parsed = value;
  }
  if (spec.workflow !== undefined) {
    return { ref: spec.ref ?? DEFAULT_REF, ...(parsed === undefined ? {} : { inputs: parsed }) };
  }
  // Iter8's github payload templates render the whole body ({event_type, client_payload}).
  const whole = parsed !== undefined && (Object.hasOwn(parsed, "event_type") || Object.hasOwn(parsed, "client_payload"));
  const writtenType = whole ? parsed?.["event_type"] : undefined;
  const eventType = typeof writtenType === "string" ? writtenType : (spec.eventType ?? DEFAULT_EVENT_TYPE);
  const clientPayload: unknown = whole ? (parsed?.["client_payload"] ?? {}) : (parsed ?? defaultClientPayload(context));
  if (!isObject(clientPayload)) {
    throw new ValidationError(ErrorCode.WrongType, "github: client_payload must be a JSON object", { field: "payloadTemplate" });
  }
  const keys = Object.keys(clientPayload);
  if (keys.length > CLIENT_PAYLOAD_MAX_KEYS) {
    throw new ValidationError(
      ErrorCode.OutOfRange,
      `github: client_payload has ${keys.length} top-level keys (${keys.join(", ")}); GitHub accepts at most ${CLIENT_PAYLOAD_MAX_KEYS}`,
      { field: "payloadTemplate", suggestion: "nest the extra fields under one key" },
    );
  }
  return { event_type: eventType, client_payload: clientPayload };
}

export async function runGithub(spec: GithubTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  const token = nonEmptyCredential(await resolveReferences(spec.token, context.secrets, { whole: true }), { task: "github", field: "token", written: spec.token });
  const secrets = secretsOf(context, [token]);
  const body = JSON.stringify(await dispatchBody(spec, context));
  const repoPath = `/repos/${encodeURIComponent(spec.owner)}/${encodeURIComponent(spec.repo)}`;
  const path = spec.workflow === undefined ? `${repoPath}/dispatches` : `${repoPath}/actions/workflows/${encodeURIComponent(spec.workflow)}/dispatches`;
  const apiUrl = (spec.apiUrl || "https://api.github.com").replace(/\/+$/, "");
  const kind = spec.workflow === undefined ? "repository_dispatch" : "workflow_dispatch";
  const headers = {
    Accept: "application/vnd.github+json",
    Authorization: `Bearer ${token}`,
    "X-GitHub-Api-Version": GITHUB_API_VERSION,
    "User-Agent": "assay",
    "Content-Type": "application/json",
  };
  const { value: answer, attempts } = await withRetries(
    { what: `github ${kind} POST ${apiUrl}${path}`, ...planOf(spec), options, context, secrets },
    async (signal) => {
      const answer = await sendHttp({ method: "POST", url: `${apiUrl}${path}`, headers, body }, signal, { context, field: "apiUrl" });
      if (answer.status !== 204) throw failureOf(answer, "204");
      return answer;
    },
  );
  return { attempts, detail: { dispatch: kind, path, status: answer.status, attempts } };
}
