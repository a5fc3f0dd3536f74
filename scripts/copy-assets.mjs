// Copies non-TypeScript assets that compiled code reads at run time into dist/
// (test fixtures are read relative to the compiled test files).
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
for (const dir of ["test/fixtures"]) {
  const from = join(root, dir);
  if (existsSync(from)) cpSync(from, join(root, "dist", dir), { recursive: true });
}
