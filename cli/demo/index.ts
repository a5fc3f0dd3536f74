/**
 * The bundled demo service behind `assay demo`: one keep-alive HTTP server on 127.0.0.1 with two
 * versions of a tiny JSON API at /v1 and /v2.
 *
 *   v1  answers after 2, 3 or 4 ms (cycling), always 200.
 *   v2  answers after 6 to 10 ms (cycling), and every 50th v2 request answers 500: exactly 2 %.
 *
 * Everything is deterministic (no randomness), so the quickstart's numbers can be explained: v2
 * fails the `http/error-rate ≤ 0.01` SLO and is a few milliseconds slower than v1.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { ErrorCode, InternalError, ValidationError } from "../../core/index.js";

export interface DemoServiceOptions {
  /** Port to listen on (127.0.0.1). Default 0: a free port. */
  port?: number;
}

export interface DemoService {
  /** `http://127.0.0.1:PORT/v1` */
  v1Url: string;
  /** `http://127.0.0.1:PORT/v2` */
  v2Url: string;
  port: number;
  /** Requests answered so far per version. */
  served(): { v1: number; v2: number };
  /** Total delay (ms) the service has put before its answers so far, per version. */
  injectedDelayMs(): { v1: number; v2: number };
  /** Stops listening, drops open connections and pending answers. Idempotent. */
  close(): Promise<void>;
}

/** Every Nth v2 request fails with 500 (2 %). */
export const DEMO_V2_FAIL_EVERY = 50;

interface VersionBehaviour {
  delayMs(n: number): number;
  fails(n: number): boolean;
}

const BEHAVIOUR: Record<"v1" | "v2", VersionBehaviour> = {
  v1: { delayMs: (n) => 2 + (n % 3), fails: () => false },
  v2: { delayMs: (n) => 6 + (n % 5), fails: (n) => n % DEMO_V2_FAIL_EVERY === 0 },
};

function versionOf(url: string | undefined): "v1" | "v2" | undefined {
  const path = (url ?? "/").split("?")[0] ?? "/";
  const match = /^\/(v1|v2)(\/.*)?$/.exec(path);
  return match ? (match[1] as "v1" | "v2") : undefined;
}

/** Starts the demo service on 127.0.0.1. */
export async function startDemoService(options: DemoServiceOptions = {}): Promise<DemoService> {
  const arrived = { v1: 0, v2: 0 };
  const answered = { v1: 0, v2: 0 };
  const injected = { v1: 0, v2: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closing: Promise<void> | undefined;

  const answer = (res: ServerResponse, status: number, body: string): void => {
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const version = versionOf(req.url);
    req.resume();
    if (version === undefined) {
      answer(res, 404, JSON.stringify({ error: "not found: try /v1 or /v2" }));
      return;
    }
    arrived[version] += 1;
    const n = arrived[version];
    const behaviour = BEHAVIOUR[version];
    const failing = behaviour.fails(n);
    const body = failing
      ? JSON.stringify({ version, request: n, error: "simulated failure (every 50th request)" })
      : JSON.stringify({ version, request: n, message: `hello from ${version}` });
    res.once("finish", () => {
      answered[version] += 1;
    });
    const delayMs = behaviour.delayMs(n);
    injected[version] += delayMs;
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer(res, failing ? 500 : 200, body);
    }, delayMs);
    timers.add(timer);
  };

  const server = createServer({ keepAlive: true }, onRequest);
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void =>
      reject(
        new ValidationError(ErrorCode.BadFlag, `demo service: cannot listen on 127.0.0.1:${port}: ${error.message}`, {
          cause: error,
          suggestion: "another `assay demo --serve` may be running; choose another port with --port PORT, or --port 0 for a free one",
        }),
      );
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    throw new InternalError(ErrorCode.Invariant, "demo service: could not read the bound port");
  }
  const base = `http://127.0.0.1:${address.port}`;

  return {
    v1Url: `${base}/v1`,
    v2Url: `${base}/v2`,
    port: address.port,
    served: () => ({ ...answered }),
    injectedDelayMs: () => ({ ...injected }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}
