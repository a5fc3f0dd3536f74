/**
 * Sprig's date functions over Go's time layout (`2006-01-02T15:04:05Z07:00`). Times are UTC:
 * a template has no business with the coordinator's local zone; `dateInZone` accepts "UTC",
 * "Local" (read as UTC) and fixed offsets like "+02:00".
 */
import type { Meter } from "./errors.js";
import { FunctionError, arity, text } from "./func-support.js";
import type { TemplateFunction } from "./func-support.js";
import { GoTime } from "./values.js";

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The layout tokens Go recognizes, longest first where one is a prefix of another. */
const TOKENS = /January|Jan|Monday|Mon|2006|06|01|_2|02|15|03|04|05|MST|Z07:00|Z0700|Z07|-07:00|-0700|-07|PM|pm|[.,](?:0+|9+)(?!\d)|1|2|3|4|5/g;

/** time.Format for a UTC instant shifted by `offsetMinutes` (the zone's name is `zone`). */
export function formatGoTime(epochMs: number, layout: string, offsetMinutes = 0, zone = "UTC"): string {
  const date = new Date(epochMs + offsetMinutes * 60_000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  const hours = date.getUTCHours();
  const offset = (colon: boolean, z: boolean, short = false): string => {
    if (z && offsetMinutes === 0) return "Z";
    const sign = offsetMinutes < 0 ? "-" : "+";
    const abs = Math.abs(offsetMinutes);
    return short ? `${sign}${pad(Math.floor(abs / 60))}` : `${sign}${pad(Math.floor(abs / 60))}${colon ? ":" : ""}${pad(abs % 60)}`;
  };
  return layout.replace(TOKENS, (token) => {
    switch (token) {
      case "January": return MONTHS[date.getUTCMonth()] ?? "";
      case "Jan": return (MONTHS[date.getUTCMonth()] ?? "").slice(0, 3);
      case "Monday": return DAYS[date.getUTCDay()] ?? "";
      case "Mon": return (DAYS[date.getUTCDay()] ?? "").slice(0, 3);
      case "2006": return pad(date.getUTCFullYear(), 4);
      case "06": return pad(date.getUTCFullYear() % 100);
      case "01": return pad(date.getUTCMonth() + 1);
      case "1": return String(date.getUTCMonth() + 1);
      case "02": return pad(date.getUTCDate());
      case "_2": return String(date.getUTCDate()).padStart(2, " ");
      case "2": return String(date.getUTCDate());
      case "15": return pad(hours);
      case "03": return pad(hours % 12 === 0 ? 12 : hours % 12);
      case "3": return String(hours % 12 === 0 ? 12 : hours % 12);
      case "04": return pad(date.getUTCMinutes());
      case "4": return String(date.getUTCMinutes());
      case "05": return pad(date.getUTCSeconds());
      case "5": return String(date.getUTCSeconds());
      case "PM": return hours >= 12 ? "PM" : "AM";
      case "pm": return hours >= 12 ? "pm" : "am";
      case "MST": return zone;
      case "Z07:00": return offset(true, true);
      case "Z0700": return offset(false, true);
      case "Z07": return offset(false, true, true);
      case "-07:00": return offset(true, false);
      case "-0700": return offset(false, false);
      case "-07": return offset(false, false, true);
      default: {
        const digits = token.length - 1;
        const fraction = pad(date.getUTCMilliseconds(), 3).padEnd(9, "0").slice(0, digits);
        if (token[1] === "0") return `${token[0]}${fraction}`;
        const trimmed = fraction.replace(/0+$/, "");
        return trimmed === "" ? "" : `${token[0]}${trimmed}`;
      }
    }
  });
}

/** sprig's toDate-less date argument: a time, or Unix seconds; anything else is now (as sprig does). */
function instant(value: unknown): number {
  if (value instanceof GoTime) return value.epochMs;
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value) * 1000;
  return Date.now();
}

function zoneOffset(zone: string): number {
  if (zone === "UTC" || zone === "Local" || zone === "") return 0;
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!match) throw new FunctionError(`unknown time zone ${zone} (only UTC and fixed offsets like +02:00)`);
  return (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

export function dateFunctions(): Record<string, TemplateFunction> {
  const date = (layout: unknown, value: unknown, zone: string, meter: Meter): string => formatGoTime(instant(value), text(layout, meter), zoneOffset(zone), zone === "Local" ? "UTC" : zone);
  return {
    now: (args) => (arity("now", args, 0), new GoTime(Date.now(), process.uptime())),
    date: (args, meter) => (arity("date", args, 2), date(args[0], args[1], "UTC", meter)),
    dateInZone: (args, meter) => (arity("dateInZone", args, 3), date(args[0], args[1], text(args[2], meter), meter)),
    htmlDate: (args, meter) => (arity("htmlDate", args, 1), date("2006-01-02", args[0], "UTC", meter)),
    htmlDateInZone: (args, meter) => (arity("htmlDateInZone", args, 2), date("2006-01-02", args[0], text(args[1], meter), meter)),
    unixEpoch: (args) => (arity("unixEpoch", args, 1), String(Math.floor(instant(args[0]) / 1000))),
  };
}
