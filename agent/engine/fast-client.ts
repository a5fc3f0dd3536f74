/**
 * The HTTP/1.1 fast path: an HttpClient on raw `node:net` sockets for plain `http:` keep-alive
 * requests with a fixed body and no redirects (engine/choose-client.ts decides when it applies;
 * undici serves everything else).
 *
 * - The request (request line, Host, headers, Content-Length, body) is serialised once per series
 *   and the same Buffer is written for every request.
 * - One socket per Exchange (a slot has at most one request in flight, and slots never exceed
 *   `connections`), opened on the first send and reopened on demand after the server closed it
 *   (`Connection: close`, HTTP/1.0, a body delimited by the close, an error). No pipelining.
 * - Reads land in one reusable buffer per thread (`onread`) and go through an incremental parser
 *   (engine/http1-parser.ts) that converts nothing to strings; no closures or objects per request.
 * - Outcomes match the undici client's (docs/reliability.md, "HTTP response forms"): the parser
 *   applies the rules both clients share; `bodyBytes` counts response payload bytes (no head, no
 *   chunk framing); a refused connection fails the one request that asked for it with node's error
 *   (`connect ECONNREFUSED …`), and the next send tries again (connections are only opened for a
 *   request, so there is no reconnect loop of its own); a socket that dies with a request in flight
 *   fails that request once (`read ECONNRESET`, or undici's `other side closed` / `closed` with
 *   code UND_ERR_SOCKET), except that a reset ends a body delimited by the close, as in undici;
 *   connect attempts give up after min(request timeout, 10 s) with code UND_ERR_CONNECT_TIMEOUT.
 *   Request timeouts come from the load model's sweeper through `abort`.
 * - A request written to a reused socket that then closes or resets before any response byte is
 *   sent once more on a fresh connection, for idempotent methods (client.ts, RETRY_METHODS): the
 *   server had closed the connection before reading it. Stray CR/LF bytes between responses keep
 *   the connection; any other unasked-for byte drops it.
 * - Idle keep-alive sockets are closed after 3–4 s without a request (undici's default keep-alive
 *   timeout is 4 s), so a server's own idle timeout (node's default is 5 s) never races a send.
 */
import { connect } from "node:net";
import type { Socket } from "node:net";
import type { EgressGuard } from "../../core/index.js";
import { RETRY_METHODS, isStaleConnectionError } from "./client.js";
import type { Exchange, ExchangeListener, HttpClient, HttpClientOptions } from "./client.js";
import { COMPLETE, NEED_MORE, ResponseParser } from "./http1-parser.js";
import type { RequestPlan } from "./plan.js";

/** Connection attempts give up after this long at most (or the request timeout if shorter). */
const MAX_CONNECT_TIMEOUT_MS = 10_000;
/** Idle sockets are closed once this many 1 s ticks passed since their last response. */
const IDLE_CLOSE_TICKS = 4;
const READ_BUFFER_BYTES = 64 * 1024;

/** Every socket of the thread reads into this buffer; it is parsed synchronously and never kept. */
let sharedReadBuffer: Buffer | null = null;
function readBuffer(): Buffer {
  sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return sharedReadBuffer;
}

/** Methods whose requests always carry Content-Length (undici sends `content-length: 0` too). */
const PAYLOAD_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** undici's SocketError shape: code UND_ERR_SOCKET. */
class SocketError extends Error {
  readonly code = "UND_ERR_SOCKET";
  constructor(message: string) {
    super(message);
    this.name = "SocketError";
  }
}

/** undici's ConnectTimeoutError shape. */
class ConnectTimeoutError extends Error {
  readonly code = "UND_ERR_CONNECT_TIMEOUT";
  constructor(host: string, port: number, timeoutMs: number) {
    super(`Connect Timeout Error (attempted address: ${host}:${port}, timeout: ${timeoutMs}ms)`);
    this.name = "ConnectTimeoutError";
  }
}

class ClientStateError extends Error {
  constructor(
    readonly code: "UND_ERR_CLOSED" | "UND_ERR_DESTROYED",
    message: string,
  ) {
    super(message);
    this.name = code === "UND_ERR_CLOSED" ? "ClientClosedError" : "ClientDestroyedError";
  }
}

/** The bytes of one request, written as they are for every send. */
export function serializeRequest(request: RequestPlan): Buffer {
  const { url, method, headers, body } = request;
  let head = `${method} ${request.path === "" ? "/" : request.path} HTTP/1.1\r\n`;
  let hasHost = false;
  let lines = "";
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] ?? "";
    if (name.toLowerCase() === "host") hasHost = true;
    lines += `${name}: ${headers[i + 1] ?? ""}\r\n`;
  }
  if (!hasHost) head += `host: ${url.host}\r\n`;
  head += `connection: keep-alive\r\n${lines}`;
  if (body !== null || PAYLOAD_METHODS.has(method)) head += `content-length: ${request.bodyBytes}\r\n`;
  head += "\r\n";
  const headBytes = Buffer.from(head, "latin1");
  return body === null ? headBytes : Buffer.concat([headBytes, body]);
}

const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

const CR = 13;
const LF = 10;

/** Whether `buf[from, to)` holds only line ends (stray CRLFs between responses are tolerated). */
function onlyLineEnds(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c !== CR && c !== LF) return false;
  }
  return true;
}

class FastExchange implements Exchange {
  private socket: Socket | null = null;
  private active = false;
  private readonly parser = new ResponseParser();
  /** Responses completed on the current socket. */
  private responsesOnSocket = 0;
  /** The current attempt was written to a socket that had carried a response before. */
  private reusedSocket = false;
  /** A byte of the current attempt's response arrived. */
  private gotBytes = false;
  /** The current request was sent a second time (see RETRY_METHODS). */
  private retried = false;
  idleSinceTick = 0;

  constructor(
    private readonly client: FastClient,
    private readonly listener: ExchangeListener,
  ) {}

  get hasIdleSocket(): boolean {
    return this.socket !== null && !this.active;
  }

  send(): void {
    const client = this.client;
    if (client.state !== OPEN) {
      this.listener.onFailure(
        client.destroyed ? new ClientStateError("UND_ERR_DESTROYED", "The client is destroyed") : new ClientStateError("UND_ERR_CLOSED", "The client is closed"),
      );
      return;
    }
    this.active = true;
    this.retried = false;
    client.inFlight += 1;
    this.attempt();
  }

  /** Writes the request, on the current socket or a new one. */
  private attempt(): void {
    const client = this.client;
    this.parser.begin(client.noResponseBody);
    this.gotBytes = false;
    let socket = this.socket;
    this.reusedSocket = socket !== null && this.responsesOnSocket > 0;
    if (socket === null) {
      try {
        socket = this.connect();
      } catch (error) {
        // net.connect throws synchronously for arguments it refuses (e.g. port 0).
        this.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    socket.write(client.requestBytes);
  }

  abort(reason: Error): void {
    if (!this.active) return;
    this.dropSocket();
    this.fail(reason);
  }

  /** Closes the socket; a request in flight fails with `reason` (null: only an idle socket closes). */
  shut(reason: Error | null): void {
    if (this.active && reason !== null) this.abort(reason);
    else if (!this.active) this.dropSocket();
  }

  private connect(): Socket {
    const client = this.client;
    const refusal = client.egress?.literalRefusal(client.host);
    if (refusal) throw refusal;
    const socket = connect({
      host: client.host,
      port: client.port,
      ...(client.egress ? { lookup: client.egress.lookup } : {}),
      onread: {
        buffer: readBuffer(),
        callback: (bytes: number, buf: Uint8Array): boolean => {
          this.onRead(socket, bytes, buf);
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(client.connectTimeoutMs, () => this.onConnectTimeout(socket));
    socket.once("connect", () => socket.setTimeout(0));
    socket.on("error", (error: Error) => this.onSocketError(socket, error));
    socket.once("end", () => this.onSocketEnd(socket));
    socket.once("close", () => this.onSocketClose(socket));
    this.socket = socket;
    this.responsesOnSocket = 0;
    return socket;
  }

  private dropSocket(): void {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    socket.destroy();
  }

  private onRead(socket: Socket, bytes: number, buf: Uint8Array): void {
    if (socket !== this.socket) return;
    if (!this.active) {
      // Bytes nobody asked for: the connection is out of step (start afresh next time), unless
      // they are stray line ends, which a client may skip (RFC 9112 §2.2).
      if (!onlyLineEnds(buf, 0, bytes)) this.dropSocket();
      return;
    }
    if (bytes > 0) this.gotBytes = true;
    const parser = this.parser;
    const result = parser.execute(buf, 0, bytes);
    if (result === NEED_MORE) return;
    if (result === COMPLETE) {
      this.responsesOnSocket += 1;
      if (!parser.keepAlive || !onlyLineEnds(buf, parser.offset, bytes)) this.dropSocket();
      this.complete();
      return;
    }
    this.dropSocket();
    this.fail(parser.error());
  }

  private onConnectTimeout(socket: Socket): void {
    if (socket !== this.socket || !socket.connecting) return;
    this.dropSocket();
    if (this.active) this.fail(new ConnectTimeoutError(this.client.host, this.client.port, this.client.connectTimeoutMs));
  }

  private onSocketError(socket: Socket, error: Error): void {
    if (socket !== this.socket) return;
    this.dropSocket();
    if (!this.active) return;
    // A reset ends a body delimited by the close, as undici reads it (its parser is finished).
    if ((error as { code?: unknown }).code === "ECONNRESET" && this.parser.finishAtEof()) this.complete();
    else this.failOrRetry(error);
  }

  private onSocketEnd(socket: Socket): void {
    if (socket !== this.socket) return;
    this.dropSocket();
    if (!this.active) return;
    if (this.parser.finishAtEof()) this.complete();
    else this.failOrRetry(new SocketError("other side closed"));
  }

  private onSocketClose(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = null;
    if (this.active) this.failOrRetry(new SocketError("closed"));
  }

  /** A connection that failed under the request: retried once when it was a stale keep-alive one. */
  private failOrRetry(error: Error): void {
    const client = this.client;
    if (this.retried || !this.reusedSocket || this.gotBytes || !client.retryable || client.state !== OPEN || !isStaleConnectionError(error)) {
      this.fail(error);
      return;
    }
    this.retried = true;
    this.listener.onRetry(error);
    if (this.active) this.attempt();
  }

  private complete(): void {
    const client = this.client;
    this.active = false;
    client.inFlight -= 1;
    this.idleSinceTick = client.tick;
    this.listener.onResponse(this.parser.statusCode, this.parser.bodyBytes);
    if (client.inFlight === 0 && client.state === CLOSING) client.closeIdle();
  }

  private fail(error: Error): void {
    const client = this.client;
    this.active = false;
    client.inFlight -= 1;
    this.idleSinceTick = client.tick;
    this.listener.onFailure(error);
    if (client.inFlight === 0 && client.state === CLOSING) client.closeIdle();
  }
}

class FastClient implements HttpClient {
  readonly host: string;
  readonly port: number;
  readonly requestBytes: Buffer;
  readonly noResponseBody: boolean;
  /** Whether a request on a stale connection may be sent again (RETRY_METHODS). */
  readonly retryable: boolean;
  readonly connectTimeoutMs: number;
  /** The service's allow-list: literals checked before connecting, names through net's `lookup`. */
  readonly egress: EgressGuard | undefined;
  state = OPEN;
  destroyed = false;
  inFlight = 0;
  tick = 0;
  private readonly exchanges: FastExchange[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;

  constructor(request: RequestPlan, options: HttpClientOptions) {
    const { url } = request;
    // URL keeps the brackets of an IPv6 literal; net.connect wants the bare address.
    this.host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === "" ? 80 : Number(url.port);
    this.requestBytes = serializeRequest(request);
    this.noResponseBody = request.method === "HEAD";
    this.retryable = RETRY_METHODS.has(request.method);
    this.connectTimeoutMs = Math.min(options.requestTimeoutMs, MAX_CONNECT_TIMEOUT_MS);
    this.egress = options.egress;
  }

  createExchange(listener: ExchangeListener): Exchange {
    const exchange = new FastExchange(this, listener);
    this.exchanges.push(exchange);
    if (this.idleTimer === null && this.state === OPEN) {
      this.idleTimer = setInterval(() => this.sweepIdle(), 1000);
      this.idleTimer.unref();
    }
    return exchange;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === OPEN) this.state = CLOSING;
    this.closing = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    if (this.inFlight === 0 || this.state === CLOSED) this.closeIdle();
    return this.closing;
  }

  destroy(): Promise<void> {
    this.destroyed = true;
    this.state = CLOSED;
    this.stopTimer();
    const reason = new ClientStateError("UND_ERR_DESTROYED", "The client is destroyed");
    for (const exchange of this.exchanges) exchange.shut(reason);
    this.resolveClosed?.();
    return Promise.resolve();
  }

  /** Closing and nothing in flight: every socket goes. */
  closeIdle(): void {
    this.state = CLOSED;
    this.stopTimer();
    for (const exchange of this.exchanges) exchange.shut(null);
    this.resolveClosed?.();
  }

  private sweepIdle(): void {
    this.tick += 1;
    for (const exchange of this.exchanges) {
      if (exchange.hasIdleSocket && this.tick - exchange.idleSinceTick >= IDLE_CLOSE_TICKS) exchange.shut(null);
    }
  }

  private stopTimer(): void {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
  }
}

/** A raw-socket HTTP/1.1 client for one series' request (check `fastPathRefusal` first). */
export function createFastClient(request: RequestPlan, options: HttpClientOptions): HttpClient {
  return new FastClient(request, options);
}
