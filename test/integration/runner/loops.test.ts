import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startLocalAgents } from "../../../agent/index.js";
import { defaultBayesian, defaultRunners, loopPlanOf, runExperiment } from "../../../coordinator/index.js";
import type { RunEvent } from "../../../coordinator/index.js";
import { AssayError, ErrorCode, parseExperimentText, silentLogger } from "../../../core/index.js";
import type { AgentLink } from "../../../core/index.js";
import { startHttpTarget, teardown, waitUntil } from "../../harness/index.js";
import type { HttpTarget } from "../../harness/index.js";

function experiment(a: HttpTarget, b: HttpTarget, scope: "loop" | "cumulative", extra = ""): ReturnType<typeof parseExperimentText> {
  return parseExperimentText(
    `
name: looped
spec:
  - task: http
    with:
      numRequests: 40
      qps: 400
      connections: 2
      versions:
        - { name: v1, url: "${a.url}" }
        - { name: v2, url: "${b.url}" }
  - task: assess
    with:
      scope: ${scope}
      SLOs:
        upper: { http/error-rate: 0.5 }
      rewards:
        min: [http/latency-mean]
${extra}`,
    "<looped>",
  );
}

async function agents(t: Parameters<typeof teardown>[0]): Promise<AgentLink> {
  const link = await startLocalAgents({ count: 2 });
  teardown(t).defer(() => link.close());
  return link;
}

void describe("looped experiments", () => {
  void it("runs the task list N times, measures each loop on its own and keeps the history", async (t) => {
    const a = await startHttpTarget();
    const b = await startHttpTarget({ delayMs: 2 });
    teardown(t).defer(() => a.close());
    teardown(t).defer(() => b.close());
    const link = await agents(t);
    const events: RunEvent[] = [];
    const spec = experiment(a, b, "loop", `  - if: NumLoops == 2\n    task: run\n    with: { command: "true" }\n`);
    const startMs = Date.now();
    const result = await runExperiment(spec, {
      link,
      logger: silentLogger(),
      loops: loopPlanOf({ loops: 3, intervalMs: 400 }),
      policy: { allowRunTask: true },
      runners: defaultRunners(),
      reportIntervalMs: 200,
      onEvent: (event) => events.push(event),
    });
    assert.equal(result.completed, true, result.failure ?? "");
    assert.equal(result.numLoops, 3);
    assert.equal(result.loops?.length, 3);
    // Each loop sent its own 40 requests per version: the counts are the loop's, not a running sum.
    for (const loop of result.loops ?? []) {
      assert.equal(loop.metrics["v1"]?.["http/request-count"], 40, `loop ${loop.loop}`);
      assert.equal(loop.metrics["v2"]?.["http/request-count"], 40, `loop ${loop.loop}`);
      assert.equal(loop.completed, true);
      assert.equal(loop.scope, "loop");
      assert.equal(loop.slos.length, 1);
    }
    assert.equal(a.served(), 120);
    assert.equal(b.served(), 120);
    assert.equal(result.metrics["v1"]?.["http/request-count"], 40, "the top-level metrics are the last loop's");
    // `if: NumLoops == 2` ran the task in the second loop only.
    assert.deepEqual(result.loops?.map((loop) => loop.tasks[2]), ["skipped", "completed", "skipped"]);
    // Loop starts are at least the interval apart.
    const starts = (result.loops ?? []).map((loop) => Date.parse(loop.startTime));
    assert.ok((starts[1] ?? 0) - (starts[0] ?? 0) >= 390 && (starts[2] ?? 0) - (starts[1] ?? 0) >= 390, `starts ${starts.join(", ")}`);
    assert.ok(Date.now() - startMs >= 800);
    const boundaries = events.filter((e) => e.type === "loop-started" || e.type === "loop-finished").map((e) => `${e.type}:${e.loop}`);
    assert.deepEqual(boundaries, ["loop-started:1", "loop-finished:1", "loop-started:2", "loop-finished:2", "loop-started:3", "loop-finished:3"]);
    // Timeline points say which loop they belong to.
    const loopsInTimeline = new Set((result.timeline ?? []).map((p) => p.loop));
    assert.deepEqual([...loopsInTimeline].sort(), [1, 2, 3]);
  });

  void it("scope: cumulative assesses every loop's samples added up", async (t) => {
    const a = await startHttpTarget();
    const b = await startHttpTarget();
    teardown(t).defer(() => a.close());
    teardown(t).defer(() => b.close());
    const link = await agents(t);
    const result = await runExperiment(experiment(a, b, "cumulative"), { link, logger: silentLogger(), bayesian: defaultBayesian(), loops: loopPlanOf({ loops: 3 }) });
    assert.equal(result.completed, true, result.failure ?? "");
    assert.equal(result.assessment?.["scope"], "cumulative");
    assert.equal(result.assessment?.["loopsAssessed"], 3);
    assert.equal(result.samples?.["v1"]?.["http/latency-mean"]?.type, "mean");
    // The loop's own sample counts 40 requests; the assessment's posterior saw 120.
    const sample = result.samples?.["v1"]?.["http/latency-mean"];
    assert.equal(sample?.type === "mean" ? sample.count : 0, 40);
    const assess = result.tasks[1]?.detail;
    assert.equal(assess?.["loopsAssessed"], 3);
    assert.deepEqual(result.loops?.map((l) => l.scope), ["cumulative", "cumulative", "cumulative"]);
  });

  void it("a cancel between loops stops at once and keeps the loops measured", async (t) => {
    const a = await startHttpTarget();
    const b = await startHttpTarget();
    teardown(t).defer(() => a.close());
    teardown(t).defer(() => b.close());
    const link = await agents(t);
    const controller = new AbortController();
    const running = runExperiment(experiment(a, b, "loop"), {
      link,
      logger: silentLogger(),
      signal: controller.signal,
      loops: loopPlanOf({ loops: 5, intervalMs: 60_000 }),
      onEvent: (event) => {
        if (event.type === "loop-finished" && event.loop === 1) controller.abort();
      },
    });
    const startMs = Date.now();
    const result = await running;
    assert.ok(Date.now() - startMs < 30_000, "did not wait for the next loop");
    assert.equal(result.incomplete, true);
    assert.equal(result.completed, false);
    assert.equal(result.numLoops, 1);
    assert.equal(result.loops?.length, 1);
    assert.match(result.failure ?? "", /interrupted after 1 of 5 loops/);
    assert.equal(result.loops?.[0]?.metrics["v1"]?.["http/request-count"], 40);
  });

  void it("a cancel inside a loop keeps what that loop measured", async (t) => {
    const a = await startHttpTarget({ delayMs: 20 });
    const b = await startHttpTarget({ delayMs: 20 });
    teardown(t).defer(() => a.close());
    teardown(t).defer(() => b.close());
    const link = await agents(t);
    const controller = new AbortController();
    let loop2Started = false;
    const running = runExperiment(experiment(a, b, "loop"), {
      link,
      logger: silentLogger(),
      signal: controller.signal,
      loops: loopPlanOf({ loops: 3 }),
      reportIntervalMs: 100,
      onEvent: (event) => {
        if (event.type === "loop-started" && event.loop === 2) loop2Started = true;
      },
    });
    await waitUntil(() => loop2Started && a.served() > 45, { timeoutMs: 20_000, what: "loop 2 under way" });
    controller.abort();
    const result = await running;
    assert.equal(result.incomplete, true);
    assert.equal(result.numLoops, 2);
    assert.equal(result.loops?.length, 2);
    assert.equal(result.loops?.[0]?.completed, true);
    assert.equal(result.loops?.[1]?.completed, false);
    const partial = result.loops?.[1]?.metrics["v1"]?.["http/request-count"] ?? 0;
    assert.ok(partial > 0 && partial < 40, `loop 2 measured ${partial} requests before the cancel`);
  });

  void it("refuses contradicting loop settings and bad cron expressions with the flag's name", () => {
    assert.throws(() => loopPlanOf({ intervalMs: 1000 }), (e: unknown) => e instanceof AssayError && e.code === ErrorCode.BadFlag && /--loops/.test(e.message));
    assert.throws(() => loopPlanOf({ loops: 2, intervalMs: 1000, schedule: "* * * * *" }), /--interval and --schedule/);
    assert.throws(() => loopPlanOf({ schedule: "every minute" }), (e: unknown) => e instanceof AssayError && /--schedule: "every minute" is not a cron expression/.test(e.message));
    assert.equal(loopPlanOf({ schedule: "*/5 * * * *" }).loops, undefined);
    assert.equal(loopPlanOf({ schedule: "*/5 * * * *", loops: 4 }).loops, 4);
  });
});
