/**
 * What a new user sees in the first minutes (issue 16): progress that agrees with the report,
 * output that is never cut when piped, the exit code of a run whose target is down.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanupAll, freePort, makeTempDir, startHttpTarget, startProcess, teardown, waitUntil } from "../../harness/index.js";
import { ASSAY_BIN, REPO_ROOT, assay } from "./cli.js";

after(() => cleanupAll());

interface Result {
  completed: boolean;
  tasks: { task: string; status: string }[];
  slos: { satisfied: Record<string, boolean> }[];
  load?: { unreachable?: string[] };
  versions: string[];
  metrics: Record<string, Record<string, number>>;
}

async function tempFile(name: string, body: string): Promise<string> {
  const dir = await makeTempDir("assay-first-");
  const file = join(dir, name);
  await writeFile(file, body);
  return file;
}

describe("the progress line", () => {
  it("ends with the counts of the result document: all versions, all agents, final reports included", async () => {
    const v1 = await startHttpTarget({ failEvery: 25 });
    const v2 = await startHttpTarget({ delayMs: 2, failEvery: 10 });
    const file = await tempFile(
      "ab.yaml",
      `spec:
  - task: http
    with:
      numRequests: 150
      qps: 300
      connections: 3
      versions:
        - name: v1
          url: ${v1.url}
        - name: v2
          url: ${v2.url}
`,
    );
    const out = join(await makeTempDir("assay-first-out-"), "result.json");
    const run = await assay(["run", file, "--agents", "2", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(out, "utf8")) as Result;
    const sum = (name: string): number => result.versions.reduce((total, v) => total + (result.metrics[v]?.[name] ?? 0), 0);
    assert.equal(sum("http/request-count"), 300);
    const finished = /task 1 \(http\): finished \((\d+) requests, (\d+) errors/.exec(run.stderr);
    assert.ok(finished, `no finish line in:\n${run.stderr}`);
    assert.equal(Number(finished[1]), sum("http/request-count"));
    assert.equal(Number(finished[2]), sum("http/error-count"));
  });
});

describe("a target that is down", () => {
  it("completes the tasks (SLOs decide), prints the whole warning even when piped, and exits 5", async () => {
    const port = await freePort();
    const file = await tempFile(
      "down.yaml",
      `spec:
  - task: http
    with:
      url: http://127.0.0.1:${port}/api
      numRequests: 20
      qps: 100
  - task: assess
    with:
      SLOs:
        upper:
          - metric: http/error-rate
            limit: 0.01
`,
    );
    const out = join(await makeTempDir("assay-first-out-"), "result.json");
    const run = await assay(["run", file, "--agents", "1", "--out", out], { env: { COLUMNS: "40" } });
    assert.equal(run.code, 5, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, new RegExp(`⚠ no request to default got a response: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} ×20 — is the target running and reachable at the url the experiment gives\\? \\(exit code 5\\)\n`));
    assert.doesNotMatch(run.stdout, /…/);
    const result = JSON.parse(await readFile(out, "utf8")) as Result;
    assert.equal(result.completed, true);
    assert.deepEqual(result.tasks.map((t) => t.status), ["completed", "completed"]);
    assert.deepEqual(result.load?.unreachable, ["default"]);
    assert.equal(result.slos[0]?.satisfied["default"], false);
  });
});

describe("assay demo --serve", () => {
  it("keeps the demo service up, prints its urls, and stops on Ctrl-C", async (t) => {
    const port = await freePort();
    const serving = await startProcess(process.execPath, [ASSAY_BIN, "demo", "--serve", "--port", String(port)], {
      name: "assay demo --serve",
      ready: () => fetch(`http://127.0.0.1:${port}/v1`).then((r) => r.ok, () => false),
    });
    teardown(t).defer(() => serving.stop());
    await waitUntil(() => serving.stdout().includes("Ctrl-C to stop"), { timeoutMs: 5000 });
    const v1 = /v1 {2}(http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(serving.stdout())?.[1];
    const v2 = /v2 {2}(http:\/\/127\.0\.0\.1:\d+\/v2)/.exec(serving.stdout())?.[1];
    assert.equal(v1, `http://127.0.0.1:${port}/v1`, serving.stdout());
    assert.equal(v2, `http://127.0.0.1:${port}/v2`, serving.stdout());
    const answer = await fetch(v1);
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /hello from v1/);
    assert.equal(await serving.stop("SIGINT"), 0);
  });

  it("names the flag that picks another port when its port is taken", async (t) => {
    const taken = await startHttpTarget();
    teardown(t).defer(() => taken.close());
    const port = new URL(taken.url).port;
    const run = await assay(["demo", "--serve", "--port", port]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    assert.match(run.stderr, /--port 0 for a free one/);
  });
});

describe("log lines on stderr", () => {
  it("are human lines for run, JSON lines with --log-format json", async () => {
    const port = await freePort();
    const file = await tempFile(
      "soft.yaml",
      `spec:
  - task: notify
    with:
      url: http://127.0.0.1:${port}/hook
      softFailure: true
`,
    );
    const human = await assay(["run", file, "--agents", "1"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stderr, /^\[\d\d:\d\d:\d\d\] WARN \(assay\): notify GET http:\/\/127\.0\.0\.1:\d+\/hook: attempt 1 of 3 failed/m);
    assert.doesNotMatch(human.stderr, /^\{/m, "no JSON line");
    const json = await assay(["run", file, "--agents", "1", "--log-format", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stderr.split("\n").filter((line) => line.startsWith("{"));
    assert.ok(lines.length >= 3, json.stderr);
    assert.equal((JSON.parse(lines[0] ?? "") as { level: number }).level, 40);
    const bad = await assay(["run", file, "--log-format", "yaml"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--log-format: "yaml" is not one of human, json/);
  });
});

describe("assay run --quiet", () => {
  it("prints only a one-line summary, and no progress", async () => {
    const target = await startHttpTarget({ failEvery: 10 });
    const file = await tempFile(
      "quiet.yaml",
      `name: quiet
spec:
  - task: http
    with:
      url: ${target.url}
      numRequests: 20
      qps: 0
  - task: assess
    with:
      SLOs:
        upper:
          - metric: http/error-rate
            limit: 0.5
`,
    );
    const run = await assay(["run", file, "--agents", "1", "--quiet"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^quiet: completed in [\d.]+m?s; default 20 req, 2 err \(10%\), p95 [\d.]+ms, SLOs 1\/1\n$/);
    assert.equal(run.stderr, "");
    const both = await assay(["run", file, "-q", "-o", "json"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--quiet prints a one-line summary.*-o json prints the result document/);
  });
});

describe("assay version", () => {
  it("prints only the package's version, for scripts ($(assay version) = package.json's version)", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    for (const argv of [["version"], ["--version"]]) {
      const run = await assay(argv);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${pkg.version}\n`);
    }
  });

  it("--verbose names Node's, the NATS client's and the agent protocol's versions", async () => {
    const run = await assay(["version", "--verbose"]);
    assert.equal(run.code, 0, run.stderr);
    const proto = await readFile(join(REPO_ROOT, "proto", "assay", "v1", "agent.proto"), "utf8");
    const protocol = /^package ([\w.]+);/m.exec(proto)?.[1];
    const nats = JSON.parse(await readFile(join(REPO_ROOT, "node_modules", "nats", "package.json"), "utf8")) as { version: string };
    assert.match(run.stdout, /^assay \d+\.\d+\.\d+\n/);
    assert.match(run.stdout, new RegExp(`\\n {2}node +${process.versions.node.replace(/\./g, "\\.")}\\n`));
    assert.match(run.stdout, new RegExp(`\\n {2}nats client +${nats.version.replace(/\./g, "\\.")} `));
    assert.match(run.stdout, new RegExp(`\\n {2}agent protocol +${protocol ?? "?"} `));
  });
});
