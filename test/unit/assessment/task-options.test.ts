/**
 * The assess task's options as written in an experiment file: validated with their line before
 * anything runs, and handed to the assessment in a form its own validation accepts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExperimentValidationError, parseExperimentText } from "../../../core/index.js";
import type { AssessTaskSpec } from "../../../core/index.js";
import { resolveOptions } from "../../../coordinator/assessment/index.js";

function assessTask(withBlock: string): AssessTaskSpec {
  const experiment = parseExperimentText(`- task: assess\n  with:\n${withBlock}`, "exp.yaml");
  const task = experiment.tasks[0];
  assert.ok(task !== undefined && task.spec.task === "assess");
  return task.spec;
}

function problemsOf(withBlock: string): string[] {
  try {
    assessTask(withBlock);
  } catch (error) {
    assert.ok(error instanceof ExperimentValidationError);
    return error.problems.map((p) => `${p.location.line}: ${p.message}`);
  }
  assert.fail("expected a validation error");
}

void test("assess options under with: (the docs' example) reach the assessment intact", () => {
  const spec = assessTask(`    rewards: {max: [shop/conversion, shop/revenue]}
    priors:
      rate: {alpha: 1, beta: 1}
      count: {shape: 1, rate: 0}
      mean: jeffreys
      metrics:
        shop/conversion: {rate: {alpha: 2, beta: 20}}
        shop/revenue: {mean: {mean: 50, kappa: 2, alpha: 3, beta: 300}}
        shop/basket: {mean: {mean: 40, sd: 5}}
    floor: 5
    failingWeight: zero
    maxIncrease: 10
    currentWeights: {v1: 80, v2: 20}
    seed: 7
    samples: 200000
`);
  assert.deepEqual(spec.options, {
    priors: {
      rate: { alpha: 1, beta: 1 },
      count: { shape: 1, rate: 0 },
      mean: "jeffreys",
      metrics: {
        "shop/conversion": { rate: { alpha: 2, beta: 20 } },
        "shop/revenue": { mean: { mean: 50, kappa: 2, alpha: 3, beta: 300 } },
        "shop/basket": { mean: { mean: 40, sd: 5 } },
      },
    },
    floor: 5,
    maxIncrease: 10,
    seed: 7,
    draws: 200000,
    failingWeight: "zero",
    currentWeights: { v1: 80, v2: 20 },
  });
  const resolved = resolveOptions(spec.options);
  assert.deepEqual(resolved.metricPriors["shop/revenue"], { mean: { mean: 50, kappa: 2, alpha: 3, beta: 300 } });
  assert.equal(resolved.draws, 200000);
});

void test("bad assess options are reported with their line before anything runs", () => {
  assert.deepEqual(problemsOf("    priors: {mean: {mean: 1, kappa: 1, alpha: 0, beta: 1}}\n"), ["3: spec[0].with.priors.mean.alpha: expected a positive number, got 0"]);
  assert.deepEqual(problemsOf("    floor: 2.5\n"), ["3: spec[0].with.floor: expected an integer from 0 to 100, got 2.5"]);
  assert.match(problemsOf("    draws: 1000\n    samples: 1000\n")[0] ?? "", /^4: spec\[0\]\.with\.samples: samples is an older name of draws/);
  assert.match(problemsOf("    maxIncrease: 10\n")[0] ?? "", /maxIncrease caps each step relative to currentWeights/);
  assert.match(problemsOf("    currentWeights: {a: 60, b: 30}\n")[0] ?? "", /^3: spec\[0\]\.with\.currentWeights: the weights must sum to 100 \(got 90\)/);
  assert.match(problemsOf("    priors: {mean: normal}\n")[0] ?? "", /^3: spec\[0\]\.with\.priors\.mean: expected "jeffreys", \{mean, kappa, alpha, beta\}/);
  assert.match(problemsOf("    priors: {rate: {alpha: 1}}\n")[0] ?? "", /is required/);
});
