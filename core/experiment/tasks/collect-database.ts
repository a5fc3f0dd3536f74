/**
 * Iter8 v0.9–v0.10's `collect-metrics-database` form (iter8 v0.10.22 base/collect_database.go):
 * `providers: [name, …]` names files `<name>.metrics.yaml` beside the experiment (Iter8 read them
 * from the working directory, where `iter8 run` found experiment.yaml), each a Go template
 * rendered once per `versionInfo` entry with that entry (plus `elapsedTimeSeconds`) as its data;
 * metrics are named `<name>/<metric>`. That is custommetrics with `templates: {name: file}` and
 * `versionValues: versionInfo`, so the form is read as that. A `startingTime` in Iter8 v0.10's
 * layout ("Jan 2, 2006 at 3:04pm (MST)") becomes RFC 3339 (the zone abbreviation is read as
 * UTC, as Go's time.Parse does for an abbreviation the local zone does not define).
 */
import { ErrorCode } from "../../errors.js";
import type { Fields, ParseContext } from "../fields.js";
import { checkMap } from "../fields.js";
import { TaskName } from "../model.js";
import type { CustomMetricsTaskSpec } from "../model.js";
import { childPath } from "../problems.js";
import { toPlain } from "../tree.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const V010_TIME = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}) at (\d{1,2}):(\d{2})(am|pm) \(([A-Za-z]+)\)$/;

/** True when `providers` is a non-empty list of names (the v0.9–v0.10 form, not Assay's inline provider maps). */
export function isDatabaseForm(f: Fields): boolean {
  const providers = f.present("providers");
  return providers?.kind === "seq" && providers.items.length > 0 && providers.items.every((item) => item.kind === "scalar" && typeof item.value === "string");
}

/** Reads the v0.9–v0.10 form (see the module comment); `providers` must satisfy isDatabaseForm. */
export function parseDatabaseForm(ctx: ParseContext, f: Fields, known: readonly string[]): CustomMetricsTaskSpec | undefined {
  const before = ctx.problems.count;
  for (const key of known) {
    if (!["providers", "versioninfo"].includes(key.toLowerCase())) ctx.problems.report(ErrorCode.UnknownKey, f.node, f.pathOf(key), 'unknown field with providers: [names] (Iter8 v0.10\'s collect-metrics-database reads only providers and versionInfo)');
  }
  const providers = f.present("providers");
  const names = providers?.kind === "seq" ? providers.items.map((item) => String(toPlain(item))) : [];
  const versionInfo = f.list("versionInfo", "a list of maps (one per version)");
  const versionValues = (versionInfo?.items ?? []).map((item, i) => {
    if (item.kind === "scalar" && item.value === null) return {};
    if (checkMap(ctx, item, childPath(f.pathOf("versionInfo"), i)) === undefined) return {};
    return withRfc3339StartingTime(toPlain(item) as Record<string, unknown>);
  });
  if (ctx.problems.count > before) return undefined;
  const templates = Object.fromEntries(names.map((name) => [name, `${name}.metrics.yaml`]));
  return { task: TaskName.CustomMetrics, providers: [], values: {}, versionValues, raw: { templates, versionValues } };
}

function withRfc3339StartingTime(entry: Record<string, unknown>): Record<string, unknown> {
  const written = entry["startingTime"];
  if (typeof written !== "string") return entry;
  const m = V010_TIME.exec(written);
  if (m === null) return entry;
  const [, mon, day, year, hour, minute, half] = m;
  const month = MONTHS.indexOf(mon ?? "");
  if (month < 0) return entry;
  const hour24 = (Number(hour) % 12) + (half === "pm" ? 12 : 0);
  const ms = Date.UTC(Number(year), month, Number(day), hour24, Number(minute));
  return { ...entry, startingTime: new Date(ms).toISOString() };
}
