/**
 * The Coordinator service definition, loaded at run time from proto/assay/v1/service.proto by
 * @grpc/proto-loader with the options the TypeScript types were generated with (scripts/gen-proto.mjs).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSync } from "@grpc/proto-loader";
import type { Options, PackageDefinition } from "@grpc/proto-loader";
import { loadPackageDefinition } from "@grpc/grpc-js";
import { ConfigurationError, ErrorCode } from "../../core/index.js";
import type { api } from "../../core/index.js";

/** Must match the flags of proto-loader-gen-types in scripts/gen-proto.mjs. */
export const SERVICE_LOADER_OPTIONS: Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

/** Fully-qualified service name, as health checks and reflection know it. */
export const COORDINATOR_SERVICE_NAME = "assay.v1.Coordinator";

const SERVICE_PROTO = join("assay", "v1", "service.proto");

/** The proto/ directory: next to the package root, from sources (tsx) or from dist/. */
export function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "proto");
    if (existsSync(join(candidate, SERVICE_PROTO))) return candidate;
    dir = dirname(dir);
  }
  throw new ConfigurationError(ErrorCode.FileNotFound, `cannot find proto/${SERVICE_PROTO} above ${fileURLToPath(import.meta.url)}`);
}

let cached: { packageDefinition: PackageDefinition; proto: api.ProtoGrpcType } | undefined;

/** The package definition (for reflection) and the typed gRPC objects (service + client class). */
export function loadCoordinatorService(): { packageDefinition: PackageDefinition; proto: api.ProtoGrpcType } {
  if (!cached) {
    const root = protoRoot();
    const packageDefinition = loadSync(join(root, SERVICE_PROTO), { ...SERVICE_LOADER_OPTIONS, includeDirs: [root] });
    cached = { packageDefinition, proto: loadPackageDefinition(packageDefinition) as unknown as api.ProtoGrpcType };
  }
  return cached;
}
