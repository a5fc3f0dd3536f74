/**
 * The CLI's client of the coordinator's gRPC API: connection flags (`--coordinator`, `--token`,
 * `--tls-*`, or ASSAY_COORDINATOR / ASSAY_TOKEN), promise-returning calls, and Watch as an async
 * iterable. Failed calls become AssayErrors (coordinator/service/status.ts), so exit codes apply.
 */
import { readFile } from "node:fs/promises";
import { Metadata, credentials } from "@grpc/grpc-js";
import type { CallOptions, ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { DEFAULT_LISTEN, fromServiceError, loadCoordinatorService } from "../../coordinator/index.js";
import { ConfigurationError, ErrorCode, ValidationError } from "../../core/index.js";
import type { api } from "../../core/index.js";
import type { FlagDefs } from "../command.js";

const GROUP = "connection";

/** The connection flags of every client command (defineCommand adds them when `client: true`). */
export const CLIENT_FLAGS = {
  coordinator: { type: "string", value: "HOST:PORT", description: `the coordinator (default $ASSAY_COORDINATOR or ${DEFAULT_LISTEN})`, group: GROUP },
  token: { type: "string", value: "TOKEN", description: "bearer token (default $ASSAY_TOKEN)", group: GROUP },
  "tls-ca": { type: "string", value: "FILE", description: "CA certificate: connect with TLS and verify the coordinator", group: GROUP },
  "tls-cert": { type: "string", value: "FILE", description: "client certificate (mTLS), with --tls-key", group: GROUP },
  "tls-key": { type: "string", value: "FILE", description: "client private key (mTLS)", group: GROUP },
} as const satisfies FlagDefs;

export interface ClientFlagValues {
  coordinator?: string | undefined;
  token?: string | undefined;
  "tls-ca"?: string | undefined;
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
}

/** A connected client; every call rejects with an AssayError. */
export interface CoordinatorApi {
  readonly target: string;
  submit(request: api.SubmitRequest): Promise<api.SubmitResponse__Output>;
  get(id: string): Promise<api.GetExperimentResponse__Output>;
  list(request?: api.ListExperimentsRequest): Promise<api.ListExperimentsResponse__Output>;
  cancel(id: string, reason?: string): Promise<api.CancelExperimentResponse__Output>;
  listAgents(): Promise<api.ListAgentsResponse__Output>;
  /** The Watch stream; breaking out of the loop cancels the call. */
  watch(id: string, fromSeq?: number): AsyncIterable<api.WatchEvent__Output>;
  close(): void;
}

export interface ConnectOptions {
  /** Unary call deadline (default 30000 ms). */
  readonly callTimeoutMs?: number;
}

async function readPem(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new ValidationError(ErrorCode.FileNotFound, `${flag}: cannot read ${path}`, { cause, field: flag });
  }
}

export async function connectCoordinator(values: ClientFlagValues, env: NodeJS.ProcessEnv, options: ConnectOptions = {}): Promise<CoordinatorApi> {
  const target = values.coordinator ?? env["ASSAY_COORDINATOR"] ?? DEFAULT_LISTEN;
  const token = values.token ?? env["ASSAY_TOKEN"];
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ValidationError(ErrorCode.BadFlag, "--tls-cert and --tls-key go together", { field: certFile ? "--tls-key" : "--tls-cert" });
  }
  const tls = values["tls-ca"] !== undefined || certFile !== undefined;
  const channel = tls
    ? credentials.createSsl(
        values["tls-ca"] ? await readPem(values["tls-ca"], "--tls-ca") : null,
        keyFile ? await readPem(keyFile, "--tls-key") : null,
        certFile ? await readPem(certFile, "--tls-cert") : null,
      )
    : credentials.createInsecure();
  const { proto } = loadCoordinatorService();
  const client = new proto.assay.v1.Coordinator(target, channel, { "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  const metadata = (): Metadata => {
    const m = new Metadata();
    if (token) m.set("authorization", `Bearer ${token}`);
    return m;
  };
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const callOptions = (): CallOptions => ({ deadline: Date.now() + callTimeoutMs });
  const toError = (error: ServiceError): Error => fromServiceError(error, target);
  type Callback<T> = (error: ServiceError | null, value?: T) => void;
  const unary = <T>(invoke: (callback: Callback<T>) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      invoke((error, value) => {
        if (error) reject(toError(error));
        else if (value === undefined) reject(new ConfigurationError(ErrorCode.MalformedMessage, `coordinator ${target} sent an empty reply`));
        else resolve(value);
      });
    });

  return {
    target,
    submit: (request) => unary((cb) => client.Submit(request, metadata(), callOptions(), cb)),
    get: (id) => unary((cb) => client.Get({ id }, metadata(), callOptions(), cb)),
    list: (request = {}) => unary((cb) => client.List(request, metadata(), callOptions(), cb)),
    cancel: (id, reason = "") => unary((cb) => client.Cancel({ id, reason }, metadata(), callOptions(), cb)),
    listAgents: () => unary((cb) => client.ListAgents({}, metadata(), callOptions(), cb)),
    watch: (id, fromSeq = 0) => watchStream(client.Watch({ id, fromSeq }, metadata()), toError),
    close: () => client.close(),
  };
}

async function* watchStream(
  call: ClientReadableStream<api.WatchEvent__Output>,
  toError: (error: ServiceError) => Error,
): AsyncGenerator<api.WatchEvent__Output> {
  let finished = false;
  try {
    for await (const event of call as AsyncIterable<api.WatchEvent__Output>) yield event;
    finished = true;
  } catch (error) {
    finished = true;
    throw toError(error as ServiceError);
  } finally {
    if (!finished) call.cancel();
  }
}
