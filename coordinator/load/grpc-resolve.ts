/**
 * Resolves a grpc task's calls once per run, on the coordinator: reads the files it names (proto,
 * protoset, data, binary data, metadata, TLS PEMs — an earlier `run` task may have written them,
 * as Iter8's chart does), asks the server by reflection when neither proto nor protoset is given,
 * finds the method, and encodes the request messages. Agents then get bytes only (GrpcCall), so
 * they need no proto and encode nothing per call.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadFileDescriptorSetFromBuffer, loadSync } from "@grpc/proto-loader";
import type { MethodDefinition, Options as LoaderOptions, PackageDefinition } from "@grpc/proto-loader";
import { ConfigurationError, ErrorCode } from "../../core/index.js";
import type { GrpcCallInit, GrpcCallSpec, GrpcTaskSpec } from "../../core/index.js";
import protobuf from "protobufjs/minimal.js";
import { reflectFileDescriptorSet } from "./grpc-reflection.js";

/** Bytes of a URL the task fetches when it runs (`protoURL`, `dataURL`, ...). */
export type UrlReader = (url: string, field: string) => Promise<Uint8Array>;

const LOADER_OPTIONS: LoaderOptions = { keepCase: false, longs: String, enums: String, defaults: false, oneofs: true };
type AnyMethod = MethodDefinition<object, object>;

/** What one call of a series is, for every agent: the GrpcCall of its SeriesLoad. */
export async function resolveGrpcCall(task: GrpcTaskSpec, call: GrpcCallSpec, field: string, readUrl: UrlReader): Promise<GrpcCallInit> {
  const method = findMethod(call, await descriptors(task, call, field, readUrl), field);
  const messages = await requestMessages(call, method, field, readUrl);
  const metadata = await callMetadata(call, field, readUrl);
  const kind = method.requestStream ? (method.responseStream ? "bidi-streaming" : "client-streaming") : method.responseStream ? "server-streaming" : "unary";
  const tls = task.tls;
  return {
    host: call.host,
    methodPath: method.path,
    kind,
    messages,
    metadata: Object.entries(metadata).map(([name, value]) => ({ name, value })),
    connections: task.http2Connections,
    connectTimeoutMs: task.connectTimeoutMs,
    keepaliveMs: task.keepaliveMs,
    streamIntervalMs: uint32(task.stream.intervalMs),
    streamCallDurationMs: uint32(task.stream.callDurationMs),
    streamCallCount: task.stream.callCount,
    tls: !tls.plaintext,
    skipVerify: tls.skipVerify,
    caCert: await optionalFile(tls.caCertFile, `${field}.cacert`),
    certChain: await optionalFile(tls.certFile, `${field}.cert`),
    privateKey: await optionalFile(tls.keyFile, `${field}.key`),
    serverName: tls.serverName ?? "",
    authority: tls.authority ?? "",
  };
}

/** A duration in ms as the wire's uint32 carries it (longer than 49 days is as good as forever). */
function uint32(ms: number): number {
  return Math.min(Math.round(ms), 0xffffffff);
}

async function readLocal(path: string, field: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConfigurationError(ErrorCode.FileNotFound, `${field}: cannot read ${path}: ${reason}`, { field, cause: error });
  }
}

async function optionalFile(path: string | undefined, field: string): Promise<Uint8Array> {
  return path === undefined ? new Uint8Array(0) : readLocal(path, field);
}

/** The package definition the method is looked up in: proto, protoset (file or URL), or reflection. */
async function descriptors(task: GrpcTaskSpec, call: GrpcCallSpec, field: string, readUrl: UrlReader): Promise<PackageDefinition> {
  try {
    if (call.proto !== undefined) {
      await readLocal(call.proto, `${field}.proto`);
      return loadSync(call.proto, { ...LOADER_OPTIONS, includeDirs: [dirname(call.proto), ...call.importPaths] });
    }
    if (call.protoset !== undefined) return loadFileDescriptorSetFromBuffer(await readLocal(call.protoset, `${field}.protoset`), LOADER_OPTIONS);
    if (call.protoURL !== undefined) return await protoFromText(Buffer.from(await readUrl(call.protoURL, `${field}.protoURL`)));
    if (call.protosetURL !== undefined) return loadFileDescriptorSetFromBuffer(Buffer.from(await readUrl(call.protosetURL, `${field}.protosetURL`)), LOADER_OPTIONS);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(ErrorCode.BadConfig, `${field}: cannot load the service definition: ${(error as Error).message}`, { field, cause: error });
  }
  const set = await reflectFileDescriptorSet(task, call, serviceOf(call.call));
  return loadFileDescriptorSetFromBuffer(set, LOADER_OPTIONS);
}

/** A fetched .proto, loaded like a file (well-known imports resolve; imports of other files cannot). */
async function protoFromText(text: Buffer): Promise<PackageDefinition> {
  const dir = await mkdtemp(join(tmpdir(), "assay-proto-"));
  try {
    const path = join(dir, "fetched.proto");
    await writeFile(path, text);
    return loadSync(path, { ...LOADER_OPTIONS, includeDirs: [dir] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function serviceOf(call: string): string {
  const slash = call.lastIndexOf("/");
  const cut = slash >= 0 ? slash : call.lastIndexOf(".");
  return call.slice(0, cut);
}

function findMethod(call: GrpcCallSpec, definition: PackageDefinition, field: string): AnyMethod {
  const service = serviceOf(call.call);
  const name = call.call.slice(service.length + 1);
  const found = definition[service];
  if (found === undefined || "format" in found) {
    throw new ConfigurationError(ErrorCode.BadConfig, `${field}.call: no service ${service} in the service definition (it has ${servicesOf(definition)})`, { field: `${field}.call` });
  }
  const method: AnyMethod | undefined = found[name];
  if (method === undefined || typeof method.path !== "string") {
    throw new ConfigurationError(ErrorCode.BadConfig, `${field}.call: service ${service} has no method ${name} (it has ${Object.keys(found).join(", ") || "none"})`, { field: `${field}.call` });
  }
  return method;
}

function servicesOf(definition: PackageDefinition): string {
  const names = Object.entries(definition)
    .filter(([, value]) => !("format" in value))
    .map(([key]) => key);
  return names.length > 0 ? names.join(", ") : "no services";
}

/** JSON data as ghz takes it; both field spellings (`user_id`, `userId`) are accepted, as protojson does. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camelKeys(inner)]));
}

/**
 * Binary data as ghz reads it: a stream of length-delimited messages (each a varint byte count,
 * then the message: what protobuf's writeDelimitedTo writes) when the bytes read as at least one
 * such message, bytes after the last whole one ignored; otherwise one serialized message. Either
 * way every message must decode as the method's request.
 */
function binaryMessages(bytes: Uint8Array, method: AnyMethod, field: string): Uint8Array[] {
  const delimited = delimitedMessages(bytes, method);
  if (delimited.length > 0) return delimited;
  if (!decodes(bytes, method)) {
    throw new ConfigurationError(ErrorCode.BadConfig, `${field}: not a serialized ${method.path} request message, nor a stream of length-delimited ones`, { field });
  }
  return [bytes];
}

/** The length-delimited messages at the start of `bytes` ([] when the first is not one, or one does not decode). */
function delimitedMessages(bytes: Uint8Array, method: AnyMethod): Uint8Array[] {
  const messages: Uint8Array[] = [];
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    let length: number;
    try {
      length = reader.uint32();
    } catch {
      break; // a truncated length: the end of the stream (ghz stops at io.ErrUnexpectedEOF)
    }
    if (reader.pos + length > reader.len) break;
    const message = bytes.subarray(reader.pos, reader.pos + length);
    if (!decodes(message, method)) return [];
    messages.push(message);
    reader.skip(length);
  }
  return messages;
}

function decodes(message: Uint8Array, method: AnyMethod): boolean {
  try {
    method.requestDeserialize(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    return true;
  } catch {
    return false;
  }
}

async function requestMessages(call: GrpcCallSpec, method: AnyMethod, field: string, readUrl: UrlReader): Promise<Uint8Array[]> {
  if (call.binaryFile !== undefined) return binaryMessages(await readLocal(call.binaryFile, `${field}.binary-file`), method, `${field}.binary-file`);
  if (call.binaryDataURL !== undefined) return binaryMessages(await readUrl(call.binaryDataURL, `${field}.binaryDataURL`), method, `${field}.binaryDataURL`);
  if (call.binaryData !== undefined) return binaryMessages(call.binaryData, method, `${field}.binaryData`);
  let data: unknown = call.data;
  let from = `${field}.data`;
  if (call.dataFile !== undefined) {
    from = `${field}.data-file`;
    data = parseJson(await readLocal(call.dataFile, from), from);
  } else if (call.dataURL !== undefined) {
    from = `${field}.dataURL`;
    data = parseJson(await readUrl(call.dataURL, from), from);
  }
  const list = data === undefined ? [{}] : Array.isArray(data) ? data : [data];
  return list.map((item, i) => {
    try {
      return method.requestSerialize(camelKeys(item) as object);
    } catch (error) {
      throw new ConfigurationError(ErrorCode.BadConfig, `${from}${Array.isArray(data) ? `[${i}]` : ""}: not a ${method.path} request message: ${(error as Error).message}`, { field: from, cause: error });
    }
  });
}

async function callMetadata(call: GrpcCallSpec, field: string, readUrl: UrlReader): Promise<Record<string, string>> {
  let extra: unknown;
  let from = "";
  if (call.metadataFile !== undefined) {
    from = `${field}.metadata-file`;
    extra = parseJson(await readLocal(call.metadataFile, from), from);
  } else if (call.metadataURL !== undefined) {
    from = `${field}.metadataURL`;
    extra = parseJson(await readUrl(call.metadataURL, from), from);
  }
  if (extra === undefined) return { ...call.metadata };
  if (typeof extra !== "object" || extra === null || Array.isArray(extra) || !Object.values(extra).every((v) => typeof v === "string")) {
    throw new ConfigurationError(ErrorCode.BadConfig, `${from}: expected a JSON object of string values (gRPC metadata)`, { field: from });
  }
  return { ...call.metadata, ...(extra as Record<string, string>) };
}

function parseJson(bytes: Uint8Array, field: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString("utf8")) as unknown;
  } catch (error) {
    throw new ConfigurationError(ErrorCode.BadConfig, `${field}: not valid JSON: ${(error as Error).message}`, { field, cause: error });
  }
}
