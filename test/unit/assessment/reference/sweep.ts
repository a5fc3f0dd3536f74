/**
 * Compares the assessment's numbers with sweep.py's reference values and prints the worst error
 * per quantity (the precision table of docs/assessment.md). Not a test: a measurement to rerun.
 *
 *   python3 test/unit/assessment/reference/sweep.py > /tmp/sweep.json
 *   npm run build && node dist/test/unit/assessment/reference/sweep.js /tmp/sweep.json
 */
import { readFileSync } from "node:fs";
import { compareArms, createRng, credibleInterval, liftInterval } from "../../../../coordinator/assessment/index.js";
import type { Direction, Posterior } from "../../../../coordinator/assessment/index.js";

type Arm = ["beta", number, number] | ["gamma", number, number] | ["student", number, number, number];

interface Sweep {
  intervals: { arm: Arm; level: number; bounds: [number, number]; consistent: boolean }[];
  pbest: { arms: Arm[]; direction: Direction; pBest: number[]; loss: (number | null)[] }[];
  lift: { version: Arm; baseline: Arm; level: number; bounds: [number, number] }[];
}

function posterior(arm: Arm): Posterior {
  switch (arm[0]) {
    case "beta":
      return { family: "beta", alpha: arm[1], beta: arm[2] };
    case "gamma":
      return { family: "gamma", shape: arm[1], rate: arm[2] };
    case "student":
      return { family: "student", dof: arm[1], location: arm[2], scale: arm[3] };
  }
}

/** Error of interval bounds in units of max(|bound|, width), the unit of the stated precision. */
function boundError(actual: readonly [number, number] | null, expected: readonly [number, number]): number {
  if (actual === null) return Infinity;
  const width = expected[1] - expected[0];
  return Math.max(...actual.map((bound, i) => Math.abs(bound - (expected[i] ?? NaN)) / Math.max(Math.abs(expected[i] ?? NaN), width)));
}

const sweep = JSON.parse(readFileSync(process.argv[2] ?? "/tmp/sweep.json", "utf8")) as Sweep;
const worst = new Map<string, { error: number; where: string; count: number }>();
const record = (quantity: string, error: number, where: string): void => {
  const entry = worst.get(quantity) ?? { error: 0, where: "", count: 0 };
  entry.count += 1;
  if (!(error <= entry.error)) {
    entry.error = error;
    entry.where = where;
  }
  worst.set(quantity, entry);
};

for (const row of sweep.intervals) {
  if (!row.consistent) {
    record("(scipy reference failed its own cdf round trip: not used)", 0, `${JSON.stringify(row.arm)} at ${row.level}`);
    continue;
  }
  record(`credible interval (${row.arm[0]})`, boundError(credibleInterval(posterior(row.arm), row.level), row.bounds), `${JSON.stringify(row.arm)} at ${row.level}`);
}
for (const row of sweep.pbest) {
  const result = compareArms(row.arms.map(posterior), row.direction, 1_000_000, () => createRng(1));
  const where = `${row.direction} ${JSON.stringify(row.arms)} (${result.method})`;
  row.pBest.forEach((p, i) => record("P(best)", Math.abs((result.pBest[i] ?? NaN) - p), where));
  row.loss.forEach((l, i) => {
    const mine = result.expectedLoss[i] ?? NaN;
    if (l === null) record("expected loss undefined (NaN both)", Number.isNaN(mine) ? 0 : Infinity, where);
    else record("expected loss (relative)", Math.abs(mine - l) / Math.abs(l), where);
  });
}
for (const row of sweep.lift) {
  record(`lift interval (${row.version[0]})`, boundError(liftInterval(posterior(row.version), posterior(row.baseline), row.level), row.bounds), `${JSON.stringify(row.version)} over ${JSON.stringify(row.baseline)} at ${row.level}`);
}

console.log("| quantity | cases | worst error | where |");
console.log("|---|---:|---:|---|");
for (const [quantity, { error, where, count }] of worst) console.log(`| ${quantity} | ${count} | ${error.toExponential(2)} | ${where} |`);
