/**
 * The dashboard's web server (`assay coordinator --ui`, `assay run --ui`): the page, a small JSON
 * API and a server-sent-events stream of each experiment's watch events, over HTTP on loopback or
 * HTTPS with the API's certificate.
 *
 * Auth is the API's: with a tokens file, a token pasted once into the page's form is exchanged
 * (POST /api/session) for a session cookie (HttpOnly, SameSite=Strict, Secure under TLS) that every
 * API call and the event stream need; tokens never travel in URLs. Without tokens the server keeps
 * to loopback (as the API does) and accepts only loopback Host headers (no DNS rebinding).
 * State-changing requests need a JSON body, the DASHBOARD_CSRF_HEADER header and, when the
 * browser sends one, a same-origin Origin header. Every response carries a strict CSP.
 */
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { isIP } from "node:net";
import {
  ConfigurationError,
  DASHBOARD_CSRF_HEADER,
  ErrorCode,
  isAssayError,
} from "../../../core/index.js";
import type { DashboardAgents, DashboardExperimentList, DashboardSession, Logger } from "../../../core/index.js";
import { openAuthenticator } from "../auth.js";
import type { Authenticator, Caller } from "../auth.js";
import { isLoopback, parseListenAddress } from "../server.js";
import type { ServerTls } from "../server.js";
import { SERVED_CSP, loadDashboardAssets, servedPageHtml } from "./assets.js";
import { SessionStore, sessionCookie, sessionIdFrom } from "./session.js";
import type { DashboardSource } from "./source.js";
import { sseSink } from "./sse.js";
import { experimentView } from "./view.js";

export const DEFAULT_UI_LISTEN = "127.0.0.1:7234";

export interface DashboardServerOptions {
  readonly source: DashboardSource;
  readonly logger: Logger;
  /** `host:port` (port 0 picks a free one). Default 127.0.0.1:7234. */
  readonly listen?: string;
  /** Default: no auth (loopback only). */
  readonly authenticator?: Authenticator;
  /** Serve HTTPS with the API's certificate; `clientCa` requires client certificates too. */
  readonly tls?: ServerTls;
  /** Allow a non-loopback address without TLS and auth (development only). */
  readonly insecureListenAny?: boolean;
  /** Session lifetime (default 12 h). */
  readonly sessionTtlMs?: number;
  /** SSE keep-alive comment interval (default 15 s). */
  readonly heartbeatMs?: number;
}

export interface DashboardServer {
  /** `http(s)://host:port/` as a browser would open it. */
  readonly url: string;
  readonly port: number;
  /** Open event streams right now. */
  streamCount(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;
const EXPERIMENT_PATH = /^\/api\/experiments\/([A-Za-z0-9._-]{1,128})(\/events)?$/;
const PAGE_PATH = /^\/(?:experiments\/[A-Za-z0-9._-]{1,128})?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { host, port } = parseListenAddress(options.listen ?? DEFAULT_UI_LISTEN);
  const authenticator = options.authenticator ?? openAuthenticator();
  const authenticated = authenticator.enabled || options.tls?.clientCa !== undefined;
  if (!isLoopback(host) && !options.insecureListenAny && (!options.tls || !authenticated)) {
    throw new ConfigurationError(ErrorCode.BadConfig, `refusing to serve the dashboard on ${host} without TLS and authentication`, {
      field: "--ui",
      suggestion: "give the coordinator --tls-cert/--tls-key and a tokens file, serve it on 127.0.0.1, or pass --insecure-listen-any",
    });
  }
  const log = options.logger.child({ component: "dashboard" });
  const requests = new DashboardRequests(options, authenticator, log);
  const sockets = new Set<Socket>();
  const listener = (req: IncomingMessage, res: ServerResponse): void => requests.serve(req, res);
  const server: Server = options.tls
    ? createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
        },
        listener,
      )
    : createHttpServer(listener);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (cause) {
    throw new ConfigurationError(ErrorCode.BadConfig, `cannot serve the dashboard on ${host}:${port}: ${(cause as Error).message}`, { cause, field: "--ui" });
  }
  const bound = (server.address() as AddressInfo).port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  const url = `${requests.secure ? "https" : "http"}://${urlHost}:${bound}/`;
  log.info({ url, tls: requests.secure, auth: authenticator.enabled }, "dashboard listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    port: bound,
    streamCount: () => requests.openStreams.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const res of requests.openStreams) res.end();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** Every request of the dashboard: the page, its assets, the session exchange, the JSON API and the event streams. */
class DashboardRequests {
  readonly secure: boolean;
  readonly openStreams = new Set<ServerResponse>();
  private readonly assets = loadDashboardAssets();
  private readonly sessions: SessionStore;
  private readonly page = servedPageHtml();

  constructor(
    private readonly options: DashboardServerOptions,
    private readonly authenticator: Authenticator,
    private readonly log: Logger,
  ) {
    this.sessions = new SessionStore(options.sessionTtlMs ? { ttlMs: options.sessionTtlMs } : {});
    this.secure = options.tls !== undefined;
  }

  serve(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch((error: unknown) => this.fail(res, error));
  }

  private callerOf(req: IncomingMessage): Caller | undefined {
    return this.authenticator.enabled ? this.sessions.get(sessionIdFrom(req.headers.cookie)) : this.authenticator.authenticateToken("");
  }

  private hostAllowed(req: IncomingMessage): boolean {
    if (this.authenticator.enabled || this.options.insecureListenAny) return true;
    const hostHeader = req.headers.host ?? "";
    const name = /^\[([^\]]+)\]/.exec(hostHeader)?.[1] ?? hostHeader.replace(/:\d+$/, "");
    return isLoopback(name);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCommonHeaders(res);
    if (!this.hostAllowed(req)) throw new HttpError(421, "this dashboard answers only to loopback host names");
    const path = new URL(req.url ?? "/", "http://dashboard.invalid").pathname;
    const method = req.method ?? "GET";

    if (method === "GET" && PAGE_PATH.test(path)) return send(res, 200, "text/html; charset=utf-8", this.page);
    if (method === "GET" && path === "/assets/dashboard.js") return sendAsset(req, res, "text/javascript; charset=utf-8", this.assets.script, this.assets.scriptEtag);
    if (method === "GET" && path === "/assets/dashboard.css") return sendAsset(req, res, "text/css; charset=utf-8", this.assets.style, this.assets.styleEtag);
    if (path === "/api/session") return this.session(req, res, method);

    if (!path.startsWith("/api/")) throw new HttpError(404, "not found");
    if (method !== "GET") throw new HttpError(405, "method not allowed");
    if (!this.callerOf(req)) throw new HttpError(401, "sign in with a viewer token first");

    if (path === "/api/experiments") {
      const list: DashboardExperimentList = { experiments: this.options.source.list() };
      return sendJson(res, 200, list);
    }
    if (path === "/api/agents") {
      const agents: DashboardAgents = { agents: this.options.source.agents() };
      return sendJson(res, 200, agents);
    }
    const match = EXPERIMENT_PATH.exec(path);
    if (!match?.[1]) throw new HttpError(404, "not found");
    const id = match[1];
    if (!match[2]) {
      const { summary, result } = await this.options.source.describe(id);
      return sendJson(res, 200, experimentView(summary, result));
    }
    return this.stream(req, res, id);
  }

  private async session(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (method === "GET") {
      const caller = this.callerOf(req);
      const session: DashboardSession = {
        auth: this.authenticator.enabled,
        signedIn: caller !== undefined,
        ...(caller ? { name: caller.name, role: caller.role } : {}),
        mode: this.options.source.mode,
      };
      return sendJson(res, 200, session);
    }
    if (method === "POST") return this.signIn(req, res);
    if (method === "DELETE") {
      this.checkCsrf(req);
      this.sessions.delete(sessionIdFrom(req.headers.cookie));
      res.setHeader("set-cookie", sessionCookie("", { secure: this.secure, maxAgeMs: 0 }));
      return send(res, 204, "text/plain", "");
    }
    throw new HttpError(405, "method not allowed");
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.checkCsrf(req);
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) throw new HttpError(415, "send the token as JSON");
    const body = await readBody(req);
    let token: unknown;
    try {
      token = (JSON.parse(body) as { token?: unknown }).token;
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    if (typeof token !== "string" || token.trim() === "") throw new HttpError(400, "no token given");
    if (!this.authenticator.enabled) return sendJson(res, 200, { signedIn: true });
    let caller: Caller;
    try {
      caller = this.authenticator.authenticateToken(token);
    } catch {
      this.log.info({ peer: req.socket.remoteAddress }, "dashboard sign-in refused");
      throw new HttpError(401, "the token is not valid");
    }
    this.sessions.delete(sessionIdFrom(req.headers.cookie));
    const id = this.sessions.create(caller);
    res.setHeader("set-cookie", sessionCookie(id, { secure: this.secure, maxAgeMs: this.sessions.ttlMs }));
    this.log.info({ name: caller.name, role: caller.role }, "dashboard session started");
    return sendJson(res, 200, { signedIn: true, name: caller.name, role: caller.role });
  }

  private checkCsrf(req: IncomingMessage): void {
    if (req.headers[DASHBOARD_CSRF_HEADER] !== "1") throw new HttpError(403, `missing the ${DASHBOARD_CSRF_HEADER} header`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== "null") {
      let originHost: string;
      try {
        originHost = new URL(origin).host;
      } catch {
        throw new HttpError(403, "bad Origin header");
      }
      if (originHost !== req.headers.host) throw new HttpError(403, "cross-origin request refused");
    }
  }

  private stream(req: IncomingMessage, res: ServerResponse, id: string): void {
    const lastEventId = Number(req.headers["last-event-id"] ?? 0);
    const fromSeq = Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId + 1 : 0;
    // NOT_FOUND surfaces before the response starts.
    this.options.source.describe(id).then(
      () => {
        if (res.destroyed || req.socket.destroyed) return;
        const sink = sseSink(res, this.options.heartbeatMs ? { heartbeatMs: this.options.heartbeatMs } : {});
        this.openStreams.add(res);
        const watcher = this.options.source.watch(id, sink, fromSeq);
        res.once("close", () => {
          this.openStreams.delete(res);
          watcher.cancel();
        });
      },
      (error: unknown) => this.fail(res, error),
    );
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
    if (isAssayError(error)) {
      const status = error.code === ErrorCode.NotFound ? 404 : error.code === ErrorCode.Unauthenticated ? 401 : error.code === ErrorCode.PermissionDenied ? 403 : 500;
      return sendJson(res, status, { error: error.message });
    }
    this.log.error({ err: error }, "dashboard request failed");
    sendJson(res, 500, { error: "internal error" });
  }
}

function setCommonHeaders(res: ServerResponse): void {
  res.setHeader("content-security-policy", SERVED_CSP);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("cross-origin-opener-policy", "same-origin");
  res.setHeader("cross-origin-resource-policy", "same-origin");
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body));
}

function sendAsset(req: IncomingMessage, res: ServerResponse, type: string, body: string, etag: string): void {
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, { etag, "cache-control": "no-cache" });
    res.end();
    return;
  }
  res.writeHead(200, { "content-type": type, etag, "cache-control": "no-cache" });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
