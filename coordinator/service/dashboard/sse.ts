/**
 * Server-sent events for the dashboard: a WatchSink that writes watch events as SSE frames
 * (`id: <seq>`, `data: <json>`), so EventSource resumes with Last-Event-ID after a reconnect.
 * Frames of events shared by every watcher (the channel's numbered events) are serialised once,
 * whatever the number of watchers.
 */
import type { ServerResponse } from "node:http";
import type { api } from "../../../core/index.js";
import type { WatchSink } from "../events.js";

const frames = new WeakMap<object, string>();

/** The SSE frame of one event, cached per event object. */
export function sseFrame(event: api.WatchEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = `id: ${String(event.seq ?? 0)}\ndata: ${JSON.stringify(event)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

/** The frame sent when the experiment's stream ends: the page stops reconnecting. */
export const END_FRAME = "event: end\ndata: {}\n\n";

export interface SseOptions {
  /** A comment line this often keeps proxies from closing an idle stream (default 15000 ms). */
  readonly heartbeatMs?: number;
}

/** Starts an SSE response and returns the sink a Watcher writes to. */
export function sseSink(res: ServerResponse, options: SseOptions = {}): WatchSink {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write("retry: 2000\n\n");
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  res.once("close", () => clearInterval(heartbeat));
  return {
    write: (event) => res.write(sseFrame(event)),
    onDrain: (listener) => res.on("drain", listener),
    end: () => {
      clearInterval(heartbeat);
      res.end(END_FRAME);
    },
  };
}
