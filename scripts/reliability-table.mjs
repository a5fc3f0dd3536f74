// Regenerates the scenario table of docs/reliability.md ("Scenarios") from
// test/harness/reliability.ts: runs each scenario's test file (compiled, under dist/) with
// ASSAY_RELIABILITY_OUT set, so the tests record what they measured, and writes the table between
// its markers. A scenario whose test failed shows FAILS; one whose test passed without recording a
// figure shows "passes".
// Usage (after `npx tsc -p tsconfig.json`):
//   node scripts/reliability-table.mjs            every scenario
//   node scripts/reliability-table.mjs ID...      only these scenarios (the other rows keep their measured cell)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..");
const harness = join(root, "dist", "test", "harness", "reliability.js");
if (!existsSync(harness)) {
  console.error("dist/test/harness/reliability.js is missing: build first (npx tsc -p tsconfig.json)");
  process.exit(1);
}
const { SCENARIOS, RELIABILITY_TABLE_BEGIN, RELIABILITY_TABLE_END, renderReliabilityTable } = await import(pathToFileURL(harness).href);

const docPath = join(root, "docs", "reliability.md");
const doc = readFileSync(docPath, "utf8");
const begin = doc.indexOf(RELIABILITY_TABLE_BEGIN);
const end = doc.indexOf(RELIABILITY_TABLE_END);
if (begin < 0 || end < begin) {
  console.error("docs/reliability.md has no reliability-scenarios markers");
  process.exit(1);
}

/** The measured cell of each row now in the doc (kept for scenarios not re-run). */
const previous = new Map();
for (const line of doc.slice(begin, end).split("\n")) {
  const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
  if (cells.length >= 7 && SCENARIOS.some((s) => s.id === cells[1])) previous.set(cells[1], cells[5]);
}

const only = new Set(process.argv.slice(2));
const unknown = [...only].filter((id) => !SCENARIOS.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(`unknown scenario ids: ${unknown.join(", ")}`);
  process.exit(2);
}
const chosen = SCENARIOS.filter((s) => only.size === 0 || only.has(s.id));
/** One run per test file and name pattern. */
const runKey = (s) => `${s.test}${s.testName ? ` (tests matching "${s.testName}")` : ""}`;
const runs = [...new Map(chosen.map((s) => [runKey(s), s])).values()];

const dir = mkdtempSync(join(tmpdir(), "assay-reliability-"));
const out = join(dir, "measurements.jsonl");
const passed = new Map();
for (const run of runs) {
  const compiled = join(root, "dist", run.test.replace(/\.ts$/, ".js"));
  const key = runKey(run);
  console.error(`running ${key} ...`);
  const started = Date.now();
  const pattern = run.testName ? [`--test-name-pattern=${run.testName}`] : [];
  const result = spawnSync(process.execPath, ["--test", "--test-reporter=dot", ...pattern, compiled], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ASSAY_RELIABILITY_OUT: out },
  });
  passed.set(key, result.status === 0);
  console.error(`  ${result.status === 0 ? "passed" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
const measured = new Map();
if (existsSync(out)) {
  for (const line of readFileSync(out, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const { id, measured: text } = JSON.parse(line);
    measured.set(id, [...(measured.get(id) ?? []), text]);
  }
}
rmSync(dir, { recursive: true, force: true });

const cellOf = (id) => {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!chosen.includes(scenario)) return previous.get(id) ?? "not measured yet";
  if (!passed.get(runKey(scenario))) return "FAILS";
  return (measured.get(id) ?? ["passes"]).join("; ");
};
const table = `\n${renderReliabilityTable(cellOf)}\n`;
writeFileSync(docPath, doc.slice(0, begin + RELIABILITY_TABLE_BEGIN.length) + table + doc.slice(end));
const failed = [...passed].filter(([, ok]) => !ok).map(([key]) => key);
console.error(failed.length === 0 ? "docs/reliability.md updated" : `docs/reliability.md updated; failing: ${failed.join(", ")}`);
process.exit(failed.length === 0 ? 0 : 1);
