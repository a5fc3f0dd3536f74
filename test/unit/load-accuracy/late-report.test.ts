/**
 * Review: an agent declared lost while it was only cut off (network partition, or an event loop
 * blocked past lostAfterMs) keeps sending; JetStream delivers its reports later. The coordinator
 * has already handed its unfinished requests to the survivors, and then merges the late reports too.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runExperiment } from "../../../coordinator/index.js";
import { silentLogger } from "../../../core/index.js";
import { startHttpTarget } from "../../harness/index.js";
import { FakeLink, experiment } from "./support.js";

test("numRequests stays exact when a 'lost' agent's reports arrive after its share was redistributed", async (t) => {
  const target = await startHttpTarget();
  t.after(() => target.close());
  const link = new FakeLink([{ id: "a" }, { id: "b" }]);
  t.after(() => link.close());
  const exp = experiment(`
name: review-late
spec:
  - task: http
    with:
      url: ${target.url}
      numRequests: 200
      qps: 50
      connections: 2
`);
  const cut = setTimeout(() => link.partition("a"), 1500);
  const heal = setTimeout(() => link.heal("a"), 2600);
  t.after(() => {
    clearTimeout(cut);
    clearTimeout(heal);
  });
  const result = await runExperiment(exp, { link, logger: silentLogger(), reportIntervalMs: 250 });
  const count = result.metrics["default"]?.["http/request-count"];
  const dropped = result.metrics["default"]?.["http/dropped-count"] ?? 0;
  assert.ok(result.load?.events.some((e) => e.type === "redistributed"), "a's share was redistributed");
  assert.equal((count ?? 0) + dropped, 200, `request-count + dropped must be numRequests; served by target: ${target.served()}; events: ${JSON.stringify(result.load?.events.map((e) => e.type))}`);
});
