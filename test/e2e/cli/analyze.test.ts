import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanupAll, makeTempDir } from "../../harness/index.js";
import { REPO_ROOT, assay } from "./cli.js";

after(() => cleanupAll());

describe("assay analyze", () => {
  it("assesses the bundled example: b wins with integer weights summing to 100", async () => {
    const run = await assay(["analyze", join(REPO_ROOT, "examples", "analyze-conversion.json"), "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const assessment = JSON.parse(run.stdout) as {
      winner: string | null;
      weights: Record<string, number>;
      rewards: Record<string, { versions: Record<string, { pBest: number; lift: number | null }> }>;
    };
    assert.equal(assessment.winner, "b");
    const weights = Object.values(assessment.weights);
    assert.equal(weights.reduce((a, b) => a + b, 0), 100);
    assert.ok(weights.every((w) => Number.isInteger(w)));
    const conversion = assessment.rewards["conversion"]!.versions;
    const pBestSum = Object.values(conversion).reduce((sum, v) => sum + v.pBest, 0);
    assert.ok(Math.abs(pBestSum - 1) < 1e-6, `P(best) sums to ${pBestSum}`);
    assert.equal(conversion["a"]!.lift, 0, "the baseline has no lift over itself");
    const text = await assay(["analyze", join(REPO_ROOT, "examples", "analyze-conversion.json")]);
    assert.match(text.stdout, /Winner: b/);
  });

  it("names the bad field and exits 2", async () => {
    const file = join(await makeTempDir("assay-analyze-"), "bad.json");
    await writeFile(file, JSON.stringify({ rewards: { max: ["conversion"] }, versions: { a: { conversion: { successes: 1, trials: 0 } }, b: { conversion: { successes: 1, trials: 10 } } } }));
    const run = await assay(["analyze", file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /versions\.a\.conversion/);
  });
});
