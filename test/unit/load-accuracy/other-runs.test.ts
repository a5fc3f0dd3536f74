/**
 * Several experiments can run at once on one coordinator (the service's concurrency): each load
 * task sees every report on the link. One tagged with another run's id must be skipped without
 * being decoded (and still acked, so a durable consumer does not redeliver it).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { pino } from "pino";
import { runExperiment } from "../../../coordinator/index.js";
import { runIdOfSubject } from "../../../core/index.js";
import { experiment, fakeAgents, httpTarget } from "./support.js";

test("runIdOfSubject reads the run of a report or done subject", () => {
  assert.equal(runIdOfSubject("assay.run.r-42.report"), "r-42");
  assert.equal(runIdOfSubject("assay.run.r-42.done"), "r-42");
  assert.equal(runIdOfSubject("assay.agent.a1.heartbeat"), undefined);
});

test("a load task skips another run's reports without decoding them", async (t) => {
  const target = await httpTarget(t);
  const link = fakeAgents(t, [{ id: "a" }]);
  const lines: string[] = [];
  const logger = pino({ level: "warn" }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
  let acked = 0;
  const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]); // not an IntervalReport
  const timer = setInterval(() => link.inject({ type: "report", agentId: "a", runId: "some-other-run", payload: garbage, ack: () => acked++ }), 50);
  t.after(() => clearInterval(timer));
  const result = await runExperiment(
    experiment(`spec:\n  - task: http\n    with: { url: "${target.url}", numRequests: 60, qps: 60, connections: 2 }\n`),
    { link, logger, reportIntervalMs: 250 },
  );
  clearInterval(timer);
  assert.equal(result.metrics["default"]?.["http/request-count"], 60);
  assert.ok(acked > 5, `other runs' reports are acked (${acked})`);
  assert.equal(lines.filter((l) => l.includes("malformed")).length, 0, "nothing was decoded: no malformed-message warning");
});
