/**
 * Closing a NATS connection so that it really ends. `drain()` is the graceful way (unsubscribe,
 * deliver what is pending, flush, close), but its flush waits for the server's answer: on a
 * connection that is disconnected and reconnecting forever (natsConnectionOptions asks for that)
 * it waits for a server that may never come back, the socket and the reconnect timers stay, and the
 * process cannot end. Every NATS connection in Assay is closed through `closeNatsConnection`.
 */
import type { NatsConnection } from "nats";
import { withDeadline } from "./deadline.js";

export interface CloseNatsOptions {
  /** How long a drain may take before the connection is closed anyway (default 2000 ms). */
  readonly drainTimeoutMs?: number;
  /**
   * False when the caller knows the connection is down (its status said Disconnect and no
   * Reconnect since): nothing can be drained, so it is closed at once. Default true.
   */
  readonly connected?: boolean;
  /** How long `close()` itself may take (default 2000 ms). */
  readonly closeTimeoutMs?: number;
}

/**
 * Drains `nc` within `drainTimeoutMs`, then closes it if it is still open (or at once when not
 * `connected`), and resolves once it is closed or the deadlines passed. Never rejects.
 */
export async function closeNatsConnection(nc: NatsConnection, options: CloseNatsOptions = {}): Promise<void> {
  if (!nc.isClosed() && options.connected !== false && !nc.isDraining()) {
    await withDeadline(nc.drain().catch(() => undefined), options.drainTimeoutMs ?? 2000);
  }
  if (!nc.isClosed()) await withDeadline(nc.close().catch(() => undefined), options.closeTimeoutMs ?? 2000);
  await withDeadline(nc.closed(), options.closeTimeoutMs ?? 2000);
}
