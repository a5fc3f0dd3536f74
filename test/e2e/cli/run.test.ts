import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanupAll, freePort, makeTempDir, startHttpTarget, waitUntil } from "../../harness/index.js";
import { assay } from "./cli.js";

after(() => cleanupAll());

interface Result {
  completed: boolean;
  incomplete: boolean;
  failure: string | null;
  versions: string[];
  metrics: Record<string, Record<string, number>>;
  slos: { metric: string; satisfied: Record<string, boolean> }[];
  tasks: { task: string; status: string }[];
  load?: { conservation: { ok: boolean }; errors: Record<string, Record<string, number>> };
}

async function experimentFile(body: string): Promise<string> {
  const dir = await makeTempDir("assay-e2e-");
  const file = join(dir, "experiment.yaml");
  await writeFile(file, body);
  return file;
}

describe("assay run (the CLI as a user runs it)", () => {
  it("counts requests and errors exactly against a target failing every 10th request", async () => {
    const target = await startHttpTarget({ failEvery: 10 });
    const file = await experimentFile(`spec:
  - task: http
    with:
      url: ${target.url}
      numRequests: 200
      qps: 0
      connections: 4
`);
    const run = await assay(["run", file, "-o", "json", "--agents", "2"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Result;
    assert.equal(result.completed, true);
    assert.deepEqual(result.versions, ["default"]);
    assert.equal(result.metrics["default"]?.["http/request-count"], 200);
    assert.equal(result.metrics["default"]?.["http/error-count"], 20);
    assert.equal(result.metrics["default"]?.["http/error-rate"], 0.1);
    assert.equal(result.load?.conservation.ok, true);
    assert.equal(target.served(), 200, "the target saw exactly the requests counted");
  });

  it("reports p50 at or above a fixed delay, and warm-up requests are not counted", async () => {
    const target = await startHttpTarget({ delayMs: 20 });
    const file = await experimentFile(`spec:
  - task: http
    with:
      url: ${target.url}
      numRequests: 60
      warmupNumRequests: 10
      qps: 0
      connections: 3
`);
    const run = await assay(["run", file, "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const metrics = (JSON.parse(run.stdout) as Result).metrics["default"] ?? {};
    assert.equal(metrics["http/request-count"], 60);
    assert.ok((metrics["http/latency-p50"] ?? 0) >= 20, `p50 ${metrics["http/latency-p50"]}`);
    // Node's timers may fire up to ~1 ms early against a wall clock read just before (libuv caches
    // the loop time), so the target's 20 ms can be 19.x ms for an individual request.
    assert.ok((metrics["http/latency-min"] ?? 0) >= 19, `min ${metrics["http/latency-min"]}`);
    assert.equal(target.served(), 70, "60 measured + 10 warm-up requests reached the target");
  });

  it("runs an Iter8 v0.13 file unchanged, with Iter8's SLO semantics, and stores the result", async () => {
    const target = await startHttpTarget({ delayMs: 1 });
    const file = await experimentFile(`spec:
- task: http
  with:
    url: ${target.url}
    numRequests: 40
    qps: 200
- task: assess
  with:
    SLOs:
      upper:
      - metric: http/error-rate
        limit: 0
      - metric: http/latency-mean
        limit: 5000
      - metric: app/no-such-metric
        limit: 1
`);
    const out = join(await makeTempDir("assay-e2e-"), "result.json");
    const run = await assay(["run", file, "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /SLOS/);
    assert.match(run.stdout, /http\/request-count\s+40/);
    const stored = JSON.parse(await readFile(out, "utf8")) as Result;
    assert.deepEqual(
      stored.slos.map((s) => [s.metric, s.satisfied["default"]]),
      [["http/error-rate", true], ["http/latency-mean", true], ["app/no-such-metric", false]],
    );

    const pass = await assay(["assert", out, "-c", "completed", "-c", "nofailure"]);
    assert.equal(pass.code, 0, pass.stderr);
    const fail = await assay(["assert", out, "-c", "completed", "-c", "slos"]);
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /app\/no-such-metric/);

    const html = await assay(["report", out, "-o", "html"]);
    assert.equal(html.code, 0);
    // The dashboard's page as one file: its data embedded, nothing loaded from elsewhere.
    assert.match(html.stdout, /<script type="application\/json" id="assay-data">/);
    assert.match(html.stdout, /"http\/request-count":40/);
    assert.doesNotMatch(html.stdout, /<script src=|<link rel="stylesheet"/);
  });

  it("runs `if: SLOs()` / `if: not SLOs()` tasks according to the assessment", async () => {
    const target = await startHttpTarget();
    const file = await experimentFile(`spec:
  - task: http
    with: { url: "${target.url}", numRequests: 20, qps: 0 }
  - task: assess
    with:
      SLOs:
        upper: { http/error-rate: 0 }
  - if: not SLOs()
    run: echo never
  - if: SLOs()
    task: assess
    with:
      SLOs:
        upper: { http/latency-p99: 100000 }
`);
    const run = await assay(["run", file, "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Result;
    assert.deepEqual(result.tasks.map((t) => t.status), ["completed", "completed", "skipped", "completed"]);
  });
});

describe("assay run: Iter8's run tasks", () => {
  it("runs `run:` tasks with no flag, through bash with TEMP_DIR, and shows their last output lines", async () => {
    const file = await experimentFile(`spec:
  - run: |
      arr=(a b c)
      [[ -n "$TEMP_DIR" ]] && echo "temp ok \${#arr[@]}"
  - run: printf 'one\\ntwo\\nthree\\nfour\\nfive\\nsix\\n'
`);
    const run = await assay(["run", file, "--no-progress", "--no-color"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /task 1 \(run\) output, last lines:\n\s*stdout \| temp ok 3/);
    assert.doesNotMatch(run.stdout, /stdout \| one/, "only the last lines");
    assert.match(run.stdout, /task 2 \(run\) output, last lines:\n\s*stdout \| two\n\s*stdout \| three\n\s*stdout \| four\n\s*stdout \| five\n\s*stdout \| six/);
    const flagged = await assay(["run", file, "--allow-run", "-o", "json"]);
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.deepEqual((JSON.parse(flagged.stdout) as Result).tasks.map((t) => t.status), ["completed", "completed"], "--allow-run stays accepted");
  });
});

describe("assay run: bad targets, bad files, overrides, Ctrl-C", () => {
  it("counts connection errors against an unreachable target instead of crashing", async () => {
    const port = await freePort();
    const file = await experimentFile(`spec:
  - task: http
    with: { url: "http://127.0.0.1:${port}/", numRequests: 30, qps: 0, connections: 2 }
`);
    const run = await assay(["run", file, "-o", "json"]);
    assert.equal(run.code, 5, `no request got a response: exit 5 (target)\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as Result;
    assert.equal(result.completed, true, "the task completes; SLOs would decide");
    assert.equal(result.metrics["default"]?.["http/request-count"], 30);
    assert.equal(result.metrics["default"]?.["http/error-count"], 30);
    const messages = Object.keys(result.load?.errors["default"] ?? {}).join(" ");
    assert.match(messages, /refused|ECONNREFUSED/i);
    const text = await assay(["run", file]);
    assert.match(text.stdout, /refused/i, "the text report says why the requests failed");
  });

  it("rejects a bad file with file:line:column and exit code 2, before any load", async () => {
    const target = await startHttpTarget();
    const file = await experimentFile(`spec:
  - task: http
    with:
      url: ${target.url}
      qps: -5
  - task: no-such-task
`);
    const run = await assay(["run", file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:\\d+`));
    assert.match(run.stderr, /qps/);
    assert.match(run.stderr, /no-such-task/);
    assert.equal(target.served(), 0, "nothing was sent");
  });

  it("applies --set overrides", async () => {
    const target = await startHttpTarget();
    const file = await experimentFile(`spec:
  - task: http
    with: { url: "http://127.0.0.1:1/", numRequests: 10, qps: 0 }
`);
    const run = await assay(["run", file, "-o", "json", "--set", `http.url=${target.url}`, "--set", "http.numRequests=25"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as Result).metrics["default"]?.["http/request-count"], 25);
    assert.equal(target.served(), 25);
  });

  it("stops within a second on Ctrl-C, keeps what was measured and marks it incomplete", async () => {
    const target = await startHttpTarget({ delayMs: 2 });
    const file = await experimentFile(`spec:
  - task: http
    with: { url: "${target.url}", duration: 60s, qps: 100, connections: 4 }
  - task: assess
    with: { SLOs: { upper: { http/error-rate: 0 } } }
`);
    const out = join(await makeTempDir("assay-e2e-"), "result.json");
    let signalledAt = 0;
    const run = await assay(["run", file, "-o", "json", "--out", out], {
      onSpawn: (child) => {
        void waitUntil(() => target.served() >= 50, { timeoutMs: 30_000, what: "load to start" }).then(() => {
          signalledAt = Date.now();
          child.kill("SIGINT");
        });
      },
    });
    const stoppedAfterMs = Date.now() - signalledAt;
    assert.equal(run.code, 130, run.stderr);
    const result = JSON.parse(run.stdout) as Result;
    assert.equal(result.incomplete, true);
    assert.equal(result.completed, false);
    assert.ok((result.metrics["default"]?.["http/request-count"] ?? 0) >= 50);
    assert.equal(result.tasks[1]?.status, "pending", "tasks after the interrupted one do not run");
    const servedAtExit = target.served();
    assert.ok(stoppedAfterMs < 5000, `exited ${stoppedAfterMs} ms after Ctrl-C`);
    const stored = JSON.parse(await readFile(out, "utf8")) as Result;
    assert.equal(stored.incomplete, true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(target.served(), servedAtExit, "no load after exit");
  });
});

describe("assay demo", () => {
  it("runs the quickstart against the bundled two-version service", async () => {
    const run = await assay(["demo", "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Result;
    assert.deepEqual(result.versions, ["v1", "v2"]);
    assert.equal(result.metrics["v1"]?.["http/request-count"], 400);
    assert.equal(result.metrics["v2"]?.["http/error-count"], 8, "v2 fails every 50th request");
    const errorRate = result.slos.find((s) => s.metric === "http/error-rate");
    assert.deepEqual(errorRate?.satisfied, { v1: true, v2: false });
  });
});
