/**
 * `assay launch` renders Iter8 v0.14's chart (test/compat/launch): every documented `iter8 k launch`
 * value set is rendered with `assay launch --dry-run` (values file and `--set` list) and compared
 * to the render Iter8's chart produces; cases with a `run:` block also launch for real against
 * local services. Owned by the `assay launch` work (issue 11 item 8): until it lands this file is
 * left out of the default `npm test` run by PENDING_LAUNCH_TESTS in scripts/run-tests.mjs.
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
