/**
 * The runner table typed by task name: each runner gets its own task's spec, the default table
 * covers every task beyond http and assess, and a task without a runner is refused before it runs.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defaultRunners, runExperiment } from "../../../coordinator/index.js";
import type { RunEvent, TaskRunners } from "../../../coordinator/index.js";
import { ErrorCode, TaskName, isAssayError, isErrorCode, parseExperimentText, silentLogger } from "../../../core/index.js";
import type { AgentLink, NotifyTaskSpec } from "../../../core/index.js";

/** No agents: enough for experiments without load tasks. */
const noAgents: AgentLink = {
  agents: () => [],
  control: () => Promise.reject(new Error("no agents in this test")),
  subscribe: () => () => undefined,
  close: () => Promise.resolve(),
};

const NOTIFY_ONLY = `spec:
  - task: notify
    with:
      url: http://127.0.0.1:9/hook
      method: POST
`;

describe("runner table", () => {
  it("the default table has a runner for custommetrics and every action task", () => {
    const names = Object.keys(defaultRunners()).sort();
    assert.deepEqual(names, [TaskName.CloudEvent, TaskName.CustomMetrics, TaskName.Github, TaskName.K8sPatch, TaskName.Notify, TaskName.Ready, TaskName.Run, TaskName.Slack, TaskName.Traffic].sort());
  });

  it("hands a runner its own task's spec, and experiment-started carries the live result", async () => {
    const seen: NotifyTaskSpec[] = [];
    const runners: TaskRunners = {
      notify: (spec) => {
        seen.push(spec);
        return Promise.resolve({ detail: { url: spec.url } });
      },
    };
    const events: RunEvent[] = [];
    const result = await runExperiment(parseExperimentText(NOTIFY_ONLY, "notify.yaml"), {
      link: noAgents,
      logger: silentLogger(),
      runners,
      onEvent: (event) => events.push(event),
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.url, "http://127.0.0.1:9/hook");
    assert.equal(result.tasks[0]?.status, "completed");
    const started = events.find((event) => event.type === "experiment-started");
    assert.ok(started && started.type === "experiment-started");
    assert.equal(started.result, result, "the live document is the one returned");
  });

  it("refuses an experiment with a task that has no runner before anything runs", async () => {
    const events: RunEvent[] = [];
    await assert.rejects(
      runExperiment(parseExperimentText(NOTIFY_ONLY, "notify.yaml"), { link: noAgents, logger: silentLogger(), onEvent: (event) => events.push(event) }),
      (error: unknown) => isAssayError(error) && error.code === ErrorCode.UnknownTask && error.kind === "configuration",
    );
    assert.deepEqual(events, []);
  });
});

describe("error codes", () => {
  it("isErrorCode accepts this build's codes only", () => {
    assert.equal(isErrorCode(ErrorCode.SecretUnavailable), true);
    assert.equal(isErrorCode("KUBERNETES_API_FAILED"), true);
    assert.equal(isErrorCode("SOMETHING_NEWER"), false);
    assert.equal(isErrorCode(""), false);
  });
});
