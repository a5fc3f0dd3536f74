import { startProcess } from "./process.js";
import type { ProcessHandle } from "./process.js";
import { makeTempDir } from "./registry.js";
import { freePort, httpOk } from "./wait.js";

export interface NatsServerOptions {
  /** Enable JetStream (`-js -sd <temp dir>`). Default true. */
  jetstream?: boolean;
  /** A nats-server config file (`-c`); the command-line host/ports still win. */
  configFile?: string;
  /** Extra nats-server arguments, appended last. */
  args?: string[];
  /** Client port. Default: a free port (never 4222). */
  port?: number;
  /** How long startup may take. Default 15000. */
  readyTimeoutMs?: number;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** The HTTP monitoring endpoint, `http://127.0.0.1:MPORT` (/healthz, /varz, /jsz, ...). */
  monitorUrl: string;
  /** The JetStream store dir (kept across restarts; removed by cleanupAll or at exit). */
  storeDir: string;
  /** The current nats-server process (a new one after each restart). */
  process(): ProcessHandle;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL now (a crash); `restart()` brings it back. */
  kill(): void;
  /** Stops it if running, then starts it again on the same ports and store dir; waits until ready. */
  restart(): Promise<void>;
}

const START_ATTEMPTS = 3;

/**
 * Starts a private `nats-server` (from PATH) on 127.0.0.1 with a free client port and a free
 * monitoring port, and waits until /healthz answers 200 (which includes JetStream readiness).
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const jetstream = opts.jetstream ?? true;
  const storeDir = await makeTempDir("nats");
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = opts.port ?? (await freePort());
    const monitorPort = await freePort();
    if (port === 4222 || monitorPort === 4222) continue;
    const args = ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitorPort)];
    if (jetstream) args.push("-js", "-sd", storeDir);
    if (opts.configFile !== undefined) args.push("-c", opts.configFile);
    args.push(...(opts.args ?? []));
    const monitorUrl = `http://127.0.0.1:${monitorPort}`;
    const spawnServer = (): Promise<ProcessHandle> =>
      startProcess("nats-server", args, {
        name: `nats-server :${port}`,
        ready: () => httpOk(`${monitorUrl}/healthz`),
        readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
      });
    let current: ProcessHandle;
    try {
      current = await spawnServer();
    } catch (err) {
      lastError = err;
      // Another test may have taken the "free" port in between: try fresh ports.
      if (opts.port === undefined && /address already in use/i.test(String(err))) continue;
      throw err;
    }
    const stop = async (): Promise<void> => {
      await current.stop("SIGTERM", 5000);
    };
    return {
      url: `nats://127.0.0.1:${port}`,
      port,
      monitorUrl,
      storeDir,
      process: () => current,
      stop,
      kill: () => current.kill(),
      restart: async () => {
        await current.stop("SIGTERM", 5000);
        current = await spawnServer();
      },
    };
  }
  throw new Error(`nats-server did not start after ${START_ATTEMPTS} attempts`, { cause: lastError });
}
