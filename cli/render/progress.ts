/**
 * Progress of a long run. In a terminal: one line redrawn in place (a bar when the total is known,
 * elapsed time, requests so far, errors, current rate), at most ~10 redraws a second. Elsewhere
 * (CI logs, pipes): one plain line when a task starts and one when it finishes, nothing else.
 */
import { formatDurationMs } from "../../core/index.js";
import { groupThousands, significant } from "./format.js";

/** What the display writes to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  /** Terminal width; default 80. */
  columns?: number;
}

export interface ProgressUpdate {
  elapsedMs: number;
  /** Planned run length (duration mode). */
  totalMs?: number;
  requests: number;
  /** Planned request count (numRequests × versions), when known. Wins over totalMs for the bar. */
  totalRequests?: number;
  errors: number;
  /** Current task, e.g. "task 1 (http)": numbered as in the report's table. */
  task: string;
  /** The task's last update, sent once every report is merged: drawn at once, whatever the redraw interval. */
  final?: boolean;
  /** With `final`: the load ran to its planned end, so the bar shows 100%. */
  complete?: boolean;
}

export interface ProgressOptions {
  /** Minimum time between two redraws in a terminal. Default 100. */
  minRedrawIntervalMs?: number;
  /** Clock, for tests. Default performance.now. */
  now?: () => number;
  /** Force TTY or plain mode instead of reading `stream.isTTY`. */
  tty?: boolean;
}

export interface Progress {
  update(state: ProgressUpdate): void;
  /** Draws the final state and ends the line (TTY), or writes the last task's finish line. */
  done(): void;
}

const BAR_WIDTH = 24;
const RATE_WINDOW_MS = 2000;

interface Sample {
  elapsedMs: number;
  requests: number;
}

/** The rate over the last ~2s of samples (whole-run average until there is a window). */
function currentRate(samples: Sample[], latest: Sample): number {
  const oldest = samples[0];
  if (!oldest || latest.elapsedMs - oldest.elapsedMs < 200) {
    return latest.elapsedMs > 0 ? (latest.requests / latest.elapsedMs) * 1000 : 0;
  }
  return ((latest.requests - oldest.requests) / (latest.elapsedMs - oldest.elapsedMs)) * 1000;
}

function fractionOf(state: ProgressUpdate): number | undefined {
  if (state.final === true && state.complete === true && (state.totalRequests !== undefined || state.totalMs !== undefined)) return 1;
  let fraction: number | undefined;
  if (state.totalRequests !== undefined && state.totalRequests > 0) fraction = state.requests / state.totalRequests;
  else if (state.totalMs !== undefined && state.totalMs > 0) fraction = state.elapsedMs / state.totalMs;
  return fraction === undefined ? undefined : Math.min(1, Math.max(0, fraction));
}

/** One progress line (without \r), e.g. `http [██████░░░░] 60%  3.0s/5.0s  1,200 req  3 err  400 req/s`. */
export function formatProgressLine(state: ProgressUpdate, rateQps: number): string {
  const parts = [state.task];
  const fraction = fractionOf(state);
  if (fraction !== undefined) {
    const filled = Math.round(fraction * BAR_WIDTH);
    parts.push(`[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`);
  }
  const elapsed = formatDurationMs(state.elapsedMs);
  parts.push(state.totalMs !== undefined ? `${elapsed}/${formatDurationMs(state.totalMs)}` : elapsed);
  parts.push(
    state.totalRequests !== undefined
      ? `${groupThousands(state.requests)}/${groupThousands(state.totalRequests)} req`
      : `${groupThousands(state.requests)} req`,
  );
  parts.push(`${groupThousands(state.errors)} err`);
  parts.push(`${significant(Math.max(0, rateQps), 3)} req/s`);
  return parts.join("  ");
}

function summary(state: ProgressUpdate): string {
  return `${groupThousands(state.requests)} requests, ${groupThousands(state.errors)} errors, ${formatDurationMs(state.elapsedMs)}`;
}

/** A progress display on `stream`; TTY mode when `stream.isTTY` (or `opts.tty`). */
export function createProgress(stream: ProgressStream, opts: ProgressOptions = {}): Progress {
  const tty = opts.tty ?? stream.isTTY === true;
  const minIntervalMs = opts.minRedrawIntervalMs ?? 100;
  const now = opts.now ?? (() => performance.now());
  let lastDrawAt = Number.NEGATIVE_INFINITY;
  let latest: ProgressUpdate | undefined;
  let drawnTask: string | undefined;
  let lineOpen = false;
  let finished = false;
  let samples: Sample[] = [];

  const draw = (): void => {
    if (!latest) return;
    const sample = { elapsedMs: latest.elapsedMs, requests: latest.requests };
    const columns = stream.columns ?? 80;
    let line = formatProgressLine(latest, currentRate(samples, sample));
    if (line.length > columns - 1) line = line.slice(0, Math.max(0, columns - 1));
    stream.write(`\r${line}\x1b[K`);
    lineOpen = true;
    lastDrawAt = now();
  };

  const remember = (state: ProgressUpdate): void => {
    samples.push({ elapsedMs: state.elapsedMs, requests: state.requests });
    while (samples.length > 2 && (samples[1]?.elapsedMs ?? 0) <= state.elapsedMs - RATE_WINDOW_MS) samples.shift();
  };

  const finishTask = (): void => {
    if (!latest) return;
    if (tty) {
      draw();
      stream.write("\n");
      lineOpen = false;
    } else {
      stream.write(`${latest.task}: finished (${summary(latest)})\n`);
    }
  };

  return {
    update(state) {
      if (finished) return;
      if (state.task !== drawnTask) {
        if (drawnTask !== undefined) finishTask();
        drawnTask = state.task;
        samples = [];
        lastDrawAt = Number.NEGATIVE_INFINITY;
        if (!tty) stream.write(`${state.task}: started\n`);
      }
      latest = { ...state };
      remember(state);
      if (tty && (state.final === true || now() - lastDrawAt >= minIntervalMs)) draw();
    },
    done() {
      if (finished) return;
      finished = true;
      if (latest) finishTask();
      else if (tty && lineOpen) stream.write("\n");
    },
  };
}
