/**
 * An agent declared lost while it was only cut off (a partition, or an event loop blocked past
 * lostAfterMs) keeps sending, and JetStream delivers its reports later. Its share was already handed
 * to the survivors, so those late reports must not be merged: the count stays exactly numRequests.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeAgents, httpTarget, run } from "./support.js";

test("numRequests stays exact when a 'lost' agent's reports arrive after its share was redistributed", async (t) => {
  const target = await httpTarget(t);
  const link = fakeAgents(t, [{ id: "a" }, { id: "b" }]);
  const yaml = `
name: late-report
spec:
  - task: http
    with:
      url: ${target.url}
      numRequests: 200
      qps: 50
      connections: 2
`;
  const cut = setTimeout(() => link.partition("a"), 1500);
  const heal = setTimeout(() => link.heal("a"), 2600);
  t.after(() => {
    clearTimeout(cut);
    clearTimeout(heal);
  });
  const result = await run(link, yaml, 250);
  const count = result.metrics["default"]?.["http/request-count"];
  const dropped = result.metrics["default"]?.["http/dropped-count"] ?? 0;
  assert.ok(result.load?.events.some((e) => e.type === "redistributed"), "a's share was redistributed");
  assert.equal(result.load?.conservation.ok, true, result.load?.conservation.mismatches.join("; "));
  assert.equal((count ?? 0) + dropped, 200, `request-count + dropped must be numRequests; served by target: ${target.served()}; events: ${JSON.stringify(result.load?.events.map((e) => e.type))}`);
});
