/**
 * HTTP for metrics backends (undici): one JSON query (templates come through coordinator/fetch). Failures are
 * returned as messages (a backend down is a per-metric error, not a crash); secret values never
 * appear in them.
 */
import { request } from "undici";
import type { Dispatcher } from "undici";
import { findTargetNotAllowed } from "../../core/index.js";
import type { Outcome } from "../assessment/index.js";

/** Largest response read from a backend. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface BackendRequest {
  readonly method: string;
  /** Full URL, query string included. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Strings to hide in messages (resolved secrets). */
  readonly secrets: readonly string[];
  /** The coordinator service's allow-list dispatcher; a refused host throws TargetNotAllowedError. */
  readonly dispatcher?: Dispatcher | undefined;
}

/** The URL for messages: secrets and userinfo replaced. */
export function describeUrl(url: string, secrets: readonly string[]): string {
  let text = url;
  try {
    const u = new URL(url);
    if (u.username !== "" || u.password !== "") {
      u.username = "";
      u.password = "";
      text = u.toString();
    }
  } catch {
    // not a URL: keep the text
  }
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    text = text.split(secret).join("[redacted]").split(encodeURIComponent(secret)).join("[redacted]");
  }
  return text;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join("[redacted]");
  return out;
}

function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  const code = (err as Error & { code?: string }).code;
  const parts = [err.message];
  if (cause instanceof Error && !err.message.includes(cause.message)) parts.push(cause.message);
  if (code !== undefined && !parts.some((p) => p.includes(code))) parts.push(code);
  return parts.join(": ");
}

async function send(req: BackendRequest, signal: AbortSignal, timeoutMs: number): Promise<Outcome<{ status: number; text: string }>> {
  const where = `${req.method} ${describeUrl(req.url, req.secrets)}`;
  try {
    const res = await request(req.url, {
      method: req.method as "GET",
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.body.destroy();
        return { ok: false, error: `${where}: response larger than ${MAX_RESPONSE_BYTES} bytes` };
      }
      chunks.push(buf);
    }
    return { ok: true, value: { status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") } };
  } catch (err) {
    const refusal = findTargetNotAllowed(err);
    if (refusal) throw refusal;
    const reason = signal.aborted ? "cancelled" : err instanceof Error && err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : causeText(err);
    return { ok: false, error: `${where} failed: ${scrub(reason, req.secrets)}` };
  }
}

/** Sends the request and parses a JSON answer; any failure is a message naming the request (an allow-list refusal throws). */
export async function queryJson(req: BackendRequest, signal: AbortSignal, timeoutMs: number): Promise<Outcome<unknown>> {
  const sent = await send(req, signal, timeoutMs);
  if (!sent.ok) return sent;
  const where = `${req.method} ${describeUrl(req.url, req.secrets)}`;
  const { status, text } = sent.value;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status < 200 || status >= 300) {
    const detail = typeof json === "object" && json !== null && typeof (json as Record<string, unknown>)["error"] === "string" ? String((json as Record<string, unknown>)["error"]) : text.slice(0, 200);
    return { ok: false, error: `${where}: HTTP ${status}${detail.trim() === "" ? "" : `: ${scrub(detail.trim(), req.secrets)}`}` };
  }
  if (json === undefined) return { ok: false, error: `${where}: the response is not JSON (${JSON.stringify(text.slice(0, 80))})` };
  if (typeof json === "object" && json !== null && (json as Record<string, unknown>)["status"] === "error") {
    const reason = (json as Record<string, unknown>)["error"];
    return { ok: false, error: `${where}: the backend answered an error: ${scrub(typeof reason === "string" ? reason : JSON.stringify(reason ?? "unknown"), req.secrets)}` };
  }
  return { ok: true, value: json };
}
