import { createServer } from "node:net";

export interface WaitUntilOptions {
  /** Give up after this long. Default 10000. */
  timeoutMs?: number;
  /** Pause between probes. Default 25. */
  intervalMs?: number;
  /** What is awaited, for the timeout message (e.g. "nats-server ready"). */
  what?: string;
  /** Stops waiting early; the rejection carries the signal's reason. */
  signal?: AbortSignal;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Polls `probe` until it returns true. A probe that throws counts as "not yet"; on timeout the
 * Error names `what` and the last probe error (also kept as `cause`).
 */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  opts: WaitUntilOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const what = opts.what ?? "condition";
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remainingMs)));
  }
  const suffix = lastError === undefined ? "" : ` (last probe error: ${describe(lastError)})`;
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${suffix}`, lastError === undefined ? undefined : { cause: lastError });
}

/**
 * Waits until `read()` (a count, e.g. a target's served requests) has not changed for `steadyMs`
 * and `also()` (default: true) holds; returns when the count last changed (epoch ms), i.e. when
 * the load stopped.
 */
export async function waitUntilSteady(
  read: () => number,
  opts: WaitUntilOptions & { readonly steadyMs: number; readonly also?: () => boolean },
): Promise<number> {
  let last = read();
  let steadySinceMs = Date.now();
  await waitUntil(() => {
    const now = read();
    if (now !== last) {
      last = now;
      steadySinceMs = Date.now();
    }
    return Date.now() - steadySinceMs >= opts.steadyMs && (opts.also?.() ?? true);
  }, opts);
  return steadySinceMs;
}

/** A TCP port that was free on 127.0.0.1 a moment ago (bind to port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the bound port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** One HTTP GET with a short timeout; true when the status is 2xx. For readiness probes. */
export async function httpOk(url: string, timeoutMs = 1000): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.ok;
}
