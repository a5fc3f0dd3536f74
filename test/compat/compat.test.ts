/**
 * The Iter8 compatibility corpus (issue 11, and issue 12's gRPC part): every experiment file in
 * test/compat/fixtures is run with the CLI against local stand-ins for its targets and checked
 * against its expectation file. One test case per fixture, so a run lists exactly which Iter8
 * forms work. The launch renders (test/compat/launch) are in launch.test.ts.
 *
 * Cases marked `pending: grpc-engine` need the gRPC engine (issue 12). They run like the others
 * and must fail for exactly that reason: the case asserts that the CLI refused the grpc task, as
 * not available in this build or over a grpc field this build does not know yet (ghz's
 * `connect-timeout`, …). When the engine lands that assertion fails, and the case's `pending:`
 * line is removed so it is checked like every other fixture.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { cleanupAll } from "../harness/index.js";
import { loadCases, runCase } from "./corpus.js";

after(cleanupAll);

const cases = await loadCases();

/** Fixtures that need the gRPC engine (issue 12); listed so the report can group them. */
export const PENDING_GRPC_ENGINE: readonly string[] = cases.filter((c) => c.pending === "grpc-engine").map((c) => c.id);

/** What a build without the gRPC engine answers to a grpc task: checkRunnable's refusal, or a grpc field it does not know. */
const NO_GRPC_ENGINE = /the grpc task is not available in this build|in task "(?:grpc|gen-load-and-collect-metrics-grpc)"/;

/**
 * Fixtures whose Iter8 form this build still refuses at parse time, each with the refusal it must
 * show (so the case goes red, naming itself, when the form is supported: then remove its line).
 * Open work of issue 11, listed in docs/iter8.md.
 */
const PENDING_PARSER: Readonly<Record<string, RegExp>> = {
  "v1.01-chart-ready-conditions-notify": /unknown field "conditions" in task "ready"/,
  "v10.01-chart-rendered-extra-keys": /unknown field "iter8lib"/,
  "v10.02-k8s-object-ready": /unknown task "k8s-object-ready"/,
  "v10.03-collect-metrics-database": /providers\[0\]: expected a map, got "fakeprom"/,
};

function fail(problems: readonly string[]): void {
  if (problems.length > 0) assert.fail(`${problems.length} mismatch(es):\n  - ${problems.join("\n  - ")}`);
}

void describe("Iter8 experiment files run unchanged (test/compat/fixtures)", () => {
  for (const c of cases) {
    if (c.pending === "grpc-engine") {
      void it(`[pending grpc engine] ${c.id} — ${c.models}`, { timeout: 180_000 }, async () => {
        const problems = await runCase(c);
        assert.ok(
          problems.some((problem) => NO_GRPC_ENGINE.test(problem)),
          `expected this case to fail only because the gRPC engine is missing; if the engine has landed, remove \`pending: grpc-engine\` from ${c.id}.expect.yaml. Problems:\n  - ${problems.join("\n  - ")}`,
        );
      });
      continue;
    }
    const refusal = PENDING_PARSER[c.id];
    if (refusal !== undefined) {
      void it(`[pending parser] ${c.id} — ${c.models}`, { timeout: 180_000 }, async () => {
        const problems = await runCase(c);
        assert.ok(problems.some((problem) => refusal.test(problem)), `expected the known refusal ${String(refusal)}; if this form works now, remove ${c.id} from PENDING_PARSER. Problems:\n  - ${problems.join("\n  - ")}`);
      });
      continue;
    }
    void it(`${c.id} — ${c.models}`, { timeout: 180_000 }, async () => fail(await runCase(c)));
  }
});

// The launch cases (test/compat/launch) run in launch.test.ts.
