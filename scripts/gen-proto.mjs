// Generates core/proto/gen/assay.js (+ .d.ts) from proto/ with protobufjs-cli.
// The generated code is never edited by hand and never committed.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "core", "proto", "gen");
const outJs = join(outDir, "assay.js");
const outDts = join(outDir, "assay.d.ts");

function protoFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? protoFiles(path) : name.endsWith(".proto") ? [path] : [];
  });
}

const sources = protoFiles(join(root, "proto")).sort();
const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs));
const upToDate = (() => {
  try {
    return statSync(outJs).mtimeMs >= newestSource && statSync(outDts).mtimeMs >= newestSource;
  } catch {
    return false;
  }
})();
if (!upToDate) {
  mkdirSync(outDir, { recursive: true });
  const bin = (name) => join(root, "node_modules", "protobufjs-cli", "bin", name);
  execFileSync(process.execPath, [bin("pbjs"), "-t", "static-module", "-w", "es6", "--es6", "--force-number",
    "--dependency", "protobufjs/minimal.js", "-p", join(root, "proto"), "-o", outJs, ...sources], { stdio: "inherit" });
  execFileSync(process.execPath, [bin("pbts"), "-o", outDts, outJs], { stdio: "inherit" });
}
