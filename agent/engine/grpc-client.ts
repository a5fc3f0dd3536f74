/**
 * The gRPC implementation of the engine's client seam (client.ts), on @grpc/grpc-js. A series gets
 * `connections` channels, each its own HTTP/2 connection (a local subchannel pool, so channels to
 * the same target do not share one); slots are spread over them round-robin, as ghz spreads its
 * concurrency over its connections. Messages arrive already encoded (the coordinator resolved the
 * method), and responses are only counted, never decoded: serialisation is the identity.
 *
 * One "request" is one call, with ghz's semantics per kind: unary — one message, one response;
 * server streaming — one message, every response until the status; client streaming — every
 * message, then the response; bidirectional — every message sent while responses are read, until
 * the status. ghz's streaming options (plan.stream) change how many messages a streaming call
 * sends, how far apart, and for how long; a server stream may be ended by the client after a count
 * of responses or a duration (ghz cancels it; here that end is the call's intended one and counts
 * as OK). Latency is the whole call. The outcome is the call's status code, reported as the
 * "status code" of the engine (0 = OK; non-zero is an error by the shard's error range), so status
 * counts come out per code. The deadline (ghz `timeout`) goes to the server in the grpc-timeout
 * header; a call the server does not end by then is ended by the engine's request-timeout sweeper
 * (within a tenth of the timeout, at most 250 ms late) and reported as DEADLINE_EXCEEDED.
 */
import * as grpc from "@grpc/grpc-js";
import type { Exchange, ExchangeListener, HttpClient, HttpClientOptions } from "./client.js";
import { RequestTimeoutError } from "./client.js";
import type { GrpcCallPlan } from "./plan.js";

const identity = (value: Buffer): Buffer => value;

interface CallHandle {
  cancel(): void;
}

class GrpcExchange implements Exchange {
  private call: CallHandle | null = null;
  /** A call is in flight (set before grpc-js is asked, which may answer synchronously). */
  private active = false;
  private abortReason: Error | null = null;
  private bytes = 0;
  /** Responses of the current server stream (ghz's stream-call-count ends it). */
  private responses = 0;
  /** The client ended the current call on purpose (a stream's count or duration): its CANCELLED is OK. */
  private endedByClient = false;
  private sendTimer: NodeJS.Timeout | null = null;
  private durationTimer: NodeJS.Timeout | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.bytes += chunk.length;
    this.responses += 1;
    const { kind, stream } = this.owner.plan;
    if (kind === "server-streaming" && stream.callCount > 0 && this.responses >= stream.callCount) this.endByClient();
  };
  private readonly onUnary = (error: grpc.ServiceError | null, value?: Buffer): void => {
    this.finish(error ? error.code : grpc.status.OK, value?.length ?? 0);
  };
  private readonly onStatus = (status: grpc.StatusObject): void => {
    this.finish(status.code, 0);
  };

  constructor(
    private readonly owner: GrpcClient,
    private readonly client: grpc.Client,
    private readonly listener: ExchangeListener,
  ) {}

  send(): void {
    this.abortReason = null;
    this.bytes = 0;
    this.responses = 0;
    this.endedByClient = false;
    const { plan } = this.owner;
    if (this.owner.connectFailure(this.client) !== null) {
      this.listener.onResponse(grpc.status.UNAVAILABLE, 0);
      return;
    }
    this.active = true;
    // No grpc-js deadline: its per-call timers cost the client ~10% of a call's CPU here. The
    // server is told the deadline by the grpc-timeout header in the metadata, and the engine's
    // request-timeout sweeper ends a call the server does not end in time (as DEADLINE_EXCEEDED).
    const options: grpc.CallOptions = {};
    // Shared by every call: grpc-js copies it when a call starts (ResolvingCall.start) and never
    // changes the caller's object, so a per-call clone here was pure overhead.
    const { metadata } = this.owner;
    switch (plan.kind) {
      case "unary":
        this.call = this.client.makeUnaryRequest(plan.methodPath, identity, identity, this.owner.nextMessage(), metadata, options, this.onUnary);
        break;
      case "server-streaming": {
        const stream = this.client.makeServerStreamRequest(plan.methodPath, identity, identity, this.owner.nextMessage(), metadata, options);
        this.watch(stream);
        this.call = stream;
        if (plan.stream.callDurationMs > 0) this.durationTimer = setTimeout(() => this.endByClient(), plan.stream.callDurationMs);
        break;
      }
      case "client-streaming": {
        const stream = this.client.makeClientStreamRequest(plan.methodPath, identity, identity, metadata, options, this.onUnary);
        this.call = stream;
        this.sendStream(stream);
        break;
      }
      case "bidi-streaming": {
        const stream = this.client.makeBidiStreamRequest(plan.methodPath, identity, identity, metadata, options);
        this.watch(stream);
        this.call = stream;
        this.sendStream(stream);
        break;
      }
    }
  }

  /**
   * A streaming call's messages, as ghz sends them: `callCount` messages (the data's in turn;
   * default each once), `intervalMs` apart, sending stopped at `callDurationMs`; then the stream's
   * end. Writes wait for 'drain' when the call's buffer is full.
   */
  private sendStream(stream: grpc.ClientWritableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>): void {
    const { messages, stream: options } = this.owner.plan;
    const total = options.callCount > 0 ? options.callCount : messages.length;
    let sent = 0;
    let ended = false;
    const current = (): boolean => !ended && this.active && this.call === stream;
    const end = (): void => {
      this.clearTimers();
      if (current()) stream.end();
      ended = true;
    };
    const writeNext = (): void => {
      this.sendTimer = null;
      while (current() && sent < total) {
        const writable = stream.write(messages.length === 0 ? this.owner.empty : (messages[sent % messages.length] ?? this.owner.empty));
        sent += 1;
        if (sent >= total) break;
        if (options.intervalMs > 0) {
          this.sendTimer = setTimeout(writeNext, options.intervalMs);
          return;
        }
        if (!writable) {
          stream.once("drain", writeNext);
          return;
        }
      }
      end();
    };
    if (options.callDurationMs > 0) this.durationTimer = setTimeout(end, options.callDurationMs);
    writeNext();
  }

  /** Ends a server stream on purpose (its count or duration reached). */
  private endByClient(): void {
    if (!this.active || this.call === null || this.endedByClient) return;
    this.endedByClient = true;
    this.call.cancel();
  }

  private clearTimers(): void {
    if (this.sendTimer !== null) clearTimeout(this.sendTimer);
    if (this.durationTimer !== null) clearTimeout(this.durationTimer);
    this.sendTimer = null;
    this.durationTimer = null;
  }

  private watch(stream: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>): void {
    stream.on("data", this.onData);
    stream.on("status", this.onStatus);
    // A non-OK status is also emitted as an error; the status event reports it.
    stream.on("error", () => undefined);
  }

  abort(reason: Error): void {
    if (!this.active || this.call === null) return;
    this.abortReason = reason;
    this.call.cancel();
  }

  private finish(code: grpc.status, bytes: number): void {
    if (!this.active) return;
    this.active = false;
    this.call = null;
    this.clearTimers();
    if (this.endedByClient && code === grpc.status.CANCELLED) code = grpc.status.OK;
    const reason = this.abortReason;
    this.abortReason = null;
    if (reason !== null && !(reason instanceof RequestTimeoutError)) {
      this.listener.onFailure(reason);
      return;
    }
    this.listener.onResponse(reason !== null ? grpc.status.DEADLINE_EXCEEDED : code, bytes + this.bytes);
  }
}

export class GrpcClient implements HttpClient {
  readonly metadata = new grpc.Metadata();
  readonly timeoutMs: number;
  private readonly clients: grpc.Client[] = [];
  private readonly failedToConnect = new Set<grpc.Client>();
  private readonly exchanges: GrpcExchange[] = [];
  private nextClient = 0;
  private messageIndex = 0;
  readonly empty = Buffer.alloc(0);

  constructor(
    readonly plan: GrpcCallPlan,
    options: HttpClientOptions,
  ) {
    this.timeoutMs = options.requestTimeoutMs;
    for (const [name, value] of plan.metadata) this.metadata.add(name, value);
    if (this.timeoutMs > 0) this.metadata.set("grpc-timeout", grpcTimeout(this.timeoutMs));
    const credentials = plan.tls
      ? grpc.credentials.createSsl(plan.tls.caCert, plan.tls.privateKey, plan.tls.certChain, plan.tls.skipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {})
      : grpc.credentials.createInsecure();
    const channelOptions: grpc.ChannelOptions = { "grpc.use_local_subchannel_pool": 1 };
    if (plan.keepaliveMs > 0) channelOptions["grpc.keepalive_time_ms"] = plan.keepaliveMs;
    if (plan.tls?.serverName) channelOptions["grpc.ssl_target_name_override"] = plan.tls.serverName;
    if (plan.authority) channelOptions["grpc.default_authority"] = plan.authority;
    const count = Math.max(1, Math.min(plan.connections, options.connections));
    for (let i = 0; i < count; i++) {
      const client = new grpc.Client(plan.host, credentials, channelOptions);
      this.clients.push(client);
      // ghz dials before it starts; here the connection is opened at once, and a channel that is
      // not ready within connect-timeout fails its calls as UNAVAILABLE until it connects.
      client.waitForReady(Date.now() + plan.connectTimeoutMs, (error) => {
        if (error) this.failedToConnect.add(client);
      });
    }
  }

  /** Non-null when the call's channel could not connect within the connect timeout (and still has not). */
  connectFailure(client: grpc.Client): string | null {
    if (!this.failedToConnect.has(client)) return null;
    if (client.getChannel().getConnectivityState(true) === grpc.connectivityState.READY) {
      this.failedToConnect.delete(client);
      return null;
    }
    return "could not connect within connect-timeout";
  }

  /** Unary and server-streaming calls take the messages in turn. */
  nextMessage(): Buffer {
    const { messages } = this.plan;
    if (messages.length === 0) return this.empty;
    const message = messages[this.messageIndex] ?? this.empty;
    this.messageIndex = (this.messageIndex + 1) % messages.length;
    return message;
  }

  createExchange(listener: ExchangeListener): Exchange {
    const client = this.clients[this.nextClient % this.clients.length];
    this.nextClient += 1;
    if (client === undefined) throw new Error("grpc client has no channel");
    const exchange = new GrpcExchange(this, client, listener);
    this.exchanges.push(exchange);
    return exchange;
  }

  close(): Promise<void> {
    for (const client of this.clients) client.close();
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    const reason = new Error("the gRPC client was closed");
    for (const exchange of this.exchanges) exchange.abort(reason);
    return this.close();
  }
}

/** The grpc-timeout header's value (gRPC over HTTP/2: at most 8 digits and a unit), as grpc-js writes it. */
function grpcTimeout(ms: number): string {
  const units: readonly (readonly [string, number])[] = [
    ["m", 1],
    ["S", 1000],
    ["M", 60_000],
    ["H", 3_600_000],
  ];
  for (const [unit, factor] of units) {
    const amount = Math.ceil(ms / factor);
    if (amount < 1e8) return `${amount}${unit}`;
  }
  return "99999999H";
}

export function createGrpcClient(plan: GrpcCallPlan, options: HttpClientOptions): HttpClient {
  return new GrpcClient(plan, options);
}
