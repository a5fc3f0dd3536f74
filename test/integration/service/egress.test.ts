/**
 * The coordinator service's outbound rules with real local servers: every kind of outbound request
 * (load redirects followed by agents, notify, slack, github, cloudevent, custom metrics queries and
 * fetched provider templates) is refused when its host resolves to an address off the allow-list,
 * with a typed error naming the task and field; refusals at submit for run tasks, undeclared
 * secrets and counts over the limits.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startLocalAgents } from "../../../agent/index.js";
import { ExperimentManager, compileConfig, defaultRunners, openFileStore } from "../../../coordinator/index.js";
import { ErrorCode, ValidationError, api, silentLogger } from "../../../core/index.js";
import type { ResolveAll, ResultDocument } from "../../../core/index.js";
import { makeTempDir, teardown, waitUntil } from "../../harness/index.js";

/** `evil.test` and `metadata.test` resolve to addresses off the list; the rest through the system. */
const resolve: ResolveAll = (hostname) => {
  if (hostname === "evil.test") return Promise.resolve([{ address: "127.0.0.2", family: 4 }]);
  if (hostname === "good.test") return Promise.resolve([{ address: "127.0.0.1", family: 4 }]);
  return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
};

/** A server on `host` that counts requests; `/redirect` answers 302 to `location`. */
async function counter(t: Parameters<typeof teardown>[0], host: string, location?: () => string) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? "");
    if (req.url === "/redirect" && location) {
      res.writeHead(302, { location: location() });
      res.end();
      return;
    }
    res.end("ok");
  });
  await new Promise<void>((done) => server.listen(0, host, done));
  teardown(t).defer(() => new Promise<void>((done) => server.close(() => done())));
  return { seen, port: (server.address() as AddressInfo).port };
}

async function startManager(t: Parameters<typeof teardown>[0], raw: Record<string, unknown>, allowRun = false) {
  const dir = await makeTempDir("egress-");
  const link = await startLocalAgents({ count: 1 });
  teardown(t).defer(() => link.close());
  const config = compileConfig({ allowedTargets: ["127.0.0.1"], ...raw }, "coordinator.yaml", dir);
  const manager = await ExperimentManager.open({
    link,
    store: await openFileStore(join(dir, "store")),
    config,
    logger: silentLogger(),
    runners: defaultRunners(),
    policy: { allowRunTask: allowRun },
    resolve,
    reportIntervalMs: 100,
  });
  teardown(t).defer(() => manager.close(1000));
  const submit = (yaml: string) => manager.submit({ experimentYaml: yaml, sourceName: "exp.yaml", overrides: [], submittedBy: "test" });
  const refusal = async (yaml: string): Promise<ValidationError> => {
    const error = await submit(yaml).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof ValidationError, `expected a refusal, got ${String(error)}`);
    return error;
  };
  const finish = async (yaml: string): Promise<ResultDocument> => {
    const id = (await submit(yaml)).id ?? "";
    const finished = new Set<string>([api.ExperimentState.EXPERIMENT_STATE_COMPLETED, api.ExperimentState.EXPERIMENT_STATE_FAILED]);
    await waitUntil(() => finished.has(manager.get(id).record.state), { timeoutMs: 30_000, what: "the experiment to finish" });
    const { result } = await manager.describe(id);
    assert.ok(result);
    return result;
  };
  return { manager, submit, refusal, finish, dir };
}

describe("the service's allow-list covers every outbound request", () => {
  it("refuses redirects, notify, slack, github, cloudevent and custom metrics to a host resolving off the list", async (t) => {
    const offList = await counter(t, "127.0.0.2");
    const onList = await counter(t, "127.0.0.1", () => `http://127.0.0.2:${offList.port}/landed`);
    const { finish } = await startManager(t, {});
    const evil = `http://evil.test:${offList.port}`;
    const soft = "softFailure: true, retries: 0";
    const result = await finish(
      [
        "spec:",
        `  - task: http`,
        `    with: {url: "http://127.0.0.1:${onList.port}/redirect", numRequests: 4, qps: 50, followRedirects: true}`,
        `  - task: notify`,
        `    with: {url: "${evil}/notify", ${soft}}`,
        `  - task: slack`,
        `    with: {url: "${evil}/slack", ${soft}}`,
        `  - task: github`,
        `    with: {owner: o, repo: r, token: t0ken-value, eventType: e, apiUrl: "${evil}", ${soft}}`,
        `  - task: cloudevent`,
        `    with: {url: "${evil}/ce", ${soft}}`,
        `  - task: custommetrics`,
        `    with:`,
        `      providers:`,
        `        - {name: prom, type: prometheus, url: "${evil}", metrics: [{name: m, query: up}]}`,
      ].join("\n"),
    );
    // The agent followed the redirect to evil.test → 127.0.0.2 and refused to connect.
    const load = result.tasks[0];
    assert.equal(load?.status, "completed");
    const errors = Object.entries(result.metrics["default"] ?? {}).find(([name]) => name === "http/error-count")?.[1];
    assert.equal(errors, 4, JSON.stringify(result.metrics));
    assert.match(JSON.stringify(result.load), /host 127\.0\.0\.2 is not on the coordinator's allow-list/);
    const expected: [number, string][] = [
      [1, "spec[1].with.url (notify)"],
      [2, "spec[2].with.url (slack)"],
      [3, "spec[3].with.apiUrl (github)"],
      [4, "spec[4].with.url (cloudevent)"],
      [5, "spec[5].with.providers[0].url (custommetrics)"],
    ];
    for (const [index, field] of expected) {
      const task = result.tasks[index];
      assert.equal(task?.status, "failed", `task ${index}`);
      assert.equal(task.error?.code, ErrorCode.TargetNotAllowed, `task ${index}: ${task.error?.message}`);
      assert.ok(task.error?.message.startsWith(`${field}: host evil.test resolves to 127.0.0.2`), task.error?.message);
    }
    assert.deepEqual(offList.seen, [], "nothing reached the address off the list");
    assert.equal(onList.seen.length, 4);
  });

  it("refuses a fetched provider template from a host off the list", async (t) => {
    const offList = await counter(t, "127.0.0.2");
    const { finish } = await startManager(t, {});
    const result = await finish(
      ["spec:", "  - task: custommetrics", "    with:", `      templates: {prom: "http://127.0.0.2:${offList.port}/prom.tpl"}`].join("\n"),
    );
    assert.equal(result.tasks[0]?.error?.code, ErrorCode.TargetNotAllowed);
    assert.match(result.tasks[0]?.error?.message ?? "", /^spec\[0\]\.with\.templates\.prom \(custommetrics\): host 127\.0\.0\.2 is not on/);
    assert.deepEqual(offList.seen, []);
  });

  it("refuses a run-time fetch (payloadURL) redirected to a host off the list", async (t) => {
    const offList = await counter(t, "127.0.0.2");
    const onList = await counter(t, "127.0.0.1", () => `http://127.0.0.2:${offList.port}/body.json`);
    const { finish } = await startManager(t, {});
    const result = await finish(
      ["spec:", "  - task: http", "    with:", `      url: "http://127.0.0.1:${onList.port}/"`, `      payloadURL: "http://127.0.0.1:${onList.port}/redirect"`, "      numRequests: 2"].join("\n"),
    );
    assert.equal(result.tasks[0]?.error?.code, ErrorCode.TargetNotAllowed, JSON.stringify(result.tasks[0]?.error));
    assert.match(result.tasks[0]?.error?.message ?? "", /^spec\[0\]\.with\.payloadURL: cannot fetch http:\/\/127\.0\.0\.2:\d+\/body\.json: .*not on/);
    assert.deepEqual(offList.seen, [], "nothing reached the address off the list");
    assert.deepEqual(onList.seen, ["/redirect"], "no load ran after the refused fetch");
  });

  it("resolves load target names at submit: refused naming the field, allowed when every address is", async (t) => {
    const onList = await counter(t, "127.0.0.1");
    const { refusal, submit } = await startManager(t, {});
    const error = await refusal(`spec:\n  - task: http\n    with: {url: "http://evil.test:${onList.port}/", numRequests: 1}\n`);
    assert.equal(error.code, ErrorCode.TargetNotAllowed);
    assert.equal(error.field, "spec[0].with.url");
    assert.match(error.message, /evil\.test resolves to 127\.0\.0\.2/);
    const unknown = await refusal(`spec:\n  - task: http\n    with: {url: "http://nowhere.test/", numRequests: 1}\n`);
    assert.match(unknown.message, /does not resolve/);
    await submit(`spec:\n  - task: http\n    with: {url: "http://good.test:${onList.port}/", numRequests: 1}\n`);
    const literal = await refusal('spec:\n  - task: notify\n    with: {url: "http://169.254.169.254/latest/meta-data/"}\n');
    assert.equal(literal.code, ErrorCode.TargetNotAllowed);
    assert.equal(literal.field, "spec[0].with.url");
  });
});

describe("refusals at submit", () => {
  it("refuses run tasks unless the service was started with --allow-run", async (t) => {
    const { refusal } = await startManager(t, {});
    const error = await refusal("spec:\n  - run: echo hi\n");
    assert.equal(error.code, ErrorCode.RunDisabled);
    assert.equal(error.field, "spec[0].run");
    assert.match(`${error.message} ${error.suggestion ?? ""}`, /--allow-run/);
    const allowed = await startManager(t, {}, true);
    await allowed.submit("spec:\n  - run: echo hi\n");
  });

  it("caps warm-up requests, retries and timeouts, naming field and limit", async (t) => {
    const { refusal } = await startManager(t, { limits: { maxRequests: 100, maxRetries: 3, maxTaskTimeout: "30s" } });
    const warm = await refusal('spec:\n  - task: http\n    with: {url: "http://127.0.0.1:1/", numRequests: 50, warmupNumRequests: 60}\n');
    assert.equal(warm.code, ErrorCode.LimitExceeded);
    assert.equal(warm.field, "spec[0].with.numRequests");
    assert.match(warm.message, /110 requests \(warm-up included\) exceeds the coordinator's limit maxRequests 100/);
    const warmOnly = await refusal('spec:\n  - task: http\n    with: {url: "http://127.0.0.1:1/", duration: 1s, warmupNumRequests: 101}\n');
    assert.equal(warmOnly.field, "spec[0].with.warmupNumRequests");
    const retries = await refusal('spec:\n  - task: notify\n    with: {url: "http://127.0.0.1:1/", retries: 4}\n');
    assert.equal(retries.field, "spec[0].with.retries");
    assert.match(retries.message, /maxRetries 3/);
    const timeout = await refusal('spec:\n  - task: notify\n    with: {url: "http://127.0.0.1:1/", timeout: 1m}\n');
    assert.equal(timeout.field, "spec[0].with.timeout");
  });

  it("refuses env variables and files that are not declared secret sources; declared ones work by name", async (t) => {
    const receiver = await counter(t, "127.0.0.1");
    const { refusal, finish, dir } = await startManager(t, { secrets: { hook: { env: "ASSAY_EGRESS_TEST_HOOK" }, payload: { file: "payload.txt" } } });
    await writeFile(join(dir, "payload.txt"), "hello");
    const env = await refusal('spec:\n  - task: notify\n    with: {url: "http://127.0.0.1:1/?t=${env:HOME}"}\n');
    assert.equal(env.code, ErrorCode.SecretNotDeclared);
    assert.equal(env.field, "spec[0].with.url");
    assert.match(env.message, /environment variable HOME.*declared env sources: hook/);
    const file = await refusal('spec:\n  - task: http\n    with: {url: "http://127.0.0.1:1/", numRequests: 1, payloadFile: /etc/hostname}\n');
    assert.equal(file.code, ErrorCode.SecretNotDeclared);
    assert.match(file.message, /spec\[0\]\.with\.payloadFile/);
    const token = await refusal('spec:\n  - task: custommetrics\n    with:\n      providers:\n        - {name: p, type: prometheus, url: "http://127.0.0.1:1", auth: {type: bearer, tokenFromFile: /etc/hostname}, metrics: [{name: m, query: up}]}\n');
    assert.equal(token.code, ErrorCode.SecretNotDeclared);
    assert.match(token.field ?? "", /tokenFromFile$/);
    process.env["ASSAY_EGRESS_TEST_HOOK"] = `http://127.0.0.1:${receiver.port}/hook`;
    teardown(t).defer(() => delete process.env["ASSAY_EGRESS_TEST_HOOK"]);
    const result = await finish('spec:\n  - task: notify\n    with: {url: "${env:hook}", retries: 0}\n');
    assert.equal(result.tasks[0]?.status, "completed", JSON.stringify(result.tasks[0]));
    assert.deepEqual(receiver.seen, ["/hook"]);
  });

  it("runs templates under the configured templateLimits", async (t) => {
    const receiver = await counter(t, "127.0.0.1");
    const { finish } = await startManager(t, { templateLimits: { maxSteps: 50 } });
    const url = `http://127.0.0.1:${receiver.port}/hook`;
    const result = await finish(`spec:\n  - task: notify\n    with: {url: "${url}", retries: 0, payloadTemplate: "{{ range 1000 }}x{{ end }}"}\n`);
    assert.equal(result.tasks[0]?.error?.code, ErrorCode.TemplateBudgetExceeded, JSON.stringify(result.tasks[0]));
    assert.deepEqual(receiver.seen, []);
  });
});
