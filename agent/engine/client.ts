/**
 * The seam between the load models and the HTTP implementation. A model owns a few "slots" (one
 * request in flight each); each slot owns one reusable Exchange, so the hot path allocates no
 * per-request objects of ours. Two implementations: a raw-socket HTTP/1.1 fast path
 * (engine/fast-client.ts) and undici (engine/undici-client.ts); engine/choose-client.ts picks one
 * per series.
 */

/** Receives the outcome of the exchange's current request: exactly one call per `send()`. */
export interface ExchangeListener {
  /** The response arrived and its body was drained (`bodyBytes` bytes). */
  onResponse(statusCode: number, bodyBytes: number): void;
  /** No complete response: connection failure, reset, timeout (the abort reason), destroy. */
  onFailure(error: Error): void;
}

/** One reusable request slot. At most one request is in flight per exchange. */
export interface Exchange {
  /** Sends the series' request. The listener may be called synchronously (e.g. client destroyed). */
  send(): void;
  /** Aborts the request in flight; the listener's onFailure receives `reason` (or undici's error). */
  abort(reason: Error): void;
}

/** An HTTP client for one series (one request template, one connection pool). */
export interface HttpClient {
  createExchange(listener: ExchangeListener): Exchange;
  /** Lets requests in flight finish, then closes the connections. */
  close(): Promise<void>;
  /** Fails every request in flight (their listeners get onFailure) and closes the connections. */
  destroy(): Promise<void>;
}

export interface HttpClientOptions {
  /** Upper bound on open connections. */
  connections: number;
  requestTimeoutMs: number;
  insecureSkipVerify: boolean;
  /** 0 = do not follow. */
  maxRedirects: number;
}

/** The error a slot aborts its request with when the request timeout passes. */
export class RequestTimeoutError extends Error {
  readonly code = "REQUEST_TIMEOUT";
  constructor(timeoutMs: number) {
    super(`request timed out after ${timeoutMs}ms`);
    this.name = "RequestTimeoutError";
  }
}

const TIMEOUT_CODES = new Set(["REQUEST_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);

/** Whether a failure is a timeout (counted in `timeouts`) rather than a connection error. */
export function isTimeoutError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && TIMEOUT_CODES.has(code);
}

const MAX_MESSAGE_CHARS = 160;

/** A short, stable text for an error, used as the key of SeriesStats.errorMessages. */
export function errorKey(error: Error): string {
  const code = (error as { code?: unknown }).code;
  let message = error.message;
  if (message === "" && error instanceof AggregateError) {
    const first: unknown = error.errors[0];
    if (first instanceof Error) message = first.message;
  }
  const codeText = typeof code === "string" ? code : "";
  const text = message === "" ? codeText || error.name : codeText !== "" && !message.includes(codeText) ? `${codeText}: ${message}` : message;
  return text.length > MAX_MESSAGE_CHARS ? text.slice(0, MAX_MESSAGE_CHARS) : text;
}
