/**
 * A gRPC server-reflection client (grpc.reflection.v1alpha, which grpc-go, grpc-java and grpc-js
 * servers offer; v1 is tried when v1alpha is unimplemented): asks for the file that defines the
 * service, then for every file it imports, and returns them as a FileDescriptorSet. The few
 * messages involved are read and written with protobufjs' wire Reader and Writer.
 */
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs/minimal.js";
import { ErrorCode, TargetError } from "../../core/index.js";
import type { GrpcCallSpec, GrpcTaskSpec } from "../../core/index.js";

const VERSIONS = ["grpc.reflection.v1alpha", "grpc.reflection.v1"] as const;
const identity = (value: Buffer): Buffer => value;

/** The FileDescriptorSet (serialized) of the file defining `service` and everything it imports. */
export async function reflectFileDescriptorSet(task: GrpcTaskSpec, call: GrpcCallSpec, service: string): Promise<Buffer> {
  const credentials = task.tls.plaintext
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(null, null, null, task.tls.skipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {});
  const client = new grpc.Client(call.host, credentials, task.tls.serverName ? { "grpc.ssl_target_name_override": task.tls.serverName } : {});
  try {
    let lastError: unknown;
    for (const version of VERSIONS) {
      try {
        return await reflect(client, `/${version}.ServerReflection/ServerReflectionInfo`, call, service, task.connectTimeoutMs + task.timeoutMs);
      } catch (error) {
        lastError = error;
        if ((error as { code?: unknown }).code !== grpc.status.UNIMPLEMENTED) break;
      }
    }
    throw reflectionError(call, lastError);
  } finally {
    client.close();
  }
}

function reflect(client: grpc.Client, path: string, call: GrpcCallSpec, service: string, timeoutMs: number): Promise<Buffer> {
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(call.reflectMetadata)) metadata.add(name, value);
  const stream = client.makeBidiStreamRequest(path, identity, identity, metadata, { deadline: Date.now() + timeoutMs });
  const files = new Map<string, Buffer>();
  const asked = new Set<string>();
  let pending = 0;
  const ask = (field: 3 | 4, value: string): void => {
    pending += 1;
    stream.write(Buffer.from(protobuf.Writer.create().uint32((field << 3) | 2).string(value).finish()));
  };
  return new Promise<Buffer>((resolve, reject) => {
    let failure: Error | undefined;
    stream.on("data", (response: Buffer) => {
      pending -= 1;
      const { files: received, error } = readResponse(response);
      if (error !== undefined) {
        failure ??= new Error(error);
        stream.end();
        return;
      }
      for (const bytes of received) {
        const { name, dependencies } = readFileDescriptor(bytes);
        files.set(name, bytes);
        asked.add(name);
        for (const dependency of dependencies) {
          if (!asked.has(dependency)) {
            asked.add(dependency);
            ask(3, dependency);
          }
        }
      }
      if (pending === 0) stream.end();
    });
    stream.on("error", (error: Error) => reject(error));
    stream.on("status", (status: grpc.StatusObject) => {
      if (failure !== undefined) reject(failure);
      else if (status.code === grpc.status.OK) resolve(encodeSet([...files.values()]));
    });
    ask(4, service);
  });
}

/** ServerReflectionResponse: file_descriptor_response (4) { repeated bytes (1) } or error_response (7) { message (2) }. */
function readResponse(bytes: Buffer): { files: Buffer[]; error: string | undefined } {
  const files: Buffer[] = [];
  let error: string | undefined;
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 4 || field === 7) {
      const inner = protobuf.Reader.create(reader.bytes());
      while (inner.pos < inner.len) {
        const innerTag = inner.uint32();
        if (field === 4 && innerTag >>> 3 === 1) files.push(Buffer.from(inner.bytes()));
        else if (field === 7 && innerTag >>> 3 === 2) error = inner.string();
        else inner.skipType(innerTag & 7);
      }
      if (field === 7) error ??= "reflection error";
    } else reader.skipType(tag & 7);
  }
  return { files, error };
}

/** FileDescriptorProto: name (1) and dependency (3). */
function readFileDescriptor(bytes: Buffer): { name: string; dependencies: string[] } {
  const reader = protobuf.Reader.create(bytes);
  let name = "";
  const dependencies: string[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) name = reader.string();
    else if (tag >>> 3 === 3 && (tag & 7) === 2) dependencies.push(reader.string());
    else reader.skipType(tag & 7);
  }
  return { name, dependencies };
}

/** FileDescriptorSet: repeated FileDescriptorProto file = 1. */
function encodeSet(files: readonly Buffer[]): Buffer {
  const writer = protobuf.Writer.create();
  for (const file of files) writer.uint32((1 << 3) | 2).bytes(file);
  return Buffer.from(writer.finish());
}

/** The error a failed reflection becomes: the target did not answer, or offers no reflection. */
function reflectionError(call: GrpcCallSpec, error: unknown): TargetError {
  const detail = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const hint = code === grpc.status.UNIMPLEMENTED ? "the server does not offer reflection; give proto or protoset" : detail;
  return new TargetError(ErrorCode.TargetUnreachable, `${call.host}: could not resolve ${call.call} by server reflection: ${hint}`, { cause: error });
}
