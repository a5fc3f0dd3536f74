// Generates core/proto/gen/assay.js (+ .d.ts) from proto/ with protobufjs-cli, and the TypeScript
// types of the gRPC service (proto/assay/v1/service.proto) into core/proto/gen/service/ with
// @grpc/proto-loader's proto-loader-gen-types (the service itself is loaded at run time by
// @grpc/proto-loader with the same options: coordinator/service/definition.ts).
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

// Step 2: the gRPC service's TypeScript types. Options must match SERVICE_LOADER_OPTIONS in
// coordinator/service/definition.ts.
const serviceProto = join(root, "proto", "assay", "v1", "service.proto");
const serviceOut = join(outDir, "service");
const serviceMarker = join(serviceOut, "service.ts");
const serviceUpToDate = (() => {
  try {
    return statSync(serviceMarker).mtimeMs >= statSync(serviceProto).mtimeMs;
  } catch {
    return false;
  }
})();
if (!serviceUpToDate) {
  mkdirSync(serviceOut, { recursive: true });
  execFileSync(process.execPath, [join(root, "node_modules", "@grpc", "proto-loader", "build", "bin", "proto-loader-gen-types.js"),
    "--grpcLib", "@grpc/grpc-js", "--longs", "Number", "--enums", "String", "--defaults", "--oneofs",
    "--importFileExtension", ".js", "-I", join(root, "proto"), "-O", serviceOut, "assay/v1/service.proto"], { stdio: "inherit" });
}
