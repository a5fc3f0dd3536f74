/** `assay assert ID -t D` against a real coordinator: waits up to D for the experiment to end (Iter8's assert -t). */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cleanupAll, makeTempDir, startHttpTarget } from "../../harness/index.js";
import type { HttpTarget } from "../../harness/index.js";
import { assay, startCoordinator, writeExperiment } from "./support.js";
import type { CoordinatorProcess } from "./support.js";

describe("assay assert -t against the coordinator", { timeout: 240_000 }, () => {
  let target: HttpTarget;
  let coordinator: CoordinatorProcess;
  let dir: string;

  before(async () => {
    dir = await makeTempDir("api-assert");
    target = await startHttpTarget({ delayMs: 1 });
    const config = join(dir, "coordinator.yaml");
    await writeFile(config, `allowedTargets: ["127.0.0.1"]\nlimits: { maxQps: 200, maxDuration: 1m }\n`);
    coordinator = await startCoordinator(["--config", config]);
  });
  after(async () => {
    await coordinator?.stop();
    await cleanupAll();
  });

  it("waits up to its timeout for a submitted experiment to end; too short a timeout finds no result", async () => {
    // Long enough that the CLI (seconds to start on a busy machine) asks while it still runs.
    const file = await writeExperiment(dir, "asserted", target.url, { duration: "20s", qps: 10 });
    const submitted = await assay(["submit", file, "--coordinator", coordinator.address]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    const early = await assay(["assert", id, "-c", "completed", "-t", "100ms", "--coordinator", coordinator.address]);
    assert.notEqual(early.code, 0, "100 ms is too short for a 20 s experiment");
    assert.match(early.stderr, /has no result yet|did not complete/);
    const waited = await assay(["assert", id, "-c", "completed", "-c", "slos", "--timeout", "120s", "--coordinator", coordinator.address]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /all conditions hold: completed, slos/);
    const file2 = join(dir, "result.json");
    await writeFile(file2, (await assay(["report", id, "-o", "json", "--coordinator", coordinator.address])).stdout);
    const onFile = await assay(["assert", file2, "-c", "completed", "-t", "1s"]);
    assert.equal(onFile.code, 0, `-t has no effect on a file: ${onFile.stderr}`);
  });
});
