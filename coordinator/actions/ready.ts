/**
 * `ready` (Iter8): waits until a Kubernetes object exists and, when `condition` is given, has
 * `status.conditions[type=condition].status == "True"` (with Iter8 v1.x's `conditions` list: any
 * one of them "True", as its base/readiness.go). Polls with a growing interval until
 * `timeoutMs` (default 60 s), then fails naming what was missing.
 */
import { retry } from "../../core/index.js";
import type { ReadyTaskSpec } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { ActionFailedError, AttemptFailure, scrubText, secretsOf, throwIfCancelled } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";
import { kubeClient, objectPath } from "./kube.js";

export const READY_DEFAULT_TIMEOUT_MS = 60_000;
/** Timeout of one poll request (ms), bounded by what is left of the task's timeout. */
const POLL_REQUEST_TIMEOUT_MS = 10_000;

interface Condition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
}

export async function runReady(spec: ReadyTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  const client = await kubeClient(context.policy.kubeconfig);
  const secrets = secretsOf(context);
  const apiVersion = spec.group ? `${spec.group}/${spec.version}` : spec.version;
  const namespace = spec.namespace ?? client.defaultNamespace;
  const path = objectPath(apiVersion, spec.resource, spec.name, namespace);
  const what = `${spec.resource}${spec.group ? `.${spec.group}` : ""}/${spec.version} ${namespace}/${spec.name}`;
  const timeoutMs = spec.timeoutMs ?? READY_DEFAULT_TIMEOUT_MS;
  const wanted = spec.conditions ?? (spec.condition ? [spec.condition] : []);
  const deadlineMs = Date.now() + timeoutMs;
  let polls = 0;
  let missing = "no answer yet";
  let observed: string | undefined;
  const poll = async (n: number): Promise<TaskOutcome> => {
    polls = n;
    const leftMs = Math.max(1, deadlineMs - Date.now());
    try {
      const answer = await client.request({ method: "GET", path }, AbortSignal.any([context.signal, AbortSignal.timeout(Math.min(POLL_REQUEST_TIMEOUT_MS, leftMs))]));
      missing = evaluate(answer.status, answer.body, wanted) ?? "";
      observed = missing;
    } catch (error) {
      throwIfCancelled(context.signal, `ready ${what}`);
      // A poll cut short by the task's own deadline says nothing new about the object: keep what
      // the last answer said (e.g. "condition Available is False") rather than the abort.
      const cutByDeadline = Date.now() >= deadlineMs && observed !== undefined;
      if (!cutByDeadline) missing = error instanceof AttemptFailure ? error.message : error instanceof Error ? error.message : String(error);
    }
    if (missing !== "") throw new NotReady(missing);
    return { attempts: n, detail: { object: what, ...(wanted.length > 0 ? { condition: wanted.join(" or ") } : {}), polls: n, waitedMs: timeoutMs - Math.max(0, deadlineMs - Date.now()) } };
  };
  try {
    return await retry(poll, {
      deadlineMs,
      baseDelayMs: options.readyPollBaseMs,
      maxDelayMs: options.readyPollCapMs,
      jitter: false,
      signal: context.signal,
      shouldRetry: (error) => error instanceof NotReady,
      onRetry: ({ attempt }) => context.emit({ type: "ready-wait", message: scrubText(`ready ${what}: ${missing}`, secrets), data: { polls: attempt } }),
    });
  } catch (error) {
    throwIfCancelled(context.signal, `ready ${what}`);
    if (!(error instanceof NotReady)) throw error;
  }
  const message = scrubText(`ready ${what}: not ready after ${timeoutMs} ms (${polls} polls): ${missing}`, secrets);
  throw new ActionFailedError(message, polls, { object: what, polls, error: scrubText(missing, secrets) });
}

/** A poll found the object not ready (yet): `message` says what is missing. */
class NotReady extends Error {}

/** Undefined when ready (exists, and any wanted condition is "True"), else what is missing. */
function evaluate(status: number, body: string, wanted: readonly string[]): string | undefined {
  if (status === 404) return "the object does not exist";
  if (status !== 200) return `the API answered HTTP ${status}`;
  if (wanted.length === 0) return undefined;
  let conditions: unknown;
  try {
    conditions = (JSON.parse(body) as { status?: { conditions?: unknown } }).status?.conditions;
  } catch {
    return "the API answered something that is not JSON";
  }
  const problems = wanted.map((condition) => conditionProblem(conditions, condition));
  return problems.includes(undefined) ? undefined : problems.join("; ");
}

function conditionProblem(conditions: unknown, condition: string): string | undefined {
  const found = Array.isArray(conditions) ? (conditions as Condition[]).find((entry) => entry.type === condition) : undefined;
  if (!found) return `the object has no ${condition} condition`;
  if (found.status === "True") return undefined;
  const why = [found.reason, found.message].filter((part) => typeof part === "string" && part !== "").join(": ");
  return `condition ${condition} is ${String(found.status)}${why ? ` (${why})` : ""}`;
}
