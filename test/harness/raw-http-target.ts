/**
 * A raw-socket HTTP/1.1 target: it reads request heads off plain TCP and answers with exactly the
 * bytes a test asks for — malformed, split at any byte, closed or reset at any point — which
 * `node:http` would never send. It records every request it read and what it sent back, so a test
 * can check a client's counts against the server's (requests processed, connections, bytes).
 */
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { registerCloser } from "./registry.js";

/** One request as the target read it. */
export interface RawRequest {
  /** 1-based arrival number over the whole target. */
  n: number;
  /** 1-based number of the connection it came on. */
  connection: number;
  /** 1-based number of the request on its connection. */
  onConnection: number;
  method: string;
  path: string;
}

/** What the target does with one request. Everything written is recorded. */
export interface RawReply {
  /** Writes bytes now. */
  write(bytes: string | Uint8Array): void;
  /** Writes `bytes` in pieces of `pieceBytes` (1: byte by byte), one event-loop turn apart. */
  dribble(bytes: string | Uint8Array, pieceBytes: number): Promise<void>;
  /** Ends the connection with a FIN after what was written; nothing more is read on it. */
  end(): void;
  /** Resets the connection (RST) at once; nothing more is read on it. */
  reset(): void;
}

/** How the target answered one request. */
export interface RawExchangeRecord extends RawRequest {
  /** Bytes the target wrote in reply. */
  sentBytes: number;
  /** How the connection ended in reply to this request, if it did. */
  closedWith: "fin" | "rst" | null;
}

export interface RawHttpTargetOptions {
  /** Answers one request; may be async (requests on one connection are answered in order). */
  respond: (reply: RawReply, request: RawRequest) => void | Promise<void>;
}

export interface RawHttpTarget {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  /** Requests read and handed to `respond` (processed) so far. */
  received(): number;
  /** Connections accepted so far. */
  connections(): number;
  /** Every request read, oldest first, with what was sent back. */
  log(): RawExchangeRecord[];
  /** Stops listening and destroys open sockets. Never hangs; idempotent. */
  close(): Promise<void>;
}

const LATIN1 = "latin1";
const MAX_HEAD_BYTES = 64 * 1024;

function toBuffer(bytes: string | Uint8Array): Buffer {
  return typeof bytes === "string" ? Buffer.from(bytes, LATIN1) : Buffer.from(bytes);
}

/** Starts a raw TCP HTTP target on 127.0.0.1 with a free port. */
export async function startRawHttpTarget(opts: RawHttpTargetOptions): Promise<RawHttpTarget> {
  const sockets = new Set<Socket>();
  const records: RawExchangeRecord[] = [];
  let arrived = 0;
  let connections = 0;
  let closed = false;

  const serve = (socket: Socket): void => {
    connections += 1;
    const connection = connections;
    let onConnection = 0;
    let pending: Buffer = Buffer.alloc(0);
    let bodyLeft = 0;
    let finished = false;
    let busy: Promise<void> = Promise.resolve();
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));

    const answer = (record: RawExchangeRecord): Promise<void> => {
      const reply: RawReply = {
        write: (bytes) => {
          if (finished || socket.destroyed) return;
          const buffer = toBuffer(bytes);
          record.sentBytes += buffer.length;
          socket.write(buffer);
        },
        dribble: async (bytes, pieceBytes) => {
          const buffer = toBuffer(bytes);
          for (let at = 0; at < buffer.length && !finished && !socket.destroyed; at += pieceBytes) {
            reply.write(buffer.subarray(at, at + pieceBytes));
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        },
        end: () => {
          if (finished) return;
          finished = true;
          record.closedWith = "fin";
          // A server that closes its socket: the FIN goes after the reply, and whatever the
          // client sends afterwards is refused by the kernel (RST), never read.
          socket.end(() => socket.destroy());
        },
        reset: () => {
          if (finished) return;
          finished = true;
          record.closedWith = "rst";
          socket.resetAndDestroy();
        },
      };
      return Promise.resolve(opts.respond(reply, record));
    };

    socket.on("data", (chunk: Buffer) => {
      if (finished) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (bodyLeft > 0) {
          const skip = Math.min(bodyLeft, pending.length);
          bodyLeft -= skip;
          pending = pending.subarray(skip);
          if (bodyLeft > 0) return;
        }
        const end = pending.indexOf("\r\n\r\n", 0, LATIN1);
        if (end < 0) {
          if (pending.length > MAX_HEAD_BYTES) socket.destroy();
          return;
        }
        const head = pending.subarray(0, end).toString(LATIN1);
        pending = pending.subarray(end + 4);
        const [method = "", path = ""] = (head.split("\r\n")[0] ?? "").split(" ");
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        bodyLeft = length ? Number(length[1]) : 0;
        arrived += 1;
        onConnection += 1;
        const record: RawExchangeRecord = { n: arrived, connection, onConnection, method, path, sentBytes: 0, closedWith: null };
        records.push(record);
        busy = busy
          .then(() => answer(record))
          .catch(() => {
            socket.destroy();
          });
      }
    });
  };

  const server: Server = createServer(serve);
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
    throw new Error("raw HTTP target: could not read the bound port");
  }

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    unregister();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await stopped;
  };
  const unregister = registerCloser(close);

  return {
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    received: () => arrived,
    connections: () => connections,
    log: () => records.map((r) => ({ ...r })),
    close,
  };
}
