/**
 * Dashboard sessions: a viewer pastes a token once, the server checks it with the API's
 * authenticator and answers with a random session id in an HttpOnly, SameSite=Strict cookie.
 * EventSource cannot send headers, and tokens must never appear in URLs, so the cookie is how the
 * page's requests and its event stream are authorised. Sessions live in memory and expire.
 */
import { randomBytes } from "node:crypto";
import { DASHBOARD_SESSION_COOKIE } from "../../../core/index.js";
import type { Caller } from "../auth.js";

interface Session {
  readonly caller: Caller;
  readonly expiresAtMs: number;
}

export interface SessionStoreOptions {
  /** Default 12 hours. */
  readonly ttlMs?: number;
  /** Most sessions kept; the oldest goes first (default 10,000). */
  readonly maxSessions?: number;
  readonly now?: () => number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 12 * 60 * 60 * 1000;
    this.maxSessions = options.maxSessions ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** A new session id (256 random bits, base64url). */
  create(caller: Caller): string {
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, { caller, expiresAtMs: this.now() + this.ttlMs });
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return id;
  }

  get(id: string | undefined): Caller | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAtMs <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session.caller;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}

/** The session id from a Cookie header. */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === DASHBOARD_SESSION_COOKIE) return value.join("=");
  }
  return undefined;
}

/** Set-Cookie for a session (maxAgeMs 0 clears it). */
export function sessionCookie(id: string, options: { secure: boolean; maxAgeMs: number }): string {
  const attributes = [`${DASHBOARD_SESSION_COOKIE}=${id}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${Math.floor(options.maxAgeMs / 1000)}`];
  if (options.secure) attributes.push("Secure");
  return attributes.join("; ");
}
