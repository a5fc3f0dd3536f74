/**
 * Every example experiment runs, offline (issue 16): examples/*.yaml, and the fenced blocks of
 * README.md and docs/*.md marked ```` ```yaml experiment ````. Each runs through the `assay` command
 * against servers on this machine: 127.0.0.1:8080 (the demo service's port, `assay demo --serve`)
 * is the demo service started here, 127.0.0.1:9000 a webhook receiver. So that the corpus runs in
 * seconds, the load is shrunk — numRequests at most 40 — and nothing else changes. Whether latency
 * SLOs hold depends on the machine, so an example may also end with the one failure it documents
 * (ACCEPTED_FAILURES: ci-gate's dispatch refused for its empty token, so nothing left the machine).
 * An example that cannot run here is listed in NOT_RUN_HERE with the test that covers it, and is
 * still parsed; a fenced block with a top-level `spec:` that is not marked fails the test.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseExperimentText } from "../../../core/index.js";
import { startDemoService } from "../../../cli/demo/index.js";
import type { DemoService } from "../../../cli/demo/index.js";
import { cleanupAll, makeTempDir, startHttpTarget } from "../../harness/index.js";
import type { HttpTarget } from "../../harness/index.js";
import { REPO_ROOT, assay } from "./cli.js";

after(() => cleanupAll());

interface Example {
  /** `examples/quickstart.yaml`, `README.md:34`. */
  readonly source: string;
  readonly text: string;
}

/** Examples that need more than this machine, and the test that runs them. */
const NOT_RUN_HERE: Readonly<Record<string, string>> = {
  "examples/canary-istio.yaml": "needs Kubernetes (ready, k8s-patch) and an Istio service: test/integration/actions/examples.test.ts runs its tasks against a real kube-apiserver",
};

/** The one failure an example may end with when its SLOs do not hold on this machine. */
const ACCEPTED_FAILURES: Readonly<Record<string, RegExp>> = {
  "examples/ci-gate.yaml": /task 3 \(github\) failed: github: token is empty \(\$\{env:GITHUB_TOKEN\} resolved to ""\); nothing was sent/,
};

const FENCE = /^```(\S*)([^\n]*)\n([\s\S]*?)^```/gm;

async function markedBlocks(file: string): Promise<{ examples: Example[]; unmarked: string[] }> {
  const text = await readFile(join(REPO_ROOT, file), "utf8");
  const examples: Example[] = [];
  const unmarked: string[] = [];
  for (const match of text.matchAll(FENCE)) {
    const [, language = "", info = "", body = ""] = match;
    if (language !== "yaml" && language !== "yml") continue;
    const source = `${file}:${text.slice(0, match.index).split("\n").length}`;
    if (info.trim() === "experiment") examples.push({ source, text: body });
    else if (isWholeExperiment(body)) unmarked.push(source);
  }
  return { examples, unmarked };
}

function isWholeExperiment(body: string): boolean {
  try {
    const value: unknown = parseYaml(body);
    return value !== null && typeof value === "object" && !Array.isArray(value) && "spec" in value;
  } catch {
    return false;
  }
}

async function corpus(): Promise<{ examples: Example[]; unmarked: string[] }> {
  const examples: Example[] = [];
  const unmarked: string[] = [];
  for (const name of (await readdir(join(REPO_ROOT, "examples"))).filter((n) => n.endsWith(".yaml")).sort()) {
    examples.push({ source: `examples/${name}`, text: await readFile(join(REPO_ROOT, "examples", name), "utf8") });
  }
  const docs = (await readdir(join(REPO_ROOT, "docs"))).filter((n) => n.endsWith(".md")).sort().map((n) => `docs/${n}`);
  for (const file of ["README.md", ...docs]) {
    const found = await markedBlocks(file);
    examples.push(...found.examples);
    unmarked.push(...found.unmarked);
  }
  return { examples, unmarked };
}

/** The example pointed at this machine's servers, its load shrunk. */
function localised(text: string, demo: DemoService, hook: HttpTarget): string {
  const hookOrigin = new URL(hook.url).host;
  return text
    .replaceAll("127.0.0.1:8080", `127.0.0.1:${demo.port}`)
    .replaceAll("127.0.0.1:9000", hookOrigin)
    .replace(/^(\s*numRequests:\s*)(\d+)/gm, (_m, key: string, n: string) => `${key}${Math.min(Number(n), 40)}`);
}

/** Hosts of the urls on lines that are not comments. */
function hostsOf(text: string): string[] {
  const lines = text.split("\n").filter((line) => !line.trimStart().startsWith("#"));
  return [...lines.join("\n").matchAll(/https?:\/\/([^/\s:"']+)/g)].map((m) => m[1] ?? "");
}

/** Runs the jobs two at a time (the machine's cores are shared with the other tests). */
async function inPairs<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < jobs.length; i += 2) results.push(...(await Promise.all(jobs.slice(i, i + 2).map((job) => job()))));
  return results;
}

describe("every example experiment", () => {
  let demo: DemoService;
  let hook: HttpTarget;
  before(async () => {
    demo = await startDemoService();
    hook = await startHttpTarget();
  });
  after(async () => {
    await demo.close();
    await hook.close();
  });

  it("is marked when it is a whole experiment, and reaches nothing beyond this machine", async () => {
    const { examples, unmarked } = await corpus();
    assert.deepEqual(unmarked, [], "fenced yaml blocks with a top-level spec: mark them ```yaml experiment");
    assert.ok(examples.some((e) => e.source.startsWith("README.md:")), "README's experiment is in the corpus");
    for (const example of examples) {
      if (example.source in NOT_RUN_HERE) continue;
      for (const host of hostsOf(example.text)) assert.equal(host, "127.0.0.1", `${example.source} reaches ${host}`);
    }
  });

  it("runs as written against the demo service (load shrunk), and exits 0 or with the failure it documents", async () => {
    const { examples } = await corpus();
    const dir = await makeTempDir("assay-examples-");
    const outcomes = await inPairs(
      examples.map((example, i) => async () => {
        if (example.source in NOT_RUN_HERE) {
          parseExperimentText(example.text, example.source);
          return { source: example.source, code: 0, stderr: "", skipped: true };
        }
        const file = join(dir, `${i}.yaml`);
        await writeFile(file, localised(example.text, demo, hook));
        const run = await assay(["run", file, "--agents", "1", "--no-progress"], { env: { GITHUB_TOKEN: "", SLACK_WEBHOOK: "" }, timeoutMs: 120_000 });
        return { source: example.source, code: run.code, stderr: `${run.stdout}\n${run.stderr}`, skipped: false };
      }),
    );
    for (const outcome of outcomes) {
      const accepted = ACCEPTED_FAILURES[outcome.source];
      if (outcome.code === 1 && accepted?.test(outcome.stderr)) continue;
      assert.equal(outcome.code, 0, `${outcome.source}:\n${outcome.stderr}`);
    }
    assert.ok(outcomes.filter((o) => !o.skipped).length >= 6, `ran ${outcomes.map((o) => o.source).join(", ")}`);
    assert.ok(hook.received() >= 1, "docs/experiments.md's notify reached the local receiver");
  });

  it("analyze-conversion.json is analysed", async () => {
    const run = await assay(["analyze", "examples/analyze-conversion.json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Winner/);
  });
});
