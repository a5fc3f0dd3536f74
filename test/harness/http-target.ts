import { createServer as createHttpServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { registerCloser } from "./registry.js";
import { TEST_TLS_CERT, TEST_TLS_KEY } from "./tls-fixture.js";

/** Options of `startHttpTarget`; all optional. `n` is the 1-based request number in arrival order. */
export interface HttpTargetOptions {
  /** Delay before answering, fixed or per request number. Default 0. */
  delayMs?: number | ((n: number) => number);
  /** Every Nth request (n % failEvery === 0) answers 500. */
  failEvery?: number;
  /** Status of the non-failing answers. Default 200. */
  status?: number;
  /** Body of every answer. Default "ok". */
  body?: string;
  /**
   * Freeze once: request number `afterRequests + 1` is held `stallMs`, and every request that
   * arrives during the stall is held until it ends (a server that stops answering for a while).
   * Held requests are then answered as usual (delay, failEvery, handler).
   */
  stallOnce?: { afterRequests: number; stallMs: number };
  /** Full control of the answer (replaces status/body/failEvery/delayMs; stallOnce still applies). */
  handler?: (req: IncomingMessage, res: ServerResponse, n: number) => void;
  /** Serve HTTPS with a self-signed cert for 127.0.0.1 (its PEM is `HttpTarget.ca`). */
  https?: boolean;
  /** Keep the last 100 requests for `requests()`. Default false. */
  record?: boolean;
}

export interface RecordedRequest {
  /** 1-based arrival number. */
  n: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpTarget {
  /** `http://127.0.0.1:PORT/` (or `https://...`). */
  url: string;
  port: number;
  /** The certificate to trust when `https` is on (self-signed), otherwise undefined. */
  ca: string | undefined;
  /** Requests answered so far (response fully written). */
  served(): number;
  /** Requests that have arrived so far (answered or not). */
  received(): number;
  /** The last 100 requests, oldest first. Throws unless started with `record: true`. */
  requests(): RecordedRequest[];
  /** Stops listening, destroys open sockets and pending timers. Never hangs; idempotent. */
  close(): Promise<void>;
}

const RECORD_LIMIT = 100;

/** Starts a keep-alive HTTP(S) server on 127.0.0.1 with a free port, to act as a load target. */
export async function startHttpTarget(opts: HttpTargetOptions = {}): Promise<HttpTarget> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const recorded: RecordedRequest[] = [];
  let arrived = 0;
  let answered = 0;
  let stallUntilMs = 0;
  let closed = false;

  const later = (ms: number, fn: () => void): void => {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const respond = (req: IncomingMessage, res: ServerResponse, n: number): void => {
    if (opts.handler) {
      opts.handler(req, res, n);
      return;
    }
    const delayMs = typeof opts.delayMs === "function" ? opts.delayMs(n) : (opts.delayMs ?? 0);
    later(delayMs, () => {
      if (res.destroyed) return;
      const failing = opts.failEvery !== undefined && opts.failEvery > 0 && n % opts.failEvery === 0;
      const body = opts.body ?? "ok";
      res.writeHead(failing ? 500 : (opts.status ?? 200), {
        "content-type": "text/plain",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    arrived += 1;
    const n = arrived;
    res.once("finish", () => {
      answered += 1;
    });
    const chunks: Buffer[] = [];
    if (opts.record) {
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.once("end", () => {
        recorded.push({
          n,
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        if (recorded.length > RECORD_LIMIT) recorded.shift();
      });
    }
    const nowMs = Date.now();
    if (opts.stallOnce && n === opts.stallOnce.afterRequests + 1) {
      stallUntilMs = nowMs + opts.stallOnce.stallMs;
    }
    const heldUntilMs = stallUntilMs;
    const proceed = (): void => later(heldUntilMs - Date.now(), () => respond(req, res, n));
    if (opts.handler) {
      proceed();
      return;
    }
    // Read the body before answering so the keep-alive connection stays usable.
    if (!opts.record) req.resume();
    req.once("end", proceed);
  };

  const server: Server = opts.https
    ? createHttpsServer({ key: TEST_TLS_KEY, cert: TEST_TLS_CERT }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new Error("HTTP target: could not read the bound port");
  }
  const port = address.port;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    unregister();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await stopped;
  };
  const unregister = registerCloser(close);

  return {
    url: `${opts.https ? "https" : "http"}://127.0.0.1:${port}/`,
    port,
    ca: opts.https ? TEST_TLS_CERT : undefined,
    served: () => answered,
    received: () => arrived,
    requests: () => {
      if (!opts.record) throw new Error("HTTP target was started without record: true");
      return [...recorded];
    },
    close,
  };
}
