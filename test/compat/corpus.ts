/**
 * Reads the compatibility corpus (test/compat/fixtures/*.expect.yaml and test/compat/launch/*)
 * and runs one case: start its local services, copy its files into a temp dir with the
 * placeholders substituted, run the CLI as a user would, and list every way the outcome differs
 * from the expectation. The format of the expectation files is documented in test/compat/README.md.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { makeTempDir } from "../harness/index.js";
import { REPO_ROOT, assay } from "../e2e/cli/cli.js";
import type { CliRun } from "../e2e/cli/cli.js";
import { deepEqualMismatches, mismatches } from "./match.js";
import { startServices, substitutePlaceholders } from "./services.js";
import type { Arrival, RunningServices, ServicesSpec } from "./services.js";

export const COMPAT_DIR = join(REPO_ROOT, "test", "compat");
export const FIXTURES_DIR = join(COMPAT_DIR, "fixtures");
export const ASSETS_DIR = join(FIXTURES_DIR, "assets");
export const LAUNCH_DIR = join(COMPAT_DIR, "launch");

/** What one SLO of the result must say. */
export interface ExpectedSlo {
  /** Canonical metric name (after NormalizeMetricName and the v0.8 map). */
  metric: string;
  /** The name as written in the file, when it differs (either is accepted in the result). */
  written?: string;
  direction: "upper" | "lower";
  limit: number;
  satisfied: Record<string, boolean>;
}

/** Checks on what an app target (or the hook, assets, prom, kube server) received. */
export interface TargetExpectation {
  /** Exact number of requests received. */
  requests?: number | Record<string, number>;
  /** Exact requests per path. */
  byPath?: Record<string, number | Record<string, number>>;
  /** Exact requests per method. */
  byMethod?: Record<string, number>;
  /** Every request on this path has exactly this body. */
  bodies?: Record<string, string>;
  /** Every request on this path carries these headers (names lower-case). */
  headers?: Record<string, Record<string, string>>;
  /** Paths arrive in these groups, one group after the other, never interleaved. */
  order?: string[];
  /** Partial match on each request, in arrival order (hook receivers). */
  calls?: Array<{ method?: string; path?: string; query?: unknown; headers?: Record<string, unknown>; json?: unknown; text?: unknown; slackText?: { prefix: string; json: unknown } }>;
}

export interface CliCheck {
  exit: number;
  /** Strings stderr must contain. */
  stderr?: string[];
  /** Strings stderr must not contain. */
  stderrNot?: string[];
  /** Strings stdout must contain. */
  stdout?: string[];
}

export interface RunExpectation extends CliCheck {
  /** Partial match on the result document (`assay run -o json`). */
  result?: unknown;
  slos?: ExpectedSlo[];
  targets?: Record<string, TargetExpectation>;
  /** Greeter calls the gRPC server answered. */
  grpcCalls?: number | Record<string, number>;
  /** Substrings each PromQL query received must contain, per query (any order, all queries checked). */
  promQueries?: Array<{ contains: string[]; count?: number | Record<string, number> }>;
}

export interface CompatCase {
  /** File name of the case (its expectation file without `.expect.yaml`). */
  readonly id: string;
  /** The experiment file, relative to test/compat/fixtures. */
  readonly fixture: string;
  /** What real Iter8 file or format this models (repository path and tag). */
  readonly models: string;
  /** The issue classes it covers (README.md lists them). */
  readonly classes: string[];
  /** Files copied next to the experiment (relative to test/compat/fixtures). */
  readonly files?: string[];
  readonly services: ServicesSpec;
  /** Extra arguments after `assay run FILE -o json --no-progress`. */
  readonly args?: string[];
  readonly expect?: RunExpectation;
  /** `assay assert` invocations: on the fixture file itself, or on the run's stored result. */
  readonly asserts?: Array<{ on: "fixture" | "result"; args: string[] } & CliCheck>;
  /** `assay report RESULT -o iter8` on the run's stored result: partial match on Iter8's result. */
  readonly reportIter8?: unknown;
  /** Set when the expectation file itself could not be read: the case fails with this. */
  readonly broken?: string;
}

function asCase(id: string, raw: unknown): CompatCase {
  if (raw === null || typeof raw !== "object") throw new Error(`${id}: the expectation is not a map`);
  const c = raw as Record<string, unknown>;
  if (typeof c["fixture"] !== "string") throw new Error(`${id}: fixture: missing`);
  if (typeof c["models"] !== "string") throw new Error(`${id}: models: missing`);
  return { id, services: {}, classes: [], ...c } as unknown as CompatCase;
}

/** Every case of test/compat/fixtures, sorted by file name. */
export async function loadCases(): Promise<CompatCase[]> {
  const names = (await readdir(FIXTURES_DIR)).filter((name) => name.endsWith(".expect.yaml")).sort();
  const cases: CompatCase[] = [];
  for (const name of names) {
    const id = name.slice(0, -".expect.yaml".length);
    try {
      cases.push(asCase(id, parseYaml(await readFile(join(FIXTURES_DIR, name), "utf8"))));
    } catch (error) {
      cases.push({ id, fixture: `${id}.yaml`, models: "(unreadable expectation)", classes: [], services: {}, broken: `${name}: ${(error as Error).message}` });
    }
  }
  return cases;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

function checkCount(what: string, expected: number | Record<string, number>, actual: number, out: string[]): void {
  out.push(...mismatches(expected, actual, what));
}

/** Checks one target's arrivals against its expectation. */
export function checkArrivals(name: string, arrivals: readonly Arrival[], expected: TargetExpectation): string[] {
  const out: string[] = [];
  if (expected.requests !== undefined) checkCount(`${name}.requests`, expected.requests, arrivals.length, out);
  if (expected.byPath !== undefined) {
    const counts = countBy(arrivals, (a) => a.path);
    for (const [path, count] of Object.entries(expected.byPath)) checkCount(`${name}.byPath[${path}]`, count, counts[path] ?? 0, out);
  }
  if (expected.byMethod !== undefined) {
    const counts = countBy(arrivals, (a) => a.method);
    for (const [method, count] of Object.entries(expected.byMethod)) checkCount(`${name}.byMethod[${method}]`, count, counts[method] ?? 0, out);
  }
  for (const [path, body] of Object.entries(expected.bodies ?? {})) {
    const bad = arrivals.filter((a) => a.path === path && a.body !== body);
    if (bad.length > 0) out.push(`${name}.bodies[${path}]: ${bad.length} request(s) with another body, e.g. ${JSON.stringify(bad[0]?.body.slice(0, 120))}`);
    if (!arrivals.some((a) => a.path === path)) out.push(`${name}.bodies[${path}]: no request on ${path}`);
  }
  for (const [path, headers] of Object.entries(expected.headers ?? {})) {
    const onPath = arrivals.filter((a) => a.path === path);
    if (onPath.length === 0) out.push(`${name}.headers[${path}]: no request on ${path}`);
    for (const [header, value] of Object.entries(headers)) {
      const bad = onPath.filter((a) => a.headers[header.toLowerCase()] !== value);
      if (bad.length > 0) out.push(`${name}.headers[${path}].${header}: ${bad.length} request(s) without ${JSON.stringify(value)} (got ${JSON.stringify(bad[0]?.headers[header.toLowerCase()])})`);
    }
  }
  if (expected.order !== undefined) {
    const groups: string[] = [];
    for (const a of arrivals) if (groups[groups.length - 1] !== a.path) groups.push(a.path);
    if (JSON.stringify(groups) !== JSON.stringify(expected.order)) {
      out.push(`${name}.order: expected the paths one after the other as ${JSON.stringify(expected.order)}, got the sequence ${JSON.stringify(groups.slice(0, 12))}${groups.length > 12 ? "…" : ""}`);
    }
  }
  if (expected.calls !== undefined) {
    if (arrivals.length !== expected.calls.length) out.push(`${name}.calls: expected ${expected.calls.length} request(s), got ${arrivals.length}`);
    expected.calls.forEach((call, i) => {
      const a = arrivals[i];
      if (a === undefined) return;
      const view: Record<string, unknown> = { method: a.method, path: a.path, query: a.query, headers: a.headers, text: a.body };
      const { json, slackText, ...rest } = call;
      out.push(...mismatches(rest, view, `${name}.calls[${i}]`));
      if (json !== undefined || slackText !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(a.body);
        } catch {
          out.push(`${name}.calls[${i}]: the body is not JSON: ${JSON.stringify(a.body.slice(0, 200))}`);
          return;
        }
        if (json !== undefined) out.push(...mismatches(json, parsed, `${name}.calls[${i}].json`));
        if (slackText !== undefined) {
          const text = (parsed as Record<string, unknown>)["text"];
          if (typeof text !== "string" || !text.startsWith(slackText.prefix)) {
            out.push(`${name}.calls[${i}].json.text: expected to start with ${JSON.stringify(slackText.prefix)}, got ${JSON.stringify(String(text).slice(0, 120))}`);
          } else {
            try {
              out.push(...mismatches(slackText.json, JSON.parse(text.slice(slackText.prefix.length)), `${name}.calls[${i}].json.text(after prefix)`));
            } catch {
              out.push(`${name}.calls[${i}].json.text: after the prefix, not JSON: ${JSON.stringify(text.slice(slackText.prefix.length, slackText.prefix.length + 120))}`);
            }
          }
        }
      }
    });
  }
  return out;
}

interface ResultSlo {
  metric?: unknown;
  direction?: unknown;
  limit?: unknown;
  satisfied?: unknown;
}

/** Each expected SLO must be in the result (by direction, limit and written or canonical name). */
export function checkSlos(expected: readonly ExpectedSlo[], actual: unknown): string[] {
  if (!Array.isArray(actual)) return [`slos: expected a list of ${expected.length}, got ${JSON.stringify(actual)}`];
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`slos: expected ${expected.length} SLOs, got ${actual.length}: ${actual.map((s: ResultSlo) => `${String(s.direction)} ${String(s.metric)}`).join(", ")}`);
  for (const slo of expected) {
    const names = [slo.metric, slo.written].filter((name) => name !== undefined);
    const found = (actual as ResultSlo[]).find((s) => s.direction === slo.direction && s.limit === slo.limit && names.includes(String(s.metric)));
    if (found === undefined) {
      out.push(`slos: no ${slo.direction} SLO on ${names.join(" / ")} with limit ${slo.limit}`);
      continue;
    }
    out.push(...mismatches(slo.satisfied, found.satisfied, `slos[${slo.direction} ${slo.metric} ≤≥ ${slo.limit}].satisfied`));
  }
  return out;
}

function checkCli(what: string, run: CliRun, expected: CliCheck): string[] {
  const out: string[] = [];
  if (run.code !== expected.exit) out.push(`${what}: exit ${String(run.code)}, expected ${expected.exit}; stderr: ${lastLines(run.stderr)}`);
  for (const needle of expected.stderr ?? []) if (!run.stderr.includes(needle)) out.push(`${what}: stderr lacks ${JSON.stringify(needle)}; stderr: ${lastLines(run.stderr)}`);
  for (const needle of expected.stderrNot ?? []) if (run.stderr.includes(needle)) out.push(`${what}: stderr contains ${JSON.stringify(needle)}; stderr: ${lastLines(run.stderr)}`);
  for (const needle of expected.stdout ?? []) if (!run.stdout.includes(needle)) out.push(`${what}: stdout lacks ${JSON.stringify(needle)}`);
  return out;
}

export function lastLines(text: string, lines = 4): string {
  const tail = text.trim().split("\n").slice(-lines).join(" | ");
  return tail.length > 600 ? `…${tail.slice(-600)}` : tail || "(empty)";
}

/** Copies the experiment and its companion files into `workDir`, placeholders substituted. */
async function materialize(c: CompatCase, workDir: string, services: RunningServices): Promise<string> {
  const files = [c.fixture, ...(c.files ?? [])];
  for (const rel of files) {
    const from = join(FIXTURES_DIR, rel);
    const to = join(workDir, basename(rel));
    await mkdir(dirname(to), { recursive: true });
    if (/\.(ya?ml|tpl|json|txt)$/.test(rel)) await writeFile(to, substitutePlaceholders(await readFile(from, "utf8"), services.placeholders));
    else await copyFile(from, to);
  }
  return join(workDir, basename(c.fixture));
}

function checkServices(services: RunningServices, expected: RunExpectation): string[] {
  const out: string[] = [];
  for (const [name, target] of Object.entries(expected.targets ?? {})) out.push(...checkArrivals(name, services.arrivals(name), target));
  if (expected.grpcCalls !== undefined) out.push(...mismatches(expected.grpcCalls, services.grpcCalls().length, "grpc.calls"));
  for (const [i, q] of (expected.promQueries ?? []).entries()) {
    const matching = services.promQueries().filter((query) => q.contains.every((needle) => query.includes(needle)));
    if (q.count !== undefined) out.push(...mismatches(q.count, matching.length, `promQueries[${i}] (${q.contains.join(" & ")})`));
    else if (matching.length === 0) out.push(`promQueries[${i}]: no query contains all of ${JSON.stringify(q.contains)}; got ${JSON.stringify(services.promQueries().slice(0, 3))}`);
  }
  return out;
}

function parseResult(run: CliRun): { result: Record<string, unknown> | undefined; problem: string | undefined } {
  if (run.stdout.trim() === "") return { result: undefined, problem: "stdout is empty (no result document)" };
  try {
    return { result: JSON.parse(run.stdout) as Record<string, unknown>, problem: undefined };
  } catch {
    return { result: undefined, problem: `stdout is not JSON: ${JSON.stringify(run.stdout.slice(0, 200))}` };
  }
}

/** Runs one fixture case end to end; returns every mismatch (empty: the case passes). */
export async function runCase(c: CompatCase): Promise<string[]> {
  if (c.broken !== undefined) return [c.broken];
  const workDir = await makeTempDir(`assay-compat-${c.id}-`);
  const services = await startServices(c.services, { assetsDir: ASSETS_DIR, workDir });
  try {
    const file = await materialize(c, workDir, services);
    const env = { ...services.env };
    const out: string[] = [];
    for (const check of (c.asserts ?? []).filter((a) => a.on === "fixture")) {
      const run = await assay(["assert", file, ...check.args], { cwd: workDir, env, timeoutMs: 60_000 });
      out.push(...checkCli(`assay assert ${check.args.join(" ")}`, run, check));
    }
    if (c.expect === undefined) return out;
    const resultFile = join(workDir, "result.json");
    const run = await assay(["run", file, "-o", "json", "--no-progress", "--out", resultFile, ...(c.args ?? [])], { cwd: workDir, env, timeoutMs: 90_000 });
    out.push(...checkCli("assay run", run, c.expect));
    const expectsResult = c.expect.result !== undefined || c.expect.slos !== undefined;
    if (expectsResult) {
      const { result, problem } = parseResult(run);
      if (result === undefined) out.push(`result: ${problem ?? "missing"}`);
      else {
        const before = out.length;
        if (c.expect.result !== undefined) out.push(...mismatches(c.expect.result, result, "result"));
        if (c.expect.slos !== undefined) out.push(...checkSlos(c.expect.slos, result["slos"]));
        if (out.length > before) out.push(...diagnostics(result));
      }
    }
    out.push(...checkServices(services, c.expect));
    for (const check of (c.asserts ?? []).filter((a) => a.on === "result")) {
      if (!existsSync(resultFile)) {
        out.push(`assay assert ${check.args.join(" ")}: no stored result to assert on`);
        continue;
      }
      const assertRun = await assay(["assert", resultFile, ...check.args], { cwd: workDir, env, timeoutMs: 60_000 });
      out.push(...checkCli(`assay assert ${check.args.join(" ")}`, assertRun, check));
    }
    if (c.reportIter8 !== undefined) {
      const report = await assay(["report", resultFile, "-o", "iter8"], { cwd: workDir, env, timeoutMs: 60_000 });
      if (report.code !== 0) out.push(`assay report -o iter8: exit ${String(report.code)}; stderr: ${lastLines(report.stderr)}`);
      else out.push(...mismatches(c.reportIter8, parseYamlOrJson(report.stdout), "iter8"));
    }
    return out;
  } finally {
    await services.close();
  }
}

/** What the result says about why it went wrong, appended to a failing case's list. */
function diagnostics(result: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof result["failure"] === "string") out.push(`(info) result.failure: ${result["failure"]}`);
  if (result["metricErrors"] !== undefined) out.push(`(info) result.metricErrors: ${JSON.stringify(result["metricErrors"]).slice(0, 400)}`);
  return out;
}

function parseYamlOrJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseYaml(text);
  }
}

// ------------------------------------------------------------------------------------ launch

/** One documented `iter8 k launch` value set (test/compat/launch/<id>/case.yaml). */
export interface LaunchCase {
  readonly id: string;
  /** The document and tag it comes from. */
  readonly source: string;
  /** The `--set` list (each one `--set` argument, as the shell passes it). */
  readonly set: string[];
  /** Extra flags for both invocations (e.g. `-n`). */
  readonly args?: string[];
  /** Render-only cases that Iter8's chart gets wrong on purpose are marked here (README). */
  readonly note?: string;
  /** Optional: launch it for real against local services and check the run like a fixture. */
  readonly run?: { services: ServicesSpec; set: string[]; expect: RunExpectation };
}

export async function loadLaunchCases(): Promise<LaunchCase[]> {
  const ids = (await readdir(LAUNCH_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const cases: LaunchCase[] = [];
  for (const id of ids) {
    const raw = parseYaml(await readFile(join(LAUNCH_DIR, id, "case.yaml"), "utf8")) as Record<string, unknown>;
    if (typeof raw["source"] !== "string") throw new Error(`launch/${id}/case.yaml: source: missing`);
    cases.push({ id, set: [], ...raw } as unknown as LaunchCase);
  }
  return cases;
}

/** The placeholders of render-only launch cases: fixed ports, nothing listens (no traffic is sent). */
export const RENDER_PLACEHOLDERS: Readonly<Record<string, string>> = {
  PORT: "18080",
  "PORT:assets": "18081",
  "PORT:hook": "18082",
  "PORT:prom": "18083",
  "PORT:grpc": "18084",
  TMPDIR: "/tmp",
};

function parseRendered(text: string): { doc: unknown; problem: string | undefined } {
  const docs = parseAllDocuments(text);
  const errors = docs.flatMap((d) => d.errors.map((e) => e.message));
  if (errors.length > 0) return { doc: undefined, problem: `not YAML: ${errors[0] ?? ""}` };
  const values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.length !== 1) return { doc: undefined, problem: `expected one YAML document, got ${values.length}` };
  return { doc: values[0], problem: undefined };
}

/**
 * Renders a launch case twice with `assay launch --dry-run` (from its values file, and from its
 * `--set` list) and compares each to the expected render, deep-equal with free key order;
 * `result.startTime` must be a string (its value is the time of the render).
 */
export async function runLaunchRender(c: LaunchCase): Promise<string[]> {
  const dir = join(LAUNCH_DIR, c.id);
  const workDir = await makeTempDir(`assay-launch-${c.id}-`);
  const sub = (text: string): string => substitutePlaceholders(text, RENDER_PLACEHOLDERS);
  const expectedDoc = parseYaml(sub(await readFile(join(dir, "expected.yaml"), "utf8"))) as Record<string, unknown>;
  const result = expectedDoc["result"];
  if (result !== null && typeof result === "object") (result as Record<string, unknown>)["startTime"] = { $type: "string" };
  const valuesFile = join(workDir, "values.yaml");
  await writeFile(valuesFile, sub(await readFile(join(dir, "values.yaml"), "utf8")));
  const variants: Array<{ what: string; args: string[] }> = [
    { what: "-f values.yaml", args: ["-f", valuesFile] },
    { what: "--set list", args: c.set.flatMap((s) => ["--set", sub(s)]) },
  ];
  const out: string[] = [];
  for (const variant of variants) {
    const run = await assay(["launch", "--dry-run", ...(c.args ?? []), ...variant.args], { cwd: workDir, timeoutMs: 60_000 });
    if (run.code !== 0) {
      out.push(`${variant.what}: exit ${String(run.code)}; stderr: ${lastLines(run.stderr)}`);
      continue;
    }
    const { doc, problem } = parseRendered(run.stdout);
    if (problem !== undefined) out.push(`${variant.what}: ${problem}`);
    else out.push(...deepEqualMismatches(expectedDoc, doc).map((m) => `${variant.what}: ${m}`));
  }
  return out;
}

/** Launches a case for real (no --dry-run) against local services and checks the run. */
export async function runLaunchRun(c: LaunchCase): Promise<string[]> {
  if (c.run === undefined) return [];
  const workDir = await makeTempDir(`assay-launch-run-${c.id}-`);
  const services = await startServices(c.run.services, { assetsDir: ASSETS_DIR, workDir });
  try {
    const sets = c.run.set.flatMap((s) => ["--set", substitutePlaceholders(s, services.placeholders)]);
    const run = await assay(["launch", ...(c.args ?? []), ...sets, "-o", "json", "--no-progress"], { cwd: workDir, env: { ...services.env }, timeoutMs: 90_000 });
    const out = checkCli("assay launch", run, c.run.expect);
    if (c.run.expect.result !== undefined || c.run.expect.slos !== undefined) {
      const { result, problem } = parseResult(run);
      if (result === undefined) out.push(`result: ${problem ?? "missing"}`);
      else {
        const before = out.length;
        if (c.run.expect.result !== undefined) out.push(...mismatches(c.run.expect.result, result, "result"));
        if (c.run.expect.slos !== undefined) out.push(...checkSlos(c.run.expect.slos, result["slos"]));
        if (out.length > before) out.push(...diagnostics(result));
      }
    }
    out.push(...checkServices(services, c.run.expect));
    return out;
  } finally {
    await services.close();
  }
}
