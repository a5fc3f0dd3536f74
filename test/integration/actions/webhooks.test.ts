import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { AssayError, ErrorCode } from "../../../core/index.js";
import type { CloudEventTaskSpec, GithubTaskSpec, NotifyTaskSpec, SlackTaskSpec } from "../../../core/index.js";
import { ActionFailedError, createSecretResolver } from "../../../coordinator/actions/index.js";
import { cleanupAll } from "../../harness/index.js";
import { common, fastRunners, makeContext, sampleResult, startReceiver } from "./context.js";
import type { Receiver } from "./context.js";

after(cleanupAll);

const SLACK_SECRET_PATH = "/services/T0001/B0002/sEcReTwEbHoOkToKeN";
const GITHUB_TOKEN = "ghp_s3cretTokenValue1234567890";

function notifySpec(url: string, extra: Partial<NotifyTaskSpec> = {}): NotifyTaskSpec {
  return { task: "notify", url, method: "", params: {}, headers: {}, payloadTemplate: undefined, ...common, ...extra };
}

function slackSpec(url: string, extra: Partial<SlackTaskSpec> = {}): SlackTaskSpec {
  return { task: "slack", url, method: "POST", payloadTemplate: undefined, ...common, softFailure: true, ...extra };
}

function githubSpec(apiUrl: string, extra: Partial<GithubTaskSpec> = {}): GithubTaskSpec {
  return {
    task: "github",
    owner: "acme",
    repo: "widgets",
    token: "${env:GH_TOKEN}",
    eventType: "assay-gate",
    workflow: undefined,
    ref: undefined,
    apiUrl,
    payloadTemplate: undefined,
    ...common,
    ...extra,
  };
}

async function expectActionFailure(promise: Promise<unknown>): Promise<ActionFailedError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ActionFailedError, `expected ActionFailedError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.ActionFailed);
    assert.equal(error.kind, "target");
    return error;
  }
  assert.fail("the action succeeded, a failure was expected");
}

function withReceiver(reply: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  return startReceiver(reply).then((receiver) => {
    after(() => receiver.close());
    return receiver;
  });
}

void describe("notify", () => {
  void it("sends GET with query params when there is no payload", async () => {
    const receiver = await withReceiver(() => ({ status: 204 }));
    const { context } = makeContext(notifySpec(`${receiver.url}/hook`));
    const outcome = await fastRunners.notify(notifySpec(`${receiver.url}/hook`, { params: { experiment: "canary", winner: "v2" }, headers: { "X-Team": "web" } }), context);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.method, "GET");
    assert.equal(request.url, "/hook?experiment=canary&winner=v2");
    assert.equal(request.headers["x-team"], "web");
    assert.equal(request.body, "");
    assert.equal(outcome.attempts, 1);
    assert.equal(outcome.detail?.["status"], 204);
  });

  void it("POSTs a rendered JSON payload as application/json and text as text/plain", async () => {
    const receiver = await withReceiver(() => ({ status: 200, body: "accepted" }));
    const jsonSpec = notifySpec(`${receiver.url}/events`, {
      payloadTemplate: '{"experiment": {{ .Name | quote }}, "winner": {{ .Winner | quote }}, "tasks": {{ .Report.NumTasks }}, "v2": {{ .Weights.v2 }}}',
    });
    await fastRunners.notify(jsonSpec, makeContext(jsonSpec).context);
    const textSpec = notifySpec(`${receiver.url}/text`, { payloadTemplate: "{{ .Name }} finished; winner {{ .Winner }}" });
    await fastRunners.notify(textSpec, makeContext(textSpec).context);
    const [json, text] = receiver.received;
    assert.ok(json && text);
    assert.equal(json.method, "POST");
    assert.equal(json.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(json.body), { experiment: "canary-reviews", winner: "v2", tasks: 3, v2: 80 });
    assert.equal(text.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(text.body, "canary-reviews finished; winner v2");
  });

  void it("retries a receiver that fails twice, then succeeds (3 attempts)", async () => {
    const receiver = await withReceiver((request) => (request.n <= 2 ? { status: 503, body: "busy" } : { status: 200 }));
    const spec = notifySpec(`${receiver.url}/flaky`);
    const { context, events } = makeContext(spec);
    const outcome = await fastRunners.notify(spec, context);
    assert.equal(outcome.attempts, 3);
    assert.equal(receiver.received.length, 3);
    assert.equal(events.filter((event) => event.type === "action-retry").length, 2);
    assert.match(events[0]?.message ?? "", /attempt 1 of 3 failed \(HTTP 503 "busy", expected 2xx\)/);
  });

  void it("does not retry a 4xx and reports status and attempts", async () => {
    const receiver = await withReceiver(() => ({ status: 400, body: "bad request" }));
    const spec = notifySpec(`${receiver.url}/bad`);
    const error = await expectActionFailure(fastRunners.notify(spec, makeContext(spec).context));
    assert.equal(error.attempts, 1);
    assert.equal(error.detail["status"], 400);
    assert.match(error.message, /failed after 1 attempt: HTTP 400/);
    assert.equal(receiver.received.length, 1);
  });

  void it("times out each attempt against a receiver that never answers, then fails in bounded time", async () => {
    const receiver = await withReceiver(() => "hang");
    const spec = notifySpec(`${receiver.url}/void`, { timeoutMs: 200, retries: 1 });
    const startMs = Date.now();
    const error = await expectActionFailure(fastRunners.notify(spec, makeContext(spec).context));
    const elapsedMs = Date.now() - startMs;
    assert.equal(error.attempts, 2);
    assert.match(error.message, /no answer within 200 ms/);
    assert.equal(receiver.received.length, 2);
    assert.ok(elapsedMs >= 350, `two 200 ms attempts took ${elapsedMs} ms`);
    assert.ok(elapsedMs < 5000, `failure took ${elapsedMs} ms`);
  });

  void it("stops promptly when the experiment is cancelled", async () => {
    const receiver = await withReceiver(() => "hang");
    const spec = notifySpec(`${receiver.url}/void`, { timeoutMs: 30_000 });
    const test = makeContext(spec);
    const running = fastRunners.notify(spec, test.context);
    setTimeout(() => test.abort(), 100);
    await assert.rejects(running, (error: unknown) => error instanceof AssayError && error.kind === "cancelled");
  });
});

void describe("slack", () => {
  void it("posts {text, blocks} with the summary, versions, SLO matrix and winner; the webhook URL stays secret", async () => {
    const receiver = await withReceiver(() => ({ status: 200, body: "ok" }));
    const webhook = `${receiver.url}${SLACK_SECRET_PATH}`;
    const secrets = createSecretResolver({ env: { SLACK_WEBHOOK: webhook } });
    const spec = slackSpec("${env:SLACK_WEBHOOK}");
    const test = makeContext(spec, { secrets });
    const outcome = await fastRunners.slack(spec, test.context);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.method, "POST");
    assert.equal(request.url, SLACK_SECRET_PATH);
    assert.equal(request.headers["content-type"], "application/json");
    const body = JSON.parse(request.body) as { text: string; blocks: Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }> };
    assert.deepEqual(Object.keys(body).sort(), ["blocks", "text"]);
    assert.match(body.text, /^Experiment canary-reviews: /);
    assert.match(body.text, /Versions: v1 \(baseline\), v2/);
    assert.match(body.text, /http\/latency-p95 <= 100: v1 ✓ 12\.50, v2 ✓ 9\.25/);
    assert.match(body.text, /Winner: v2 \(recommended split: v1 20%, v2 80%\)/);
    assert.equal(body.blocks[0]?.type, "header");
    assert.equal(body.blocks[0]?.text?.text, "Experiment canary-reviews");
    const sections = JSON.stringify(body.blocks);
    assert.match(sections, /\*SLOs\* \(all satisfied\)/);
    assert.match(sections, /\*Winner\*\\nv2/);
    assert.equal(outcome.detail?.["webhook"], `${receiver.url}/…`);
    const outputs = JSON.stringify(outcome) + test.logs() + JSON.stringify(test.events);
    assert.ok(!outputs.includes(SLACK_SECRET_PATH.slice(1)), "the webhook path leaked");
  });

  void it("sends a rendered payloadTemplate as is when it is JSON", async () => {
    const receiver = await withReceiver(() => ({ status: 200, body: "ok" }));
    const spec = slackSpec(`${receiver.url}/services/x`, { payloadTemplate: '{"text": "winner: {{ .Winner }}"}' });
    await fastRunners.slack(spec, makeContext(spec).context);
    assert.deepEqual(JSON.parse(receiver.received[0]?.body ?? ""), { text: "winner: v2" });
  });

  void it("honours Retry-After on 429", async () => {
    const receiver = await withReceiver((request) => (request.n === 1 ? { status: 429, headers: { "Retry-After": "1" }, body: "rate_limited" } : { status: 200, body: "ok" }));
    const spec = slackSpec(`${receiver.url}/services/x`);
    const startMs = Date.now();
    const outcome = await fastRunners.slack(spec, makeContext(spec).context);
    const elapsedMs = Date.now() - startMs;
    assert.equal(outcome.attempts, 2);
    assert.ok(elapsedMs >= 900, `waited only ${elapsedMs} ms after Retry-After: 1`);
  });

  void it("treats HTTP 200 without body ok as a failure", async () => {
    const receiver = await withReceiver(() => ({ status: 200, body: "invalid_payload" }));
    const spec = slackSpec(`${receiver.url}/services/x`);
    const error = await expectActionFailure(fastRunners.slack(spec, makeContext(spec).context));
    assert.match(error.message, /expected "ok"/);
    assert.equal(error.attempts, 1);
  });

  void it("a failure never shows the webhook URL, in the error, detail, events or logs", async () => {
    const receiver = await withReceiver(() => ({ status: 500, body: `upstream said ${SLACK_SECRET_PATH}` }));
    const webhook = `${receiver.url}${SLACK_SECRET_PATH}`;
    const secrets = createSecretResolver({ env: { SLACK_WEBHOOK: webhook } });
    const spec = slackSpec("env:SLACK_WEBHOOK", { retries: 1 });
    const test = makeContext(spec, { secrets });
    const error = await expectActionFailure(fastRunners.slack(spec, test.context));
    assert.equal(error.attempts, 2);
    const outputs = [error.message, JSON.stringify(error.detail), test.logs(), JSON.stringify(test.events)].join("\n");
    assert.ok(outputs.includes("[redacted]") || outputs.includes("/…"));
    assert.ok(!outputs.includes("sEcReTwEbHoOkToKeN"), `secret leaked: ${outputs}`);
    assert.ok(test.logs().length > 0, "the retry was logged");
  });
});

void describe("github", () => {
  void it("sends repository_dispatch with event_type and client_payload, bearer token and API headers", async () => {
    const receiver = await withReceiver(() => ({ status: 204 }));
    const secrets = createSecretResolver({ env: { GH_TOKEN: GITHUB_TOKEN } });
    const spec = githubSpec(receiver.url);
    const test = makeContext(spec, { secrets });
    const outcome = await fastRunners.github(spec, test.context);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.method, "POST");
    assert.equal(request.url, "/repos/acme/widgets/dispatches");
    assert.equal(request.headers["accept"], "application/vnd.github+json");
    assert.equal(request.headers["authorization"], `Bearer ${GITHUB_TOKEN}`);
    assert.equal(request.headers["x-github-api-version"], "2022-11-28");
    assert.equal(request.headers["user-agent"], "assay");
    assert.equal(request.headers["content-type"], "application/json");
    const body = JSON.parse(request.body) as { event_type: string; client_payload: Record<string, unknown> };
    assert.equal(body.event_type, "assay-gate");
    assert.equal(body.client_payload["experiment"], "canary-reviews");
    assert.equal(body.client_payload["winner"], "v2");
    assert.deepEqual(body.client_payload["weights"], { v1: 20, v2: 80 });
    assert.ok(Object.keys(body.client_payload).length <= 10);
    assert.equal(outcome.detail?.["status"], 204);
    const outputs = JSON.stringify(outcome) + test.logs() + JSON.stringify(test.events);
    assert.ok(!outputs.includes(GITHUB_TOKEN));
  });

  void it("sends workflow_dispatch with ref and inputs when workflow is set", async () => {
    const receiver = await withReceiver(() => ({ status: 204 }));
    const secrets = createSecretResolver({ env: { GH_TOKEN: GITHUB_TOKEN } });
    const spec = githubSpec(receiver.url, { workflow: "promote.yml", ref: "release", payloadTemplate: '{"winner": "{{ .Winner }}", "weight": "{{ .Weights.v2 }}"}' });
    await fastRunners.github(spec, makeContext(spec, { secrets }).context);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.url, "/repos/acme/widgets/actions/workflows/promote.yml/dispatches");
    assert.deepEqual(JSON.parse(request.body), { ref: "release", inputs: { winner: "v2", weight: "80" } });
  });

  void it("refuses a client_payload with more than 10 top-level keys", async () => {
    const receiver = await withReceiver(() => ({ status: 204 }));
    const secrets = createSecretResolver({ env: { GH_TOKEN: GITHUB_TOKEN } });
    const keys = Array.from({ length: 11 }, (_unused, i) => `"k${i}": ${i}`).join(", ");
    const spec = githubSpec(receiver.url, { payloadTemplate: `{${keys}}` });
    await assert.rejects(fastRunners.github(spec, makeContext(spec, { secrets }).context), (error: unknown) => error instanceof AssayError && /at most 10/.test(error.message));
    assert.equal(receiver.received.length, 0);
  });

  void it("keeps the token out of a failure's message, detail and logs", async () => {
    const receiver = await withReceiver((request) => ({ status: 401, body: `{"message":"Bad credentials ${String(request.headers["authorization"])}"}` }));
    const secrets = createSecretResolver({ env: { GH_TOKEN: GITHUB_TOKEN } });
    const spec = githubSpec(receiver.url);
    const test = makeContext(spec, { secrets });
    const error = await expectActionFailure(fastRunners.github(spec, test.context));
    assert.match(error.message, /HTTP 401/);
    const outputs = [error.message, JSON.stringify(error.detail), test.logs(), JSON.stringify(test.events)].join("\n");
    assert.ok(!outputs.includes(GITHUB_TOKEN), `token leaked: ${outputs}`);
  });
});

void describe("cloudevent", () => {
  function ceSpec(url: string, mode: "binary" | "structured"): CloudEventTaskSpec {
    return { task: "cloudevent", url, type: "dev.assay.experiment.finished", source: "/assay/canary", mode, payloadTemplate: undefined, ...common };
  }

  void it("emits binary mode: ce-* headers and the summary as the JSON body", async () => {
    const receiver = await withReceiver(() => ({ status: 202 }));
    const spec = ceSpec(`${receiver.url}/events`, "binary");
    const outcome = await fastRunners.cloudevent(spec, makeContext(spec).context);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.method, "POST");
    assert.equal(request.url, "/events");
    assert.equal(request.headers["ce-specversion"], "1.0");
    assert.equal(request.headers["ce-type"], "dev.assay.experiment.finished");
    assert.equal(request.headers["ce-source"], "/assay/canary");
    assert.equal(request.headers["ce-id"], outcome.detail?.["id"]);
    assert.ok(!Number.isNaN(Date.parse(String(request.headers["ce-time"]))));
    assert.match(String(request.headers["content-type"]), /^application\/json/);
    const data = JSON.parse(request.body) as Record<string, unknown>;
    assert.equal(data["experiment"], "canary-reviews");
    assert.equal(data["winner"], "v2");
    assert.equal(data["slosSatisfied"], true);
  });

  void it("emits structured mode: the whole event as application/cloudevents+json", async () => {
    const receiver = await withReceiver(() => ({ status: 200 }));
    const spec = ceSpec(`${receiver.url}/events`, "structured");
    await fastRunners.cloudevent(spec, makeContext(spec, { result: sampleResult({ failure: "task 0 failed" }) }).context);
    const [request] = receiver.received;
    assert.ok(request);
    assert.match(String(request.headers["content-type"]), /^application\/cloudevents\+json/);
    assert.equal(request.headers["ce-type"], undefined);
    const event = JSON.parse(request.body) as Record<string, unknown>;
    assert.equal(event["specversion"], "1.0");
    assert.equal(event["type"], "dev.assay.experiment.finished");
    assert.equal(event["source"], "/assay/canary");
    assert.equal(event["datacontenttype"], "application/json");
    assert.equal(typeof event["id"], "string");
    assert.equal((event["data"] as Record<string, unknown>)["failure"], "task 0 failed");
  });
});

void describe("empty credentials", () => {
  void it("github refuses an empty token before sending anything, naming the variable to set", async () => {
    const receiver = await withReceiver(() => ({ status: 204 }));
    const spec = githubSpec(receiver.url, { token: "${env:GITHUB_TOKEN}" });
    const secrets = createSecretResolver({ env: { GITHUB_TOKEN: "" } });
    await assert.rejects(fastRunners.github(spec, makeContext(spec, { secrets }).context), (error: unknown) => {
      assert.ok(error instanceof AssayError);
      assert.equal(error.code, ErrorCode.SecretUnavailable);
      assert.match(error.message, /github: token is empty \(\$\{env:GITHUB_TOKEN\} resolved to ""\); nothing was sent: set GITHUB_TOKEN before running/);
      assert.match(error.suggestion ?? "", /set GITHUB_TOKEN/);
      return true;
    });
    assert.equal(receiver.received.length, 0);
  });

  void it("slack refuses an empty webhook url before sending anything", async () => {
    const spec = slackSpec("${env:SLACK_WEBHOOK}");
    const secrets = createSecretResolver({ env: { SLACK_WEBHOOK: " " } });
    await assert.rejects(fastRunners.slack(spec, makeContext(spec, { secrets }).context), /slack: url is empty/);
  });
});
