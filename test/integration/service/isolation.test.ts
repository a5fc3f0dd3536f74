/**
 * Isolation (issue 13, item 3): a submitted experiment is parsed in a worker thread with a time
 * budget. A document within the parse limits that is expensive to read (60,000 template actions
 * to compile: seconds) neither blocks the service's event loop (measured with
 * monitorEventLoopDelay while another experiment's load runs) nor succeeds: it fails with
 * EXPERIMENT_TOO_LARGE naming the time limit. Its run-time templates (a notify payload that runs
 * to its time limit) render in a worker thread too: the loop stays responsive, the task fails with
 * TEMPLATE_BUDGET_EXCEEDED. `if:` conditions stay on the loop: bounded by construction (measured).
 */
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, describe, it } from "node:test";
import { startLocalAgents } from "../../../agent/index.js";
import { ExperimentManager, defaultConfig, defaultRunners, openFileStore } from "../../../coordinator/index.js";
import { INLINE_TEMPLATE_EXECUTOR } from "../../../coordinator/actions/index.js";
import { IsolatedParser, IsolatedTemplates } from "../../../coordinator/isolation/index.js";
import { conditionContext } from "../../../coordinator/runner/run-experiment.js";
import type { TemplateJob } from "../../../coordinator/tasks/types.js";
import {
  CONDITION_LIMITS,
  DEFAULT_TEMPLATE_LIMITS,
  ErrorCode,
  ExperimentValidationError,
  api,
  evaluateCondition,
  isAssayError,
  parseCondition,
  parseExperimentText,
  silentLogger,
} from "../../../core/index.js";
import { cleanupAll, makeTempDir, recordMeasurement, startHttpTarget, teardown, waitUntil } from "../../harness/index.js";
import { sampleResult } from "../actions/context.js";

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

/** What a job gives: its text, or its error's kind, code, message, location and suggestion (the class is not: a TemplateBudgetError arrives as the ValidationError it extends). */
async function outcomeOf(render: Promise<string>): Promise<unknown> {
  try {
    return { text: await render };
  } catch (error) {
    assert.ok(isAssayError(error), `a typed error: ${String(error)}`);
    return { kind: error.kind, code: error.code, message: error.message, location: error.location, suggestion: error.suggestion };
  }
}

/** Runs for ever but for its budget: 10^10 range iterations. */
const RUNAWAY = "{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}";

void describe("run-time templates of the service's experiments", { timeout: 120_000 }, () => {
  void it("render in the template thread exactly as on the calling thread: output, errors, budgets", async (t) => {
    const templates = new IsolatedTemplates();
    teardown(t).defer(() => templates.close());
    const result = sampleResult();
    const fromResult = (text: string, limits?: TemplateJob["limits"]): TemplateJob => ({
      text,
      name: "spec[2].with.payloadTemplate",
      limits,
      data: { kind: "result", result, nowMs: Date.UTC(2026, 11, 1, 12), uptimeSeconds: 12.5 },
    });
    const jobs: TemplateJob[] = [
      fromResult('{"name": {{ .name | quote }}, "winner": {{ .Winner | toJson }}, "versions": {{ .Versions | toJson }}}'),
      fromResult("{{ .Report.TimeStamp }} {{ .Report.NumCompletedTasks }}/{{ .Report.NumTasks }} {{ .Summary.NumTasks }}"),
      fromResult("{{ toPrettyJson .Experiment.Result.Insights }}"),
      fromResult("{{ range $k, $v := .Weights }}{{ $k }}={{ $v }};{{ end }}"),
      fromResult("{{ .name | nosuchfunction }}"),
      fromResult('{{ fail "stop here" }}'),
      fromResult(RUNAWAY),
      fromResult(RUNAWAY, { maxSteps: 50_000 }),
      fromResult('{{ range 2000 }}{{ "0123456789" }}{{ end }}', { maxOutputBytes: 1000 }),
      { text: 'rate(http_requests_total{app="{{ .app }}", version="{{ .version }}"}[{{ .elapsedTimeSeconds }}s])', name: "<template>", data: { kind: "json", value: { app: "reviews", version: "v2", elapsedTimeSeconds: 42 } } },
    ];
    for (const job of jobs) {
      const inline = await outcomeOf(INLINE_TEMPLATE_EXECUTOR.render(job));
      const isolated = await outcomeOf(templates.render(job));
      assert.deepEqual(isolated, inline, job.text);
    }
    // The runaway template stopped at its default step budget, in the thread as on the caller's.
    const runaway = (await outcomeOf(templates.render(fromResult(RUNAWAY)))) as { code?: string; message?: string };
    assert.equal(runaway.code, ErrorCode.TemplateBudgetExceeded);
    assert.match(runaway.message ?? "", new RegExp(`more than ${DEFAULT_TEMPLATE_LIMITS.maxSteps} evaluation steps`));
  });

  void it("a notify payload running to its time limit fails its task while another run's event loop stays responsive", async (t) => {
    const fixtures = teardown(t);
    const target = await startHttpTarget();
    fixtures.defer(() => target.close());
    const link = await startLocalAgents({ count: 1 });
    fixtures.defer(() => link.close());
    const store = await openFileStore(await makeTempDir("isolation-templates"));
    // Steps unbounded here, so the template runs for its whole time limit (1.5 s of CPU).
    const templateLimits = { ...DEFAULT_TEMPLATE_LIMITS, maxSteps: 1e15, timeoutMs: 1500 };
    const manager = await ExperimentManager.open({
      link,
      store,
      config: { ...defaultConfig(), concurrency: 2, templateLimits },
      logger: silentLogger(),
      runners: defaultRunners(),
      reportIntervalMs: 250,
    });
    fixtures.defer(() => manager.close());

    const steady = await manager.submit({ experimentYaml: steadyLoad(target.url), sourceName: "steady.yaml", overrides: [], submittedBy: "test" });
    await waitUntil(() => target.served() > 20, { timeoutMs: 30_000, what: "the steady run's load to flow" });

    const runaway = `name: runaway\nspec:\n  - task: notify\n    with:\n      url: ${target.url}\n      retries: 0\n      payloadTemplate: ${JSON.stringify(RUNAWAY)}\n`;
    // Two measures of the loop: the histogram, and the longest gap between API calls every 50 ms.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let listed = 0;
    let lastListMs = Date.now();
    let maxGapMs = 0;
    const lister = setInterval(() => {
      manager.list([], 10);
      listed++;
      const now = Date.now();
      maxGapMs = Math.max(maxGapMs, now - lastListMs);
      lastListMs = now;
    }, 50);
    await waitUntil(() => listed >= 3, { timeoutMs: 10_000, what: "the API calls to start" });
    const startedMs = Date.now();
    const { id } = await manager.submit({ experimentYaml: runaway, sourceName: "runaway.yaml", overrides: [], submittedBy: "test" });
    const finished = new Set<string>([State.EXPERIMENT_STATE_COMPLETED, State.EXPERIMENT_STATE_FAILED]);
    await waitUntil(() => finished.has(manager.get(id ?? "").record.state), { timeoutMs: 30_000, what: "the runaway experiment to finish" });
    const tookMs = Date.now() - startedMs;
    clearInterval(lister);
    delay.disable();
    const maxDelayMs = delay.max / 1e6;
    recordMeasurement("template-isolation", `a notify template at its 1500 ms limit failed after ${tookMs} ms; event-loop delay at most ${maxDelayMs.toFixed(0)} ms during it; ${listed} API calls answered, at most ${maxGapMs} ms apart`);
    t.diagnostic(`runaway template ended after ${tookMs} ms; event-loop delay max ${maxDelayMs.toFixed(1)} ms; ${listed} list calls answered, at most ${maxGapMs} ms apart`);

    const { result } = await manager.describe(id ?? "");
    const task = result?.tasks[0];
    assert.equal(task?.status, "failed", JSON.stringify(task));
    assert.equal(task.error?.code, ErrorCode.TemplateBudgetExceeded);
    assert.match(task.error?.message ?? "", /spec\[0\]\.with\.payloadTemplate.*more than 1500 ms/);
    assert.ok(tookMs >= 1400, `the template ran to its time limit (${tookMs} ms)`);
    // On the event loop, the template would hold it for its whole 1.5 s limit.
    assert.ok(maxDelayMs < 750, `the event loop was blocked for ${maxDelayMs.toFixed(0)} ms`);
    assert.ok(maxGapMs < 750, `API calls due every 50 ms were ${maxGapMs} ms apart`);

    await waitUntil(() => manager.list([], 10).find((s) => s.id === steady.id)?.state === State.EXPERIMENT_STATE_COMPLETED, {
      timeoutMs: 60_000,
      what: "the steady run to complete",
    });
  });

  void it("`if:` conditions stay on the loop: the longest one allowed costs well under a millisecond per evaluation", () => {
    // No loops, no deep comparison (== on objects is false), depth and length capped at parse time:
    // an evaluation is linear in the expression's length.
    const clause = "(Result.tasks[0].status == 'completed' || !SLOs()) && ";
    const text = `${clause.repeat(Math.floor((CONDITION_LIMITS.maxLength - 10) / clause.length))}true`;
    assert.ok(text.length <= CONDITION_LIMITS.maxLength);
    const condition = parseCondition(text);
    const context = conditionContext(sampleResult());
    const runs = 1000;
    const started = process.cpuUsage();
    for (let i = 0; i < runs; i++) evaluateCondition(condition, context);
    const used = process.cpuUsage(started);
    const perRunMs = (used.user + used.system) / 1000 / runs;
    recordMeasurement("condition-cost", `a ${text.length}-character if: evaluates in ${(perRunMs * 1000).toFixed(1)} µs of CPU`);
    assert.ok(perRunMs < 1, `${perRunMs.toFixed(3)} ms of CPU per evaluation`);
  });
});
