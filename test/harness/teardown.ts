/**
 * Test fixtures torn down in reverse order of creation, like a stack: what was started last (an
 * agent, a coordinator's NATS link) stops before what it depends on (the NATS server, the target).
 * `t.after` hooks run in the order they were added, which stops NATS under connections still open
 * to it — they then reconnect forever and the test file never ends.
 */
import type { TestContext } from "node:test";

export interface Teardown {
  /** Adds a step; steps run last-added first when the test ends, failing or not. */
  defer(step: () => unknown): void;
}

const stacks = new WeakMap<object, Teardown>();

/**
 * The teardown stack of one test (the same stack for every call with the same `t`, so helpers that
 * start fixtures can add to it). Every step runs even when an earlier one throws; the first error
 * is rethrown.
 */
export function teardown(t: Pick<TestContext, "after">): Teardown {
  const known = stacks.get(t);
  if (known) return known;
  const steps: (() => unknown)[] = [];
  t.after(async () => {
    const errors: unknown[] = [];
    for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  });
  const stack: Teardown = { defer: (step) => void steps.push(step) };
  stacks.set(t, stack);
  return stack;
}
