/**
 * docs/reliability.md's scenario table follows test/harness/reliability.ts: a row for every
 * scenario, with the same kind, scenario and "must" text, and every named test file exists.
 * (scripts/reliability-table.mjs rewrites the table and its measured column.)
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { RELIABILITY_TABLE_BEGIN, RELIABILITY_TABLE_END, SCENARIOS, scenarioRowPrefix } from "../../harness/index.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

test("docs/reliability.md has a current row for every reliability scenario", () => {
  const root = repoRoot();
  const text = readFileSync(join(root, "docs", "reliability.md"), "utf8");
  const begin = text.indexOf(RELIABILITY_TABLE_BEGIN);
  const end = text.indexOf(RELIABILITY_TABLE_END);
  assert.ok(begin >= 0 && end > begin, "docs/reliability.md has the reliability-scenarios markers");
  const rows = text.slice(begin, end).split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| id ") && !line.startsWith("|---"));
  assert.equal(rows.length, SCENARIOS.length, "one row per scenario: rerun node scripts/reliability-table.mjs");
  for (const scenario of SCENARIOS) {
    assert.ok(rows.some((row) => row.startsWith(scenarioRowPrefix(scenario))), `row ${scenario.id} is out of date: rerun node scripts/reliability-table.mjs ${scenario.id}`);
    assert.ok(existsSync(join(root, scenario.test)), `${scenario.id}: ${scenario.test} does not exist`);
  }
  assert.equal(new Set(SCENARIOS.map((s) => s.id)).size, SCENARIOS.length, "scenario ids are unique");
});
