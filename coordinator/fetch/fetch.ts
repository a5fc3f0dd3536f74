/**
 * One GET of a resource an experiment names by URL and Iter8 fetches when the task runs
 * (`payloadURL`, `payloadTemplateURL`, custommetrics `templates:`, `dataURL`, `protoURL`).
 * Bounded in time and size; redirects are followed by hand (at most MAX_REDIRECTS), each hop
 * through the same dispatcher, so an allow-list plugged in as a dispatcher sees every host.
 */
import { request } from "undici";
import type { Dispatcher } from "undici";
import { ErrorCode, TargetError, ValidationError, findTargetNotAllowed } from "../../core/index.js";

/** Default time for the whole fetch, redirects included. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
/** Default largest body accepted (Iter8 reads any size; a payload or template this big is a mistake). */
export const DEFAULT_FETCH_MAX_BYTES = 16 * 1024 * 1024;
/** Redirect hops followed (Go's http.Client, which Iter8 uses, follows 10). */
export const MAX_REDIRECTS = 10;

export interface RunTimeFetchOptions {
  /** The field that names the URL, e.g. `spec[0].with.payloadURL`: every error names it. */
  readonly field: string;
  /** Whole fetch, redirects included (default DEFAULT_FETCH_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Largest body accepted (default DEFAULT_FETCH_MAX_BYTES). */
  readonly maxBytes?: number;
  /** Aborts the fetch (the experiment was cancelled). */
  readonly signal?: AbortSignal;
  /** The undici dispatcher to send through (an allow-list, a proxy); default undici's global one. */
  readonly dispatcher?: Dispatcher;
}

/** A run-time fetch that failed: unreachable, non-2xx, too slow or too large. Names the field. */
export class RunTimeFetchError extends TargetError {
  readonly url: string;
  constructor(code: ErrorCode, field: string, url: string, reason: string, cause?: unknown) {
    super(code, `${field}: cannot fetch ${redactUrl(url)}: ${reason}`, { field, ...(cause === undefined ? {} : { cause }) });
    this.url = url;
  }
}

/** The URL without userinfo, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === "" && u.password === "") return url;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url;
  }
}

function checkUrl(url: string, field: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new ValidationError(ErrorCode.WrongType, `${field}: ${JSON.stringify(url)} is not a URL`, { field, cause: err });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ValidationError(ErrorCode.WrongType, `${field}: ${JSON.stringify(url)} is not an http(s) URL`, { field });
  }
  return parsed;
}

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Error & { code?: unknown }).code;
  const cause = (err as Error & { cause?: unknown }).cause;
  const parts = [err.message];
  if (cause instanceof Error && !err.message.includes(cause.message)) parts.push(cause.message);
  if (typeof code === "string" && !parts.some((p) => p.includes(code))) parts.push(code);
  return parts.join(": ");
}

/** Drops a body we do not read (bounded, never throws). */
async function discard(body: Dispatcher.ResponseData["body"]): Promise<void> {
  await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
}

/** Reads at most maxBytes of the body; throws as soon as it is longer. */
async function readBounded(body: Dispatcher.ResponseData["body"], maxBytes: number, fail: (reason: string) => never): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    // Leaving the loop early closes the stream without an error event.
    if (total > maxBytes) break;
    chunks.push(bytes);
  }
  if (total > maxBytes) fail(`the response is larger than ${maxBytes} bytes`);
  return new Uint8Array(Buffer.concat(chunks, total));
}

/**
 * Fetches `url` with GET and returns its body. 2xx only; redirects followed. Throws
 * RunTimeFetchError (code RUNTIME_FETCH_FAILED, or RUNTIME_FETCH_TOO_LARGE) naming `field`.
 */
export async function fetchRunTimeResource(url: string, options: RunTimeFetchOptions): Promise<Uint8Array> {
  const { field } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_FETCH_MAX_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let current = checkUrl(url, field);
  for (let hop = 0; ; hop++) {
    const fail: (reason: string, cause?: unknown, code?: ErrorCode) => never = (reason, cause, code = ErrorCode.FetchFailed) => {
      throw new RunTimeFetchError(code, field, current.toString(), reason, cause);
    };
    let response: Dispatcher.ResponseData;
    try {
      response = await request(current, {
        method: "GET",
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted === true) throw err;
      if (timeout.aborted) fail(`no answer within ${timeoutMs} ms`, err);
      // The allow-list (the service's egress dispatcher) refused the connection, maybe at a redirect.
      const refusal = findTargetNotAllowed(err);
      if (refusal) fail(refusal.message, refusal, ErrorCode.TargetNotAllowed);
      fail(reasonOf(err), err);
    }
    const { statusCode, headers } = response;
    if (statusCode >= 300 && statusCode < 400 && typeof headers.location === "string") {
      await discard(response.body);
      if (hop >= MAX_REDIRECTS) fail(`more than ${MAX_REDIRECTS} redirects`);
      current = checkUrl(new URL(headers.location, current).toString(), field);
      continue;
    }
    if (statusCode < 200 || statusCode >= 300) {
      await discard(response.body);
      fail(`HTTP ${statusCode}`);
    }
    const declared = Number(headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await discard(response.body);
      fail(`the response is ${declared} bytes, more than the limit of ${maxBytes}`, undefined, ErrorCode.FetchTooLarge);
    }
    try {
      return await readBounded(response.body, maxBytes, (reason) => fail(reason, undefined, ErrorCode.FetchTooLarge));
    } catch (err) {
      if (err instanceof RunTimeFetchError) throw err;
      if (options.signal?.aborted === true) throw err;
      if (timeout.aborted) fail(`the body did not arrive within ${timeoutMs} ms`, err);
      fail(reasonOf(err), err);
    }
  }
}

/** fetchRunTimeResource decoded as UTF-8 (templates). */
export async function fetchRunTimeText(url: string, options: RunTimeFetchOptions): Promise<string> {
  return new TextDecoder().decode(await fetchRunTimeResource(url, options));
}
