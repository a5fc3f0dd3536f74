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

  it("reports zero trials as that version's error and assesses the others", async () => {
    const file = join(await makeTempDir("assay-analyze-"), "zero.json");
    const versions = { a: { conversion: { successes: 20, trials: 200 } }, b: { conversion: { successes: 35, trials: 200 } }, c: { conversion: { successes: 0, trials: 0 } } };
    await writeFile(file, JSON.stringify({ rewards: { max: ["conversion"] }, versions }));
    const run = await assay(["analyze", file, "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const assessment = JSON.parse(run.stdout) as { winner: string | null; errors: Record<string, Record<string, string>>; rewards: Record<string, { versions: Record<string, unknown> }> };
    assert.match(assessment.errors["c"]?.["conversion"] ?? "", /trials must be > 0/);
    assert.deepEqual(Object.keys(assessment.rewards["conversion"]!.versions), ["a", "b"]);
    assert.equal(assessment.winner, "b");
  });

  it("re-analyses a stored result written with sorted keys: same reward order, winner and weights", async () => {
    const dir = await makeTempDir("assay-analyze-");
    // revenue is listed first and favours a; conversion sorts first and favours b.
    const a = { revenue: { count: 400, sum: 21200, sumOfSquares: 400 * 53 * 53 + 39900 }, conversion: { successes: 20, trials: 200 } };
    const b = { revenue: { count: 400, sum: 20000, sumOfSquares: 400 * 50 * 50 + 39900 }, conversion: { successes: 35, trials: 200 } };
    const input = join(dir, "input.json");
    await writeFile(input, JSON.stringify({ rewards: { max: ["revenue", "conversion"] }, options: { floor: 10 }, versions: { a, b } }));
    const first = await assay(["analyze", input, "-o", "json"]);
    assert.equal(first.code, 0, first.stderr);
    const assessment = JSON.parse(first.stdout) as { winner: string; weights: Record<string, number>; decidingReward: string };
    assert.equal(assessment.decidingReward, "revenue");
    const result = {
      schemaVersion: 2, name: "ab", completed: true, failure: null, versions: ["a", "b"], tasks: [],
      metrics: { a: { revenue: 53, conversion: 0.1 }, b: { revenue: 50, conversion: 0.175 } },
      samples: { a: { revenue: { type: "mean", ...a.revenue }, conversion: { type: "rate", ...a.conversion } }, b: { revenue: { type: "mean", ...b.revenue }, conversion: { type: "rate", ...b.conversion } } },
      slos: [],
      assessment,
    };
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v === null || typeof v !== "object" ? v : Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
    const stored = join(dir, "result.json");
    await writeFile(stored, JSON.stringify(sorted(result), null, 2));
    const again = await assay(["analyze", stored, "-o", "json"]);
    assert.equal(again.code, 0, again.stderr);
    const reassessed = JSON.parse(again.stdout) as typeof assessment;
    assert.equal(reassessed.decidingReward, "revenue");
    assert.equal(reassessed.winner, assessment.winner);
    assert.deepEqual(reassessed.weights, assessment.weights);
  });

  it("names the bad field and exits 2", async () => {
    const file = join(await makeTempDir("assay-analyze-"), "bad.json");
    await writeFile(file, JSON.stringify({ rewards: { max: ["conversion"] }, versions: { a: { conversion: { successes: 1, trials: 0 } }, b: { conversion: { successes: 1, trials: 10 } } } }));
    const run = await assay(["analyze", file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /versions\.a\.conversion/);
  });
});
