/**
 * A gRPC target for the tests: a grpc-js server on 127.0.0.1, port 0, serving `assay.test.Echo`
 * (one method per call kind, one that sleeps, one that fails every Nth call), optionally over TLS
 * (the harness' self-signed certificate) and with server reflection. It counts on the server side:
 * calls per method, messages received, metadata seen. The proto is written to a temp dir so tests
 * can point `proto:` at it.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { makeTempDir } from "./registry.js";
import { TEST_TLS_CERT, TEST_TLS_KEY } from "./tls-fixture.js";

export const ECHO_PROTO = `syntax = "proto3";
package assay.test;

message EchoRequest {
  string name = 1;
  // server streaming: replies to send; Slow: milliseconds to wait
  int32 count = 2;
  int32 delay_ms = 3;
}
message EchoReply { string message = 1; }

service Echo {
  rpc Say(EchoRequest) returns (EchoReply);
  rpc Fail(EchoRequest) returns (EchoReply);
  rpc Slow(EchoRequest) returns (EchoReply);
  rpc ServerStream(EchoRequest) returns (stream EchoReply);
  rpc ClientStream(stream EchoRequest) returns (EchoReply);
  rpc Bidi(stream EchoRequest) returns (stream EchoReply);
}
`;

export interface GrpcTargetOptions {
  /** Every call waits this long before answering (default 0). */
  readonly delayMs?: number;
  /** `Fail` answers INTERNAL on every Nth call (default 10). */
  readonly failEvery?: number;
  readonly tls?: boolean;
  readonly reflection?: boolean;
}

export interface GrpcTarget {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly port: number;
  /** Path of the Echo proto file. */
  readonly protoPath: string;
  /** Calls per method name (`Say`, `ServerStream`, ...). */
  calls(method: string): number;
  totalCalls(): number;
  /** Request messages received per method. */
  messages(method: string): number;
  /** How many request messages of a method carried each `name` (`Say` and `ClientStream`). */
  names(method: string): Record<string, number>;
  /** The metadata of the last call. */
  lastMetadata(): Record<string, string>;
  close(): Promise<void>;
}

interface EchoRequest {
  name?: string;
  count?: number;
  delayMs?: number;
}

export async function startGrpcTarget(options: GrpcTargetOptions = {}): Promise<GrpcTarget> {
  const dir = await makeTempDir("grpc-target");
  const protoPath = join(dir, "echo.proto");
  await writeFile(protoPath, ECHO_PROTO);
  const definition = loadSync(protoPath, { keepCase: false, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { assay: { test: { Echo: grpc.ServiceClientConstructor } } };
  const calls = new Map<string, number>();
  const messages = new Map<string, number>();
  let metadata: Record<string, string> = {};
  const failEvery = options.failEvery ?? 10;
  const count = (method: string, call: { metadata: grpc.Metadata }): number => {
    const n = (calls.get(method) ?? 0) + 1;
    calls.set(method, n);
    metadata = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]));
    return n;
  };
  const received = (method: string): void => void messages.set(method, (messages.get(method) ?? 0) + 1);
  const names = new Map<string, Record<string, number>>();
  const named = (method: string, request: EchoRequest): void => {
    const seen = names.get(method) ?? {};
    const name = request.name ?? "";
    seen[name] = (seen[name] ?? 0) + 1;
    names.set(method, seen);
  };
  const later = (ms: number, fn: () => void): void => void (ms > 0 ? setTimeout(fn, ms) : setImmediate(fn));
  const delay = options.delayMs ?? 0;

  const server = new grpc.Server();
  server.addService(loaded.assay.test.Echo.service, {
    Say: (call: grpc.ServerUnaryCall<EchoRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      count("Say", call);
      received("Say");
      named("Say", call.request);
      later(delay, () => callback(null, { message: `hello ${call.request.name ?? ""}` }));
    },
    Fail: (call: grpc.ServerUnaryCall<EchoRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const n = count("Fail", call);
      received("Fail");
      later(delay, () => (n % failEvery === 0 ? callback({ code: grpc.status.INTERNAL, details: "failing on purpose" }) : callback(null, { message: "ok" })));
    },
    Slow: (call: grpc.ServerUnaryCall<EchoRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      count("Slow", call);
      received("Slow");
      const timer = setTimeout(() => callback(null, { message: "slow" }), call.request.delayMs ?? 0);
      call.on("cancelled", () => clearTimeout(timer));
    },
    ServerStream: (call: grpc.ServerWritableStream<EchoRequest, unknown>) => {
      count("ServerStream", call);
      received("ServerStream");
      const n = call.request.count ?? 1;
      later(delay, () => {
        for (let i = 0; i < n; i++) call.write({ message: `part ${i}` });
        call.end();
      });
    },
    ClientStream: (call: grpc.ServerReadableStream<EchoRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      count("ClientStream", call);
      let n = 0;
      call.on("data", (request: EchoRequest) => {
        n += 1;
        received("ClientStream");
        named("ClientStream", request);
      });
      call.on("end", () => later(delay, () => callback(null, { message: `got ${n}` })));
    },
    Bidi: (call: grpc.ServerDuplexStream<EchoRequest, unknown>) => {
      count("Bidi", call);
      call.on("data", (request: EchoRequest) => {
        received("Bidi");
        call.write({ message: `echo ${request.name ?? ""}` });
      });
      call.on("end", () => later(delay, () => call.end()));
    },
  });
  if (options.reflection) new ReflectionService(definition).addToServer(server);
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(TEST_TLS_KEY), cert_chain: Buffer.from(TEST_TLS_CERT) }], false)
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    host: `127.0.0.1:${port}`,
    port,
    protoPath,
    calls: (method) => calls.get(method) ?? 0,
    totalCalls: () => [...calls.values()].reduce((a, b) => a + b, 0),
    messages: (method) => messages.get(method) ?? 0,
    names: (method) => ({ ...names.get(method) }),
    lastMetadata: () => metadata,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
