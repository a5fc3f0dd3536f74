/**
 * The one way to define an `assay` command. A command declares its flags (with descriptions),
 * positionals, output formats and whether it talks to the coordinator; `defineCommand` parses argv
 * with node:util parseArgs, generates usage and `--help` from the declaration (so help cannot
 * drift from the flags), suggests the nearest flag for a mistyped one, validates `-o/--output`,
 * resolves colour once, and owns the gRPC client of client commands (connected on first use,
 * closed when the command returns).
 */
import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import { ErrorCode, InternalError, LOG_FORMATS, LogFormat, ValidationError } from "../core/index.js";
import { CLIENT_FLAGS, connectCoordinator } from "./client/index.js";
import type { ClientFlagValues, CoordinatorApi } from "./client/index.js";
import { ExitCode } from "./exit-codes.js";
import { OutputFormat, resolveColor, write } from "./output.js";
import type { CliIo } from "./output.js";
import { closest } from "./suggest.js";

/** One flag: `--name`, optionally `-s`. */
export interface FlagDef {
  readonly type: "string" | "boolean";
  /** One-letter alias (`-o`). */
  readonly short?: string;
  /** One line for `--help`; say the default in it when it is not a literal value. */
  readonly description: string;
  /** The value's name in help (`FILE`, `N`, `URL`); string flags only. Default `VALUE`. */
  readonly value?: string;
  /** The value when the flag is absent (string flags); shown in help. */
  readonly default?: string;
  /** May be given several times; the value is the list (empty when absent). */
  readonly repeatable?: boolean;
  /** A heading to list the flag under in help (flags without one come first). */
  readonly group?: string;
  /**
   * String flags whose value may be left out (`--ui` or `--ui ADDR`): a bare flag takes `whenBare`;
   * the next argument is its value only when `accepts` says it looks like one.
   */
  readonly optionalValue?: { readonly whenBare: string; readonly accepts: (next: string) => boolean };
}

export type FlagDefs = Readonly<Record<string, FlagDef>>;

type FlagValue<D extends FlagDef> = D["type"] extends "boolean"
  ? boolean
  : D["repeatable"] extends true
    ? string[]
    : D extends { readonly default: string }
      ? string
      : string | undefined;

/** Parsed flag values: booleans are false when absent, repeatable flags [] when absent. */
export type FlagValues<F extends FlagDefs> = { readonly [K in keyof F]: FlagValue<F[K]> };

export interface PositionalDef {
  /** As shown in usage: `FILE`, `ID`. */
  readonly name: string;
  readonly description: string;
  /** Missing → a validation error naming it. Default true. */
  readonly required?: boolean;
}

type PositionalValues<P extends readonly PositionalDef[]> = {
  readonly [D in P[number] as D["name"]]: D["required"] extends false ? string | undefined : string;
};

/** How a command logs on stderr. */
export interface LogSettings {
  readonly format: LogFormat;
  /** Human lines: ANSI colours (resolveColor on stderr). */
  readonly color: boolean;
}

export interface CommandContext<F extends FlagDefs, P extends readonly PositionalDef[]> {
  readonly flags: FlagValues<F>;
  /** Positionals by name (`args.FILE`). */
  readonly args: PositionalValues<P>;
  readonly io: CliIo;
  /** `-o/--output`, validated against the command's formats; "text" when it has no -o. */
  readonly format: OutputFormat;
  /** Whether stdout gets ANSI colours (resolveColor: --no-color, FORCE_COLOR, NO_COLOR, a terminal). */
  readonly color: boolean;
  /** How to log on stderr: `--log-format`, else human (services: human on a terminal, else JSON). */
  readonly log: LogSettings;
  /** Client commands: the connection flags as given. */
  readonly clientFlags: ClientFlagValues;
  /** Client commands: the coordinator's client, connected on the first call, closed when `run` returns. */
  readonly client: () => Promise<CoordinatorApi>;
}

export interface CommandDef<F extends FlagDefs, P extends readonly PositionalDef[]> {
  readonly name: string;
  /** One line for `assay help`. */
  readonly summary: string;
  /** Paragraphs printed under the usage line. */
  readonly description?: string;
  readonly flags: F;
  readonly positionals?: P;
  /** Adds `-o/--output FORMAT`; the first format is the default. */
  readonly output?: { readonly formats: readonly OutputFormat[]; readonly description?: string };
  /** Adds the coordinator connection flags and `context.client()`. */
  readonly client?: boolean;
  /** A long-running service (coordinator, agent): logs JSON by default when stderr is not a terminal. */
  readonly service?: boolean;
  /** Printed at the end of the help. */
  readonly footer?: string;
  run(context: CommandContext<F, P>): Promise<number>;
}

/** A defined command, as main.ts dispatches it. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** `assay run FILE [options]`. */
  readonly usage: string;
  /** Every flag the command accepts, long names with their dashes (help and globals included). */
  readonly flagNames: readonly string[];
  help(): string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS = {
  help: { type: "boolean", short: "h", description: "print this help" },
  "no-color": { type: "boolean", description: "no colours in the output (also NO_COLOR=1; FORCE_COLOR=1 forces them)" },
  "log-format": { type: "string", value: LOG_FORMATS.join("|"), description: "log lines on stderr as human lines or JSON (default human; coordinator and agent: JSON when stderr is not a terminal)" },
} as const satisfies FlagDefs;

const OUTPUT_FLAG = "output";

export function defineCommand<const F extends FlagDefs, const P extends readonly PositionalDef[] = readonly []>(def: CommandDef<F, P>): Command {
  const flags = allFlags(def);
  const positionals: readonly PositionalDef[] = def.positionals ?? [];
  const usage = `assay ${def.name}${positionals.map((p) => (p.required === false ? ` [${p.name}]` : ` ${p.name}`)).join("")}${Object.keys(flags).length > 0 ? " [options]" : ""}`;
  const help = (): string => renderHelp(def, usage, flags);
  return {
    name: def.name,
    summary: def.summary,
    usage,
    flagNames: Object.keys(flags).map((name) => `--${name}`),
    help,
    async run(argv, io) {
      const parsed = parse(def.name, withOptionalValues(argv, flags), flags);
      if (parsed.values["help"] === true) {
        await write(io.stdout, help());
        return ExitCode.Ok;
      }
      const args = positionalValues(def.name, usage, positionals, parsed.positionals);
      const values = withDefaults(flags, parsed.values);
      const clientFlags = def.client ? pickClientFlags(values) : {};
      let client: Promise<CoordinatorApi> | undefined;
      const context: CommandContext<F, P> = {
        flags: values as FlagValues<F>,
        args: args as PositionalValues<P>,
        io,
        format: def.output ? outputFormat(values[OUTPUT_FLAG], def.output.formats) : OutputFormat.Text,
        color: resolveColor({ noColorFlag: values["no-color"] === true, env: io.env, stream: io.stdout }),
        log: {
          format: logFormat(values["log-format"], def.service === true && io.stderr.isTTY !== true),
          color: resolveColor({ noColorFlag: values["no-color"] === true, env: io.env, stream: io.stderr }),
        },
        clientFlags,
        client: () => {
          if (!def.client) throw new InternalError(ErrorCode.Invariant, `assay ${def.name} is not a client command`);
          client ??= connectCoordinator(clientFlags, io.env);
          return client;
        },
      };
      try {
        return await def.run(context);
      } finally {
        if (client) (await client.catch(() => undefined))?.close();
      }
    },
  };
}

function allFlags(def: CommandDef<FlagDefs, readonly PositionalDef[]>): FlagDefs {
  const output: FlagDefs = def.output
    ? {
        [OUTPUT_FLAG]: {
          type: "string",
          short: "o",
          value: def.output.formats.join("|"),
          description: def.output.description ?? "output format",
          default: def.output.formats[0] ?? OutputFormat.Text,
        },
      }
    : {};
  const parts: FlagDefs[] = [output, def.flags, def.client ? CLIENT_FLAGS : {}, GLOBAL_FLAGS];
  const flags: Record<string, FlagDef> = {};
  const shorts = new Set<string>();
  for (const part of parts) {
    for (const [name, flag] of Object.entries(part)) {
      if (name in flags) throw new InternalError(ErrorCode.Invariant, `assay ${def.name}: --${name} is defined twice`);
      if (flag.short !== undefined) {
        if (shorts.has(flag.short)) throw new InternalError(ErrorCode.Invariant, `assay ${def.name}: -${flag.short} is defined twice`);
        shorts.add(flag.short);
      }
      flags[name] = flag;
    }
  }
  return flags;
}

/** Rewrites a bare optional-value flag (`--ui`) to `--ui=<whenBare>`, which parseArgs can read. */
function withOptionalValues(argv: readonly string[], flags: FlagDefs): string[] {
  const optional = new Map<string, NonNullable<FlagDef["optionalValue"]>>(Object.entries(flags).flatMap(([name, flag]) => (flag.optionalValue ? [[`--${name}`, flag.optionalValue] as const] : [])));
  if (optional.size === 0) return [...argv];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const spec = optional.get(arg);
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (!spec) {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && spec.accepts(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(`${arg}=${spec.whenBare}`);
    }
  }
  return out;
}

type RawValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * parseArgs twice: leniently first, to name an unknown flag with the nearest known one (and to
 * honour --help whatever else is wrong), then strictly for the rest (a missing value, a value given
 * to a boolean).
 */
function parse(command: string, argv: readonly string[], flags: FlagDefs): { values: RawValues; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, flag] of Object.entries(flags)) {
    options[name] = { type: flag.type, ...(flag.short !== undefined ? { short: flag.short } : {}), ...(flag.repeatable ? { multiple: true } : {}) };
  }
  const hint = `run \`assay ${command} --help\``;
  const lenient = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  if (lenient.values["help"] === true) return { values: { help: true }, positionals: [] };
  for (const token of lenient.tokens) {
    if (token.kind !== "option" || token.name in options) continue;
    const known = Object.entries(flags).flatMap(([name, flag]) => [`--${name}`, ...(flag.short !== undefined ? [`-${flag.short}`] : [])]);
    const nearest = closest(token.rawName, known);
    throw new ValidationError(ErrorCode.BadFlag, `assay ${command}: unknown flag ${token.rawName}${nearest ? ` (did you mean ${nearest}?)` : ""}`, {
      field: token.rawName,
      suggestion: hint,
    });
  }
  try {
    const strict = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: strict.values, positionals: strict.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(ErrorCode.BadFlag, `assay ${command}: ${message}`, { cause: error, suggestion: hint });
  }
}

function withDefaults(flags: FlagDefs, raw: RawValues): Record<string, string | boolean | string[] | undefined> {
  const values: Record<string, string | boolean | string[] | undefined> = {};
  for (const [name, flag] of Object.entries(flags)) {
    const value = raw[name];
    if (flag.type === "boolean") values[name] = value === true;
    else if (flag.repeatable) values[name] = Array.isArray(value) ? value.map(String) : [];
    else values[name] = typeof value === "string" ? value : flag.default;
  }
  return values;
}

function positionalValues(command: string, usage: string, defs: readonly PositionalDef[], given: readonly string[]): Record<string, string | undefined> {
  const args: Record<string, string | undefined> = {};
  defs.forEach((def, i) => {
    const value = given[i];
    if (value === undefined && def.required !== false) {
      throw new ValidationError(ErrorCode.BadFlag, `assay ${command}: missing ${def.name}`, { suggestion: `usage: ${usage}` });
    }
    args[def.name] = value;
  });
  if (given.length > defs.length) {
    const extra = given.slice(defs.length).map((value) => JSON.stringify(value)).join(" ");
    throw new ValidationError(ErrorCode.BadFlag, `assay ${command}: unexpected argument${given.length - defs.length > 1 ? "s" : ""} ${extra}`, {
      suggestion: `usage: ${usage}`,
    });
  }
  return args;
}

function outputFormat(value: unknown, allowed: readonly OutputFormat[]): OutputFormat {
  const format = allowed.find((f) => f === value);
  if (format === undefined) {
    throw new ValidationError(ErrorCode.BadFlag, `--output: "${String(value)}" is not one of ${allowed.join(", ")}`, { field: "--output" });
  }
  return format;
}

function logFormat(value: string | boolean | string[] | undefined, jsonByDefault: boolean): LogFormat {
  if (value === undefined) return jsonByDefault ? LogFormat.Json : LogFormat.Human;
  const format = LOG_FORMATS.find((f) => f === value);
  if (format === undefined) {
    throw new ValidationError(ErrorCode.BadFlag, `--log-format: "${typeof value === "string" ? value : JSON.stringify(value)}" is not one of ${LOG_FORMATS.join(", ")}`, { field: "--log-format" });
  }
  return format;
}

function pickClientFlags(values: Record<string, unknown>): ClientFlagValues {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(CLIENT_FLAGS)) {
    const value = values[name];
    if (typeof value === "string") picked[name] = value;
  }
  return picked;
}

/** Description column, and where long lines wrap. */
const FLAG_COLUMN = 30;
const WIDTH = 100;

function renderHelp(def: CommandDef<FlagDefs, readonly PositionalDef[]>, usage: string, flags: FlagDefs): string {
  const out: string[] = [`usage: ${usage}`, ""];
  if (def.description) out.push(def.description.trimEnd(), "");
  const positionals = def.positionals ?? [];
  if (positionals.length > 0) {
    out.push("arguments:");
    for (const p of positionals) out.push(...row(`  ${p.name}`, p.description));
    out.push("");
  }
  const groups = new Map<string, [string, FlagDef][]>();
  for (const [name, flag] of Object.entries(flags)) {
    const group = flag.group ?? "options";
    groups.set(group, [...(groups.get(group) ?? []), [name, flag]]);
  }
  const ordered = [...groups].sort(([a], [b]) => Number(b === "options") - Number(a === "options"));
  for (const [group, entries] of ordered) {
    out.push(`${group}:`);
    for (const [name, flag] of entries) out.push(...row(flagLabel(name, flag), flagDescription(flag)));
    out.push("");
  }
  if (def.footer) out.push(def.footer.trimEnd(), "");
  return `${out.join("\n").trimEnd()}\n`;
}

function flagLabel(name: string, flag: FlagDef): string {
  const short = flag.short !== undefined ? `-${flag.short}, ` : "    ";
  const value = flag.type === "string" ? (flag.optionalValue ? ` [${flag.value ?? "VALUE"}]` : ` ${flag.value ?? "VALUE"}`) : "";
  return `  ${short}--${name}${value}`;
}

function flagDescription(flag: FlagDef): string {
  const notes = [...(flag.repeatable ? ["repeatable"] : []), ...(flag.default !== undefined ? [`default ${flag.default}`] : [])];
  return notes.length > 0 ? `${flag.description} (${notes.join("; ")})` : flag.description;
}

/** `label  description`, the description wrapped at WIDTH and aligned at FLAG_COLUMN. */
function row(label: string, description: string): string[] {
  const indent = " ".repeat(FLAG_COLUMN);
  const lines: string[] = [];
  let line = label.length + 2 <= FLAG_COLUMN ? label.padEnd(FLAG_COLUMN) : undefined;
  if (line === undefined) {
    lines.push(label);
    line = indent;
  }
  for (const word of description.split(/\s+/)) {
    if (line.trim() !== "" && line.length > FLAG_COLUMN && line.length + 1 + word.length > WIDTH) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += line.length > FLAG_COLUMN ? ` ${word}` : word;
  }
  lines.push(line.trimEnd());
  return lines;
}
