/**
 * Isolation (issue 13, item 3): a submitted experiment is parsed in a worker thread with a time
 * budget. A document within the parse limits that is expensive to read (60,000 template actions
 * to compile: seconds) neither blocks the service's event loop (measured with
 * monitorEventLoopDelay while another experiment's load runs) nor succeeds: it fails with
 * EXPERIMENT_TOO_LARGE naming the time limit.
 */
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, describe, it } from "node:test";
import { startLocalAgents } from "../../../agent/index.js";
import { ExperimentManager, defaultConfig, openFileStore } from "../../../coordinator/index.js";
import { IsolatedParser } from "../../../coordinator/isolation/index.js";
import { ErrorCode, ExperimentValidationError, api, isAssayError, parseExperimentText, silentLogger } from "../../../core/index.js";
import { cleanupAll, makeTempDir, recordMeasurement, startHttpTarget, teardown, waitUntil } from "../../harness/index.js";

after(cleanupAll);

const State = api.ExperimentState;

/** Within DEFAULT_PARSE_LIMITS (880 KB < 1 MiB) but seconds to validate: 60,000 template actions to compile. */
function manyTemplateActions(url: string): string {
  const template = "{{ if .a }}{{ .b | upper | lower }}{{ end }}".repeat(20_000);
  return `name: many-actions\nspec:\n  - task: notify\n    with:\n      url: ${url}\n      method: POST\n      payloadTemplate: ${JSON.stringify(template)}\n`;
}

function manyHeaders(url: string, count: number): string {
  const headers = Array.from({ length: count }, (_, i) => `        h${i}: "${"v".repeat(80)}"`).join("\n");
  return `name: many-headers\nspec:\n  - task: http\n    with:\n      url: ${url}\n      numRequests: 10\n      headers:\n${headers}\n`;
}

function steadyLoad(url: string): string {
  return `name: steady\nspec:\n  - task: http\n    with:\n      url: ${url}\n      duration: 6s\n      qps: 40\n      connections: 2\n`;
}

void describe("isolated parsing of submitted experiments", { timeout: 120_000 }, () => {
  void it("reads 9,000 headers in linear time (merging them was quadratic: 19 s)", () => {
    // CPU time, not wall time: the machine may be shared.
    const started = process.cpuUsage();
    const experiment = parseExperimentText(manyHeaders("http://127.0.0.1:1/x", 9000), "many-headers.yaml");
    const used = process.cpuUsage(started);
    const ms = (used.user + used.system) / 1000;
    assert.equal(experiment.tasks[0]?.spec.task === "http" && Object.keys(experiment.tasks[0].spec.versions[0]?.request.headers ?? {}).length, 9000);
    assert.ok(ms < 4000, `${ms.toFixed(0)} ms of CPU`);
    recordMeasurement("many-headers", `${ms.toFixed(0)} ms of CPU (19 s before the fix)`);
  });

  void it("gives the same model and the same errors as parsing in the caller's thread", async (t) => {
    const parser = new IsolatedParser();
    teardown(t).defer(() => parser.close());
    const parseExperimentIsolated = parser.parse.bind(parser);
    const text = "name: same\nspec:\n  - task: http\n    if: SLOs()\n    with:\n      url: http://127.0.0.1:1/x\n      numRequests: 10\n      headers: {a: b}\n";
    assert.deepEqual(await parseExperimentIsolated(text, "same.yaml", { overrides: ["spec[0].with.numRequests=20"], baseDir: process.cwd() }),
      parseExperimentText(text, "same.yaml", { overrides: ["spec[0].with.numRequests=20"], baseDir: process.cwd() }));
    const bad = "spec:\n  - task: http\n    with:\n      url: http://127.0.0.1:1/x\n      qps: -5\n      numRequests: 1.5\n";
    const direct = (() => {
      try {
        parseExperimentText(bad, "bad.yaml");
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    assert.ok(direct instanceof ExperimentValidationError);
    await assert.rejects(parseExperimentIsolated(bad, "bad.yaml", { overrides: [], baseDir: process.cwd() }), (error: unknown) => {
      assert.ok(error instanceof ExperimentValidationError);
      assert.equal(error.message, direct.message);
      assert.equal(error.code, direct.code);
      assert.deepEqual(error.location, direct.location);
      assert.deepEqual(error.problems, direct.problems);
      return true;
    });
  });

  void it("an expensive submit fails at its time limit while another run's event loop stays responsive", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget();
    fixtures.defer(() => target.close());
    const link = await startLocalAgents({ count: 1 });
    fixtures.defer(() => link.close());
    const store = await openFileStore(await makeTempDir("isolation-store"));
    const manager = await ExperimentManager.open({
      link,
      store,
      config: { ...defaultConfig(), concurrency: 2 },
      logger: silentLogger(),
      reportIntervalMs: 250,
      parseLimits: { timeoutMs: 500 },
    });
    fixtures.defer(() => manager.close());

    const steady = await manager.submit({ experimentYaml: steadyLoad(target.url), sourceName: "steady.yaml", overrides: [], submittedBy: "test" });
    await waitUntil(() => target.served() > 20, { timeoutMs: 30_000, what: "the steady run's load to flow" });

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const startedMs = Date.now();
    // The API keeps answering while the bad document is being read.
    let listed = 0;
    const lister = setInterval(() => {
      manager.list([], 10);
      listed++;
    }, 50);
    const failure = await manager
      .submit({ experimentYaml: manyTemplateActions(target.url), sourceName: "many-actions.yaml", overrides: [], submittedBy: "test" })
      .then(() => undefined, (error: unknown) => error);
    const tookMs = Date.now() - startedMs;
    clearInterval(lister);
    delay.disable();
    const maxDelayMs = delay.max / 1e6;
    recordMeasurement("parse-isolation", `refused after ${tookMs} ms (budget 500 ms); event-loop delay at most ${maxDelayMs.toFixed(0)} ms during it; ${listed} API calls answered`);
    t.diagnostic(`bad submit refused after ${tookMs} ms; event-loop delay max ${maxDelayMs.toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms; ${listed} list calls answered`);

    assert.ok(isAssayError(failure), `the submit failed with a typed error: ${String(failure)}`);
    assert.equal(failure.code, ErrorCode.TooLarge);
    assert.match(failure.message, /many-actions\.yaml: reading the experiment took longer than 500 ms/);
    assert.ok(tookMs < 10_000, `refused at its budget, not after the whole parse (${tookMs} ms)`);
    // Parsing on the event loop blocks it for the whole parse (3-6 s for this document on a busy 2-core machine).
    assert.ok(maxDelayMs < 750, `the event loop was blocked for ${maxDelayMs.toFixed(0)} ms`);
    assert.ok(listed >= Math.floor(tookMs / 50 / 3), `the API answered during the parse (${listed} calls in ${tookMs} ms)`);

    await waitUntil(() => manager.list([], 10).find((s) => s.id === steady.id)?.state === State.EXPERIMENT_STATE_COMPLETED, {
      timeoutMs: 60_000,
      what: "the steady run to complete",
    });
    assert.equal(manager.list([], 10).length, 1, "the refused experiment was not stored");
  });
});
