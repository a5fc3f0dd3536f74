import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AssayError, ErrorCode, silentLogger } from "../../../core/index.js";
import type { AgentLink, Experiment, RunTaskSpec, SlackTaskSpec, NotifyTaskSpec, TaskEntry, TaskSpec } from "../../../core/index.js";
import { runExperiment } from "../../../coordinator/index.js";
import { ActionFailedError, actionRunnerTable, createSecretResolver, resolveReferences, secretKeyRefReference } from "../../../coordinator/actions/index.js";
import { cleanupAll, makeTempDir } from "../../harness/index.js";
import { common, fastRunners, makeContext, startReceiver } from "./context.js";

after(cleanupAll);

function runSpec(command: string, extra: Partial<RunTaskSpec> = {}): RunTaskSpec {
  return { task: "run", command, ...common, ...extra };
}

void describe("run", () => {
  void it("is refused unless the operator allows it", async () => {
    const spec = runSpec("echo should-not-run");
    await assert.rejects(fastRunners.run(spec, makeContext(spec).context), (error: unknown) => {
      assert.ok(error instanceof AssayError);
      assert.equal(error.code, ErrorCode.RunDisabled);
      assert.equal(error.kind, "configuration");
      assert.match(error.message, /allow them with --allow-run \(`assay run --allow-run`, or the service started as `assay coordinator --allow-run`\)/, "names the flag that allows it");
      return true;
    });
  });

  void it("runs through bash (as Iter8) with TEMP_DIR set when allowed, capturing stdout and stderr", async () => {
    const spec = runSpec('a=(x y); [[ -n "$TEMP_DIR" ]] && echo "hello $((40 + 2)) ${#a[@]}"; echo oops >&2');
    const outcome = await fastRunners.run(spec, makeContext(spec, { policy: { allowRunTask: true } }).context);
    assert.equal(outcome.detail?.["exitCode"], 0);
    assert.equal(outcome.detail?.["stdout"], "hello 42 2\n");
    assert.equal(outcome.detail?.["stderr"], "oops\n");
  });

  void it("fails on a non-zero exit, keeps the output bounded, and is not retried by default", async () => {
    const spec = runSpec("head -c 20000 /dev/zero | tr '\\0' x; echo; echo broken >&2; exit 3");
    await assert.rejects(fastRunners.run(spec, makeContext(spec, { policy: { allowRunTask: true } }).context), (error: unknown) => {
      assert.ok(error instanceof ActionFailedError);
      assert.equal(error.attempts, 1);
      assert.match(error.message, /exited with 3: broken/);
      const stdout = String(error.detail["stdout"]);
      assert.ok(stdout.length <= 4097 + 1, `stdout kept ${stdout.length} chars`);
      assert.ok(stdout.startsWith("…"));
      return true;
    });
  });

  void it("kills a command that outlives its timeout", async () => {
    const spec = runSpec("sleep 30", { timeoutMs: 200 });
    const startMs = Date.now();
    await assert.rejects(fastRunners.run(spec, makeContext(spec, { policy: { allowRunTask: true } }).context), /no answer within 200 ms/);
    assert.ok(Date.now() - startMs < 5000);
  });
});

void describe("secret references", () => {
  void it("resolves ${env:…}, ${file:…} inside strings and bare references in whole fields", async () => {
    const dir = await makeTempDir("assay-secrets-");
    const file = join(dir, "token");
    await writeFile(file, "file-secret-value\n");
    const secrets = createSecretResolver({ env: { API_KEY: "env-secret-value" } });
    assert.equal(await resolveReferences("Bearer ${env:API_KEY}", secrets), "Bearer env-secret-value");
    assert.equal(await resolveReferences("${file:" + file + "}", secrets), "file-secret-value");
    assert.equal(await resolveReferences("env:API_KEY", secrets, { whole: true }), "env-secret-value");
    assert.equal(await resolveReferences("env:API_KEY", secrets), "env:API_KEY");
    assert.deepEqual([...secrets.knownValues()].sort(), ["env-secret-value", "file-secret-value"]);
    await assert.rejects(
      secrets.resolve("env:MISSING"),
      (error: unknown) => error instanceof AssayError && error.kind === "configuration" && error.code === ErrorCode.SecretUnavailable && /MISSING is not set/.test(error.message),
    );
    await assert.rejects(secrets.resolve("file:/nonexistent/assay-secret"), (error: unknown) => error instanceof AssayError && error.code === ErrorCode.SecretUnavailable);
    await assert.rejects(secrets.resolve("vault:x"), (error: unknown) => error instanceof AssayError && error.code === ErrorCode.BadSecretReference && /expected env:NAME/.test(error.message));
    await assert.rejects(secrets.resolve("secret:only-a-name"), (error: unknown) => error instanceof AssayError && error.code === ErrorCode.BadSecretReference);
    assert.equal(secretKeyRefReference({ name: "slack", key: "url", namespace: "ops" }), "${secret:ops/slack/url}");
  });

  void it("a notify header carrying a token never shows it in detail, errors or logs", async () => {
    const receiver = await startReceiver(() => ({ status: 500, body: "nope" }));
    after(() => receiver.close());
    const token = "hdr-token-abcdef123456";
    const secrets = createSecretResolver({ env: { HOOK_TOKEN: token } });
    const spec: NotifyTaskSpec = {
      task: "notify",
      url: `${receiver.url}/hook?key=\${env:HOOK_TOKEN}`,
      method: "POST",
      params: { token: "${env:HOOK_TOKEN}" },
      headers: { Authorization: "Bearer ${env:HOOK_TOKEN}" },
      payloadTemplate: "{}",
      ...common,
      retries: 1,
    };
    const test = makeContext(spec, { secrets });
    const error = await fastRunners.notify(spec, test.context).then(
      () => assert.fail("expected a failure"),
      (thrown: unknown) => thrown as ActionFailedError,
    );
    assert.equal(receiver.received[0]?.headers["authorization"], `Bearer ${token}`);
    assert.match(receiver.received[0]?.url ?? "", new RegExp(`token=${token}`));
    const outputs = [error.message, JSON.stringify(error.detail), test.logs(), JSON.stringify(test.events)].join("\n");
    assert.ok(!outputs.includes(token), outputs);
  });
});

void describe("softFailure with the experiment runner", () => {
  void it("records a failed soft action and lets the experiment complete", async () => {
    const slackReceiver = await startReceiver(() => ({ status: 404, body: "no_service" }));
    const hookReceiver = await startReceiver(() => ({ status: 200 }));
    after(() => slackReceiver.close());
    after(() => hookReceiver.close());
    const webhook = `${slackReceiver.url}/services/T9/B9/softFailureSecret`;
    const slack: SlackTaskSpec = { task: "slack", url: "${env:SLACK_URL}", method: "POST", payloadTemplate: undefined, ...common, softFailure: true };
    const notify: NotifyTaskSpec = { task: "notify", url: `${hookReceiver.url}/after`, method: "", params: {}, headers: {}, payloadTemplate: undefined, ...common };
    const entry = (index: number, spec: TaskSpec): TaskEntry => ({ index, writtenName: spec.task, condition: undefined, conditionText: undefined, spec, location: { file: "soft.yaml", line: index + 2, column: 3 } });
    const experiment: Experiment = { name: "soft", source: "soft.yaml", tasks: [entry(0, slack), entry(1, notify)] };
    const result = await runExperiment(experiment, {
      link: {} as AgentLink,
      logger: silentLogger(),
      secrets: createSecretResolver({ env: { SLACK_URL: webhook } }),
      runners: actionRunnerTable(fastRunners),
    });
    assert.equal(result.tasks[0]?.status, "failed");
    assert.equal(result.tasks[0]?.error?.code, ErrorCode.ActionFailed);
    assert.match(result.tasks[0]?.error?.message ?? "", /HTTP 404 "no_service"/);
    assert.equal(result.tasks[1]?.status, "completed");
    assert.equal(result.failure, null);
    assert.ok(!JSON.stringify(result).includes("softFailureSecret"));
  });
});
