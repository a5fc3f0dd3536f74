/**
 * HttpClient on undici's low-level `dispatch`: one Pool per series (an Agent with the redirect
 * interceptor when redirects are followed, since a redirect may change origin), keep-alive, no
 * pipelining. Each Exchange is its own dispatch handler, reused for every request of its slot, and
 * uses undici's raw callbacks (onConnect/onHeaders/onData/onComplete/onError): the newer controller
 * API wraps every request in extra objects and parses headers we never read.
 *
 * Where undici reads a response differently from the shared rules (engine/http1-framing.ts and
 * docs/reliability.md, "HTTP response forms"), the exchange brings the outcome in line:
 * - a Transfer-Encoding list the rules refuse (unknown coding, bad list) fails as a protocol error;
 * - a status code below 100 fails as a protocol error (undici would trip an internal assertion);
 * - 204 and 304 with a Content-Length are complete responses (undici reports a length mismatch);
 * - a body cut short by the close is `other side closed` whatever undici's parser calls it;
 * - an unrequested 100 or 101 is a protocol error (undici: `bad response` / `bad upgrade`);
 * - a request on a stale keep-alive connection is retried once (client.ts, RETRY_METHODS). To know
 *   whether the connection was reused and whether any response byte came, the client's connector
 *   notes which socket each request is written to: undici writes a request on its socket right
 *   after calling the handler's onConnect, in the same synchronous step.
 */
import type { Socket } from "node:net";
import { Agent, Pool, buildConnector, interceptors } from "undici";
import type { Dispatcher } from "undici";
import { RETRY_METHODS, isStaleConnectionError } from "./client.js";
import type { Exchange, ExchangeListener, HttpClient, HttpClientOptions } from "./client.js";
import { HttpParseError, MAX_HEAD_BYTES, transferEncodingFraming } from "./http1-framing.js";
import type { RequestPlan } from "./plan.js";

/** Connection attempts give up after this long at most (or the request timeout if shorter). */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/** undici's SocketError shape (code UND_ERR_SOCKET), for a body cut short by the close. */
class SocketError extends Error {
  readonly code = "UND_ERR_SOCKET";
  constructor(message: string, options: ErrorOptions) {
    super(message, options);
    this.name = "SocketError";
  }
}

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "";
}

/** The values of the Transfer-Encoding fields in undici's raw header list, or null if none. */
function transferEncodings(rawHeaders: Buffer[] | string[] | null): string[] | null {
  if (rawHeaders === null) return null;
  let values: string[] | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name === undefined || name.length !== 17 || name.toString().toLowerCase() !== "transfer-encoding") continue;
    (values ??= []).push(String(rawHeaders[i + 1]));
  }
  return values;
}

class UndiciExchange implements Dispatcher.DispatchHandler, Exchange {
  private abortRequest: ((error?: Error) => void) | null = null;
  private pendingAbort: Error | null = null;
  private statusCode = 0;
  private bodyBytes = 0;
  private active = false;
  private retried = false;
  /** The socket the current attempt was written to, and what it had read by then. */
  private socket: Socket | null = null;
  private socketReused = false;
  private bytesReadAtWrite = 0;

  constructor(
    private readonly client: UndiciClient,
    private readonly listener: ExchangeListener,
  ) {}

  send(): void {
    this.active = true;
    this.retried = false;
    this.pendingAbort = null;
    this.attempt();
  }

  private attempt(): void {
    this.abortRequest = null;
    this.statusCode = 0;
    this.bodyBytes = 0;
    this.socket = null;
    this.client.dispatcher.dispatch(this.client.options, this);
  }

  abort(reason: Error): void {
    if (!this.active) return;
    if (this.abortRequest) this.abortRequest(reason);
    else this.pendingAbort = reason;
  }

  /** Called by the client's socket hook when undici writes this exchange's request. */
  wroteOn(socket: Socket, requestsBefore: number): void {
    this.socket = socket;
    this.socketReused = requestsBefore > 0;
    this.bytesReadAtWrite = socket.bytesRead;
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortRequest = abort;
    if (this.pendingAbort) {
      abort(this.pendingAbort);
      return;
    }
    this.client.writing = this;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    if (this.client.writing === this) this.client.writing = null;
    if (statusCode < 100) {
      this.abortRequest?.(new HttpParseError("HPE_INVALID_STATUS", "Invalid status code"));
      return false;
    }
    const codings = transferEncodings(rawHeaders);
    if (codings !== null) {
      const framing = transferEncodingFraming(codings);
      if (framing.kind === "invalid") {
        this.abortRequest?.(new HttpParseError("HPE_INVALID_TRANSFER_ENCODING", framing.reason));
        return false;
      }
    }
    this.statusCode = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bodyBytes += chunk.length;
    return true;
  }

  onComplete(): void {
    if (!this.active) return;
    this.active = false;
    this.abortRequest = null;
    this.listener.onResponse(this.statusCode, this.bodyBytes);
  }

  onError(error: Error): void {
    if (!this.active) return;
    if (this.client.writing === this) this.client.writing = null;
    const code = codeOf(error);
    const status = this.statusCode;
    if (status >= 200) {
      if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" && (status === 204 || status === 304)) {
        // RFC 9112 §6.3: these end with their head whatever Content-Length says.
        this.active = false;
        this.abortRequest = null;
        this.listener.onResponse(status, 0);
        return;
      }
      if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" || error.message.endsWith("(Invalid EOF state)")) {
        error = new SocketError("other side closed", { cause: error });
      }
    } else if (code === "UND_ERR_SOCKET" && (error.message === "bad response" || error.message === "bad upgrade")) {
      error = new HttpParseError("HPE_UNEXPECTED_STATUS", error.message === "bad response" ? "100 Continue without Expect" : "101 Switching Protocols without Upgrade");
    } else if (this.mayRetry(error)) {
      this.retried = true;
      this.abortRequest = null;
      this.listener.onRetry(error);
      // Once undici has finished failing the first attempt.
      queueMicrotask(() => {
        if (this.active) this.attempt();
      });
      return;
    }
    this.active = false;
    this.abortRequest = null;
    this.listener.onFailure(error);
  }

  /** A stale keep-alive connection under a request that got no response byte (RETRY_METHODS). */
  private mayRetry(error: Error): boolean {
    const socket = this.socket;
    return (
      !this.retried &&
      this.client.retryable &&
      !this.client.closed &&
      socket !== null &&
      this.socketReused &&
      socket.bytesRead === this.bytesReadAtWrite &&
      isStaleConnectionError(error)
    );
  }
}

class UndiciClient implements HttpClient {
  readonly dispatcher: Dispatcher;
  readonly options: Dispatcher.DispatchOptions;
  readonly retryable: boolean;
  /** The exchange whose request undici is about to write (set in its onConnect). */
  writing: UndiciExchange | null = null;
  closed = false;
  private readonly base: Pool | Agent;
  /** Requests written on each socket so far. */
  private readonly requestsOn = new WeakMap<Socket, number>();

  constructor(request: RequestPlan, options: HttpClientOptions) {
    const connectorOptions = {
      timeout: Math.min(options.requestTimeoutMs, MAX_CONNECT_TIMEOUT_MS),
      ...(options.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
    };
    // With the service's allow-list, every connection (the target, each redirect hop) is checked.
    const connector = options.egress ? options.egress.connector(connectorOptions) : buildConnector(connectorOptions);
    const connect: buildConnector.connector = (connectOptions, callback) => {
      connector(connectOptions, (...args) => {
        const socket = args[1];
        if (socket) this.watchWrites(socket);
        callback(...args);
      });
    };
    const common = {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
      maxHeaderSize: MAX_HEAD_BYTES,
      connect,
    };
    if (options.maxRedirects > 0) {
      const agent = new Agent(common);
      this.base = agent;
      this.dispatcher = agent.compose(interceptors.redirect({ maxRedirections: options.maxRedirects }));
    } else {
      const pool = new Pool(request.origin, common);
      this.base = pool;
      this.dispatcher = pool;
    }
    this.options = {
      origin: request.origin,
      path: request.path,
      method: request.method,
      headers: [...request.headers],
      body: request.body,
    };
    this.retryable = RETRY_METHODS.has(request.method);
  }

  /** Notes, for the exchange in `writing`, the socket its request goes out on. */
  private watchWrites(socket: Socket): void {
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    const requestsOn = this.requestsOn;
    const watched = (...args: unknown[]): boolean => {
      const exchange = this.writing;
      if (exchange !== null) {
        this.writing = null;
        const before = requestsOn.get(socket) ?? 0;
        requestsOn.set(socket, before + 1);
        exchange.wroteOn(socket, before);
      }
      return write(...args);
    };
    socket.write = watched;
  }

  createExchange(listener: ExchangeListener): Exchange {
    return new UndiciExchange(this, listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.base.closed && !this.base.destroyed) await this.base.close();
  }

  async destroy(): Promise<void> {
    this.closed = true;
    if (!this.base.destroyed) await this.base.destroy();
  }
}

/** An undici-backed client for one series' request. */
export function createUndiciClient(request: RequestPlan, options: HttpClientOptions): HttpClient {
  return new UndiciClient(request, options);
}
