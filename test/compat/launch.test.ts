/**
 * `assay launch` against Iter8 v0.14's chart (test/compat/launch): every documented value set is
 * rendered with `assay launch --dry-run` (from its values file and from its `--set` list) and
 * compared deep-equal with what Iter8's chart renders; the sets with a `run:` block are launched
 * for real against local services (the gRPC sets against the local Greeter, services.ts).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanupAll } from "../harness/index.js";
import { loadLaunchCases, runLaunchRender, runLaunchRun } from "./corpus.js";

after(cleanupAll);

const launchCases = await loadLaunchCases();

function fail(problems: readonly string[]): void {
  if (problems.length > 0) assert.fail(`${problems.length} mismatch(es):\n  - ${problems.join("\n  - ")}`);
}

void describe("assay launch renders Iter8 v0.14's chart (test/compat/launch)", () => {
  for (const c of launchCases) {
    void it(`render ${c.id} — ${c.source}`, { timeout: 120_000 }, async () => fail(await runLaunchRender(c)));
    if (c.run !== undefined) {
      void it(`launch ${c.id} against local services`, { timeout: 180_000 }, async () => fail(await runLaunchRun(c)));
    }
  }
});
