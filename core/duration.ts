import { ErrorCode, ValidationError } from "./errors.js";

const UNIT_MS = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

/**
 * Parses a Go-style duration ("500ms", "30s", "1m30s", "2h") into milliseconds. A bare number is
 * seconds (Iter8 accepts `duration: 10`). Human strings are parsed here, at the edge, only.
 */
export function parseDurationMs(input: string | number, field = "duration"): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) {
      throw new ValidationError(ErrorCode.BadDuration, `${field}: expected a non-negative duration, got ${input}`, { field });
    }
    return input * 1000;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDurationMs(Number(text), field);
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let totalMs = 0;
  let consumed = 0;
  for (let match = part.exec(text); match; match = part.exec(text)) {
    totalMs += Number(match[1]) * UNIT_MS[match[2] as Unit];
    consumed = part.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length) {
    throw new ValidationError(
      ErrorCode.BadDuration,
      `${field}: "${input}" is not a duration (use e.g. 500ms, 30s, 1m30s, 2h)`,
      { field },
    );
  }
  return totalMs;
}

/** 1500 -> "1.5s", 90000 -> "1m30s": for reports and messages. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}
