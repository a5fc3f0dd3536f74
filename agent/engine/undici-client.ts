/**
 * HttpClient on undici's low-level `dispatch`: one Pool per series (an Agent with the redirect
 * interceptor when redirects are followed, since a redirect may change origin), keep-alive, no
 * pipelining. Each Exchange is its own dispatch handler, reused for every request of its slot, and
 * uses undici's raw callbacks (onConnect/onHeaders/onData/onComplete/onError): the newer controller
 * API wraps every request in extra objects and parses headers we never read.
 */
import { Agent, Pool, interceptors } from "undici";
import type { Dispatcher } from "undici";
import type { Exchange, ExchangeListener, HttpClient, HttpClientOptions } from "./client.js";
import type { RequestPlan } from "./plan.js";

/** Connection attempts give up after this long at most (or the request timeout if shorter). */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

class UndiciExchange implements Dispatcher.DispatchHandler, Exchange {
  private abortRequest: ((error?: Error) => void) | null = null;
  private pendingAbort: Error | null = null;
  private statusCode = 0;
  private bodyBytes = 0;
  private active = false;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly options: Dispatcher.DispatchOptions,
    private readonly listener: ExchangeListener,
  ) {}

  send(): void {
    this.active = true;
    this.abortRequest = null;
    this.pendingAbort = null;
    this.statusCode = 0;
    this.bodyBytes = 0;
    this.dispatcher.dispatch(this.options, this);
  }

  abort(reason: Error): void {
    if (!this.active) return;
    if (this.abortRequest) this.abortRequest(reason);
    else this.pendingAbort = reason;
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortRequest = abort;
    if (this.pendingAbort) abort(this.pendingAbort);
  }

  onHeaders(statusCode: number): boolean {
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
    this.active = false;
    this.abortRequest = null;
    this.listener.onFailure(error);
  }
}

class UndiciClient implements HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly base: Pool | Agent;
  private readonly options: Dispatcher.DispatchOptions;

  constructor(request: RequestPlan, options: HttpClientOptions) {
    const common = {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
      connect: {
        timeout: Math.min(options.requestTimeoutMs, MAX_CONNECT_TIMEOUT_MS),
        ...(options.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
      },
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
  }

  createExchange(listener: ExchangeListener): Exchange {
    return new UndiciExchange(this.dispatcher, this.options, listener);
  }

  async close(): Promise<void> {
    if (!this.base.closed && !this.base.destroyed) await this.base.close();
  }

  async destroy(): Promise<void> {
    if (!this.base.destroyed) await this.base.destroy();
  }
}

/** An undici-backed client for one series' request. */
export function createUndiciClient(request: RequestPlan, options: HttpClientOptions): HttpClient {
  return new UndiciClient(request, options);
}
