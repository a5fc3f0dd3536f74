/**
 * The result document as JSON with a stable key order, whatever order it was built in: the
 * document's and its records' fields in the order of core/result.ts, maps keyed by version in
 * `versions` order, every other map alphabetically. Arrays keep their order.
 */
import type { ResultDocument } from "../../core/index.js";

/** Known key order of an object, and the shapes of its children. */
interface Shape {
  order?: readonly string[];
  fields?: Readonly<Record<string, Shape>>;
  /** Shape of every array item. */
  items?: Shape;
  /** Shape of every value of a map (when the key is not in `fields`). */
  values?: Shape;
}

const DOCUMENT: Shape = {
  order: [
    "schemaVersion",
    "name",
    "completed",
    "failure",
    "incomplete",
    "startTime",
    "endTime",
    "numCompletedTasks",
    "versions",
    "metrics",
    "metricsInfo",
    "slos",
    "tasks",
    "histograms",
    "load",
    "assessment",
    "samples",
    "metricErrors",
    "timeline",
    "numLoops",
    "loops",
    "traffic",
    "source",
  ],
  fields: {
    metricsInfo: { values: { order: ["units", "type", "description"] } },
    slos: { items: { order: ["metric", "direction", "limit", "satisfied", "value", "probability"] } },
    tasks: {
      items: {
        order: ["index", "task", "writtenName", "status", "condition", "startTime", "durationMs", "attempts", "error", "detail"],
        fields: { error: { order: ["code", "message"] } },
      },
    },
    histograms: { values: { values: { order: ["latency", "serviceTime", "scheduleLag"] } } },
    load: {
      order: ["agents", "startSkewMs", "durationMs", "conservation", "errors", "events", "reportsMerged", "unreachable"],
      fields: {
        conservation: { order: ["ok", "mismatches"] },
        events: { items: { order: ["time", "type", "agentId", "message"] } },
      },
    },
    timeline: {
      items: {
        order: ["task", "loop", "timeMs", "elapsedMs", "intervalMs", "versions"],
        fields: {
          versions: {
            items: {
              order: [
                "version", "requests", "errors", "dropped", "intervalRequests", "intervalErrors", "intervalDropped",
                "intervalP50Ms", "intervalP95Ms", "intervalP99Ms", "intervalServiceP50Ms", "intervalServiceP95Ms", "intervalServiceP99Ms",
              ],
            },
          },
        },
      },
    },
    loops: {
      items: {
        order: ["loop", "startTime", "endTime", "durationMs", "completed", "failure", "winner", "scope", "tasks", "metrics", "slos", "recommendedWeights", "weightsApplied"],
        fields: { slos: { items: { order: ["metric", "direction", "limit", "satisfied", "value", "probability"] } } },
      },
    },
    traffic: { order: ["pattern", "action", "loop", "before", "weights", "reasons"] },
    samples: { values: { values: { order: ["type", "successes", "trials", "count", "sum", "sumOfSquares", "events", "exposure", "histogram"] } } },
  },
};

function canonical(value: unknown, shape: Shape, versions: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item, shape.items ?? {}, versions));
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  const rank = (key: string): number => {
    const known = shape.order?.indexOf(key) ?? -1;
    if (known !== -1) return known;
    const version = versions.indexOf(key);
    return version === -1 ? Number.MAX_SAFE_INTEGER : 10_000 + version;
  };
  const keys = Object.keys(object).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (object[key] === undefined) continue;
    out[key] = canonical(object[key], shape.fields?.[key] ?? shape.values ?? {}, versions);
  }
  return out;
}

/** The result document, 2-space indented, keys in a stable order, with a trailing newline. */
export function renderJson(result: ResultDocument): string {
  const versions = Array.isArray(result.versions) ? result.versions : [];
  return `${JSON.stringify(canonical(result, DOCUMENT, versions), null, 2)}\n`;
}
