// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner.
// Usage: node scripts/run-tests.mjs [filter...]   (filters match against the path)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const testRoot = join(root, "dist", "test");

const filters = process.argv.slice(2);

// Test files left out of the default run (no filter) because the feature they test has not
// landed yet; each still runs by name (`node scripts/run-tests.mjs test/compat/launch`). The
// `assay launch` work (issue 11 item 8) empties this list when it lands.
const PENDING_LAUNCH_TESTS = ["dist/test/compat/launch.test.js"];

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "bench" ? [] : find(path);
    return name.endsWith(".test.js") ? [path] : [];
  });
}

const files = find(testRoot)
  .filter((f) => (filters.length === 0 ? !PENDING_LAUNCH_TESTS.includes(relative(root, f)) : filters.some((x) => relative(root, f).includes(x))))
  .sort();
if (files.length === 0) {
  console.error("no test files found under dist/test (did the build run?)");
  process.exit(1);
}
// No --test-force-exit: a test file that leaks a handle (a timer, a socket, a NATS connection)
// does not end, so the leak is found rather than hidden.
const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit", cwd: root });
process.exit(result.status ?? 1);
