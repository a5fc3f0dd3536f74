/**
 * Which HttpClient serves a series. The rule, applied once per series when the shard starts:
 *
 * the raw-socket fast path (engine/fast-client.ts) when ALL of these hold, undici otherwise —
 * - the URL is plain `http:` (no TLS);
 * - redirects are not followed (`maxRedirects` 0);
 * - the method is GET, HEAD, POST, PUT, DELETE, PATCH or OPTIONS;
 * - no header manages the connection or the framing (Connection, Keep-Alive, Transfer-Encoding,
 *   Content-Length, Expect, Upgrade, TE, Trailer, Proxy-Connection): those are undici's business;
 * - every header name is an HTTP token and every value is plain text (tab, printable ASCII, or
 *   bytes 0x80–0xFF; undici rejects the rest, and should be the one to report it);
 * - the environment does not say `ASSAY_HTTP_CLIENT=undici` (forces undici, e.g. to compare).
 */
import type { HttpClient, HttpClientOptions } from "./client.js";
import { createFastClient } from "./fast-client.js";
import type { RequestPlan } from "./plan.js";
import { createUndiciClient } from "./undici-client.js";

const FAST_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
const CONNECTION_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "expect", "upgrade", "te", "trailer", "proxy-connection"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PLAIN_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Why the fast path cannot serve this series (null: it can). */
export function fastPathRefusal(request: RequestPlan, options: HttpClientOptions, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env["ASSAY_HTTP_CLIENT"] === "undici") return "ASSAY_HTTP_CLIENT=undici";
  if (request.url.protocol !== "http:") return `${request.url.protocol} is not plain http`;
  if (options.maxRedirects > 0) return "redirects are followed";
  if (!FAST_METHODS.has(request.method)) return `method ${request.method}`;
  const { headers } = request;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] ?? "";
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)}`;
    if (CONNECTION_HEADERS.has(name.toLowerCase())) return `header ${name}`;
    if (!PLAIN_VALUE.test(headers[i + 1] ?? "")) return `header ${name} has control characters`;
  }
  return null;
}

/** The default HttpClientFactory: the fast path where `fastPathRefusal` allows it, undici otherwise. */
export function createHttpClient(request: RequestPlan, options: HttpClientOptions): HttpClient {
  return fastPathRefusal(request, options) === null ? createFastClient(request, options) : createUndiciClient(request, options);
}
