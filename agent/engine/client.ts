/**
 * The seam between the load models and the HTTP implementation. A model owns a few "slots" (one
 * request in flight each); each slot owns one reusable Exchange, so the hot path allocates no
 * per-request objects of ours. Two implementations: a raw-socket HTTP/1.1 fast path
 * (engine/fast-client.ts) and undici (engine/undici-client.ts); engine/choose-client.ts picks one
 * per series.
 */
import type { EgressGuard } from "../../core/index.js";

/**
 * Receives the outcome of the exchange's current request: exactly one onResponse or onFailure per
 * `send()`, after at most one onRetry.
 */
export interface ExchangeListener {
  /** The response arrived and its body was drained (`bodyBytes` bytes). */
  onResponse(statusCode: number, bodyBytes: number): void;
  /** No complete response: connection failure, reset, timeout (the abort reason), destroy. */
  onFailure(error: Error): void;
  /**
   * The request is being sent again on a fresh connection (see `RETRY_METHODS`): `reason` is why
   * the first attempt failed. Not an outcome: onResponse or onFailure follows.
   */
  onRetry(reason: Error): void;
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
  /** Checks every connection (the target, each redirect) against the service's allow-list; absent = unrestricted. */
  egress?: EgressGuard | undefined;
}

/** The error a slot aborts its request with when the request timeout passes. */
export class RequestTimeoutError extends Error {
  readonly code = "REQUEST_TIMEOUT";
  constructor(timeoutMs: number) {
    super(`request timed out after ${timeoutMs}ms`);
    this.name = "RequestTimeoutError";
  }
}

/**
 * Stale keep-alive connections: a request written to a reused connection that the server had
 * already closed (its FIN was on the way), or that was closed or reset before any byte of the
 * response arrived, is sent once more on a fresh connection — for these idempotent methods only
 * (RFC 9110 §9.2.2), as browsers do. Nothing of it can have been processed in a way that a second
 * send would change, so it is not a target error. Both clients apply this rule.
 */
export const RETRY_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);

/** The failures of a reused connection that qualify for the retry (with no response byte read). */
const RETRY_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/** Whether `error` is a connection closed or reset under a request (see `RETRY_METHODS`). */
export function isStaleConnectionError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && RETRY_CODES.has(code);
}

/** The key under which retries are counted in SeriesStats.errorMessages (not in `errors`). */
export const RETRIED_KEY_PREFIX = "retried, not an error: ";

/**
 * How a failed request is classified, the same for both clients (docs/reliability.md):
 * - `timeout`: the request timeout passed (or a connect/headers/body timeout);
 * - `protocol`: the bytes were not a valid HTTP/1.1 response (a parse error, a head over 64 KiB,
 *   ambiguous framing);
 * - `target`: anything else — refused, reset or closed before the response was complete.
 */
export type FailureKind = "timeout" | "target" | "protocol";

const PROTOCOL_CODES = new Set(["UND_ERR_HEADERS_OVERFLOW", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH"]);

export function failureKind(error: Error): FailureKind {
  if (isTimeoutError(error)) return "timeout";
  const code = (error as { code?: unknown }).code;
  if (error.name === "HTTPParserError" || (typeof code === "string" && (code.startsWith("HPE_") || PROTOCOL_CODES.has(code)))) return "protocol";
  return "target";
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
