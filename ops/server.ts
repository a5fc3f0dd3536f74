/**
 * The operations endpoint of a long-running process (`assay coordinator`, `assay agent`):
 * liveness, readiness and Prometheus metrics on plain HTTP, separate from the gRPC API and NATS.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { ConfigurationError, ErrorCode } from "../core/index.js";
import type { Logger } from "../core/index.js";

export interface OpsServerOptions {
  /** TCP port; 0 picks a free one (see `OpsServer.port`). */
  port: number;
  /** Address to bind. Default "127.0.0.1"; in a pod use "0.0.0.0" so the kubelet and Prometheus reach it. */
  host?: string;
  logger: Logger;
  /** Served on /metrics in the Prometheus text format. */
  registry: Registry;
  /** /readyz answers 200 while this returns true, 503 otherwise (also when it throws). */
  ready(): boolean;
}

export interface OpsServer {
  /** `http://host:port` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting connections and closes idle ones; resolves when the server is closed. */
  close(): Promise<void>;
}

/** Paths served, for docs and probes. */
export const OPS_PATHS = { liveness: "/healthz", readiness: "/readyz", metrics: "/metrics" } as const;

/** The port the deploy manifests use for the ops endpoint of both components. */
export const DEFAULT_OPS_PORT = 9464;

/**
 * Starts the ops HTTP server: GET /healthz (200 while the process serves requests), GET /readyz
 * (200 or 503 from `ready()`), GET /metrics (the registry). Rejects with a ConfigurationError when
 * the address cannot be bound.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? "127.0.0.1";
  const log = options.logger.child({ component: "ops" });
  const server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      log.error({ err: error, path: req.url }, "ops request failed");
      if (!res.headersSent) reply(res, 500, "internal error\n");
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new ConfigurationError(ErrorCode.BadFlag, `ops endpoint: cannot listen on ${host}:${options.port}: ${error.message}`, {
          cause: error,
          suggestion: "choose another --ops-listen address or port",
        }),
      );
    };
    server.once("error", onError);
    server.listen(options.port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (error) => log.error({ err: error }, "ops server error"));
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  log.info({ host, port }, "ops endpoint listening");
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: OpsServerOptions): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    reply(res, 405, "method not allowed\n");
    return;
  }
  switch (path) {
    case OPS_PATHS.liveness:
      reply(res, 200, "ok\n");
      return;
    case OPS_PATHS.readiness:
      if (isReady(options)) reply(res, 200, "ready\n");
      else reply(res, 503, "not ready\n");
      return;
    case OPS_PATHS.metrics: {
      const body = await options.registry.metrics();
      reply(res, 200, body, options.registry.contentType);
      return;
    }
    default:
      reply(res, 404, "not found\n");
  }
}

function isReady(options: OpsServerOptions): boolean {
  try {
    return options.ready();
  } catch (error) {
    options.logger.warn({ err: error }, "readiness check threw; answering not ready");
    return false;
  }
}

function reply(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/**
 * Parses a `--ops-listen` value: `PORT`, `:PORT`, `HOST:PORT` or `[IPv6]:PORT`. A bare port binds
 * `defaultHost`. Throws a ConfigurationError (BadFlag) on anything else.
 */
export function parseListenAddress(text: string, defaultHost = "127.0.0.1"): { host: string; port: number } {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new ConfigurationError(ErrorCode.BadFlag, `invalid listen address "${text}"`, {
      suggestion: "use PORT, HOST:PORT or [IPv6]:PORT, e.g. 0.0.0.0:9464",
    });
  }
  const rawHost = match[1];
  const host = rawHost === undefined || rawHost === "" ? defaultHost : rawHost.replace(/^\[(.*)\]$/, "$1");
  return { host, port };
}
