import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResultDocument } from "../../../core/index.js";
import { renderHtml, renderJson, renderReport } from "../../../cli/render/index.js";
import { formatMetricValue, metricGroups, significant } from "../../../cli/render/format.js";
import { latencyCurve } from "../../../cli/render/chart.js";
import { sampleResult } from "./fixture.js";

/** The report line that starts (after indentation) with `prefix`. */
function lineStarting(report: string, prefix: string): string {
  const line = report.split("\n").find((l) => l.trimStart().startsWith(prefix));
  assert.ok(line !== undefined, `no line starting with ${JSON.stringify(prefix)} in:\n${report}`);
  return line;
}

function cells(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}

function completedResult(): ResultDocument {
  const result = sampleResult();
  result.completed = true;
  result.incomplete = false;
  result.failure = null;
  result.numCompletedTasks = 6;
  result.tasks = result.tasks.map((task) => ({ ...task, status: "completed" as const }));
  delete result.load;
  result.metrics["v2"] = { ...result.metrics["v2"], "http/error-count": 20, "http/error-rate": 0.02 };
  return result;
}

describe("number formatting", () => {
  it("keeps 3 significant digits for latency, integers for counts, percentages for rates", () => {
    assert.equal(significant(3.21456), "3.21");
    assert.equal(significant(0.0123456), "0.0123");
    assert.equal(significant(131.24), "131");
    assert.equal(significant(1523.4), "1,523");
    assert.equal(formatMetricValue("http/latency-p95", 4.125), "4.13");
    assert.equal(formatMetricValue("http/request-count", 12345), "12,345");
    assert.equal(formatMetricValue("http/error-rate", 0.02), "2%");
    assert.equal(formatMetricValue("http/error-rate", 0.00125), "0.125%");
    assert.equal(formatMetricValue("grpc/latency/p99", 12.345), "12.3");
    assert.equal(formatMetricValue("http/latency-p95", undefined), "–");
  });

  it("orders built-in metrics counts → rates → throughput → latency (percentiles by value), custom last", () => {
    const groups = metricGroups({
      versions: ["a"],
      metricsInfo: {},
      metrics: {
        a: {
          "prom/x": 1,
          "http/latency-p99.9": 1,
          "http/latency-max": 1,
          "http/latency-p50": 1,
          "http-login/request-count": 1,
          "http/request-count": 1,
          "http/latency-p9": 1,
          "http/error-rate": 1,
          "http/service-time-p50": 1,
        },
      },
    });
    assert.deepEqual(
      groups.map((g) => [g.prefix, g.names]),
      [
        ["http", ["http/request-count", "http/error-rate", "http/latency-p9", "http/latency-p50", "http/latency-p99.9", "http/latency-max", "http/service-time-p50"]],
        ["http-login", ["http-login/request-count"]],
        ["prom", ["prom/x"]],
      ],
    );
  });
});

describe("renderReport", () => {
  const report = renderReport(sampleResult());

  it("says in the header that the run was cut short, when and how long", () => {
    assert.match(lineStarting(report, "Experiment:"), /checkout-ab/);
    assert.match(lineStarting(report, "status:"), /incomplete \(interrupted by Ctrl-C\)/);
    assert.match(lineStarting(report, "started:"), /2026-11-21T10:00:00.000Z/);
    assert.match(lineStarting(report, "duration:"), /12\.5s/);
    assert.match(lineStarting(report, "agents:"), /2 \(local-0, local-1\)/);
  });

  it("says when every request of a version failed", () => {
    assert.match(report, /⚠ all 1,000 requests to v2 failed: connection refused ×990, timeout ×10\n/);
    assert.match(lineStarting(report, "v2: connection refused"), /connection refused ×990, timeout ×10/);
  });

  it("makes an unreachable target obvious, in full", () => {
    const result = sampleResult();
    assert.ok(result.load);
    result.load.unreachable = ["v2"];
    const text = renderReport(result, { width: 40 });
    assert.match(text, /⚠ no request to v2 got a response: connection refused ×990, timeout ×10 — is the target running and reachable at the url the experiment gives\? \(exit code 5\)\n/);
  });

  it("lists every task with its status, condition and error", () => {
    assert.deepEqual(cells(lineStarting(report, "1.")), ["1.", "http", "completed", "12s"]);
    assert.deepEqual(cells(lineStarting(report, "3.")), ["3.", "assess-app-versions (assess)", "completed"]);
    assert.deepEqual(cells(lineStarting(report, "4.")), ["4.", "slack", "skipped", "if: SLOs()"]);
    assert.deepEqual(cells(lineStarting(report, "5.")), ["5.", "notify", "failed", "if: not SLOs(); 3 attempts"]);
    assert.deepEqual(cells(lineStarting(report, "6.")), ["6.", "github", "cancelled"]);
    assert.match(report, /task 5 \(notify\) failed: POST http:\/\/127\.0\.0\.1:9\/hook answered 503 \[ACTION_FAILED\]/);
  });

  it("shows metrics as versions × metrics with units and formatted numbers", () => {
    assert.deepEqual(cells(lineStarting(report, "metric ")), ["metric", "v1", "v2"]);
    assert.deepEqual(cells(lineStarting(report, "http/request-count")), ["http/request-count", "1,000", "1,000"]);
    assert.deepEqual(cells(lineStarting(report, "http/error-rate")), ["http/error-rate", "0%", "100%"]);
    assert.deepEqual(cells(lineStarting(report, "http/latency-p95 (ms)")), ["http/latency-p95 (ms)", "4.13", "131"]);
    assert.deepEqual(cells(lineStarting(report, "http/latency-mean (ms)")), ["http/latency-mean (ms)", "3.21", "131"]);
    assert.deepEqual(cells(lineStarting(report, "http/throughput (req/s)")), ["http/throughput (req/s)", "200", "151"]);
    assert.deepEqual(cells(lineStarting(report, "prom/cpu-seconds (s)")), ["prom/cpu-seconds (s)", "12.35", "–"]);
    assert.match(report, /prom\/cpu-seconds missing for v2: query returned no data/);
    const order = ["http/request-count", "http/error-count", "http/error-rate", "http/throughput", "http/latency-mean", "http/latency-p50", "http/latency-p99.9", "http/latency-max", "prom/cpu-seconds"];
    const positions = order.map((name) => report.indexOf(`  ${name}`));
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, "metrics in display order");
  });

  it("draws the SLO matrix with ✓/✗, values, and 'missing' failing", () => {
    assert.deepEqual(cells(lineStarting(report, "SLO ")), ["SLO", "v1", "v2"]);
    assert.deepEqual(cells(lineStarting(report, "http/error-rate ≤ 0.01")), ["http/error-rate ≤ 0.01", "✓ 0", "✗ 1"]);
    assert.deepEqual(cells(lineStarting(report, "http/latency-p95 ≤ 100")), ["http/latency-p95 ≤ 100", "✓ 4.125", "✗ 131.2"]);
    assert.deepEqual(cells(lineStarting(report, "prom/cpu-seconds ≤ 20")), ["prom/cpu-seconds ≤ 20", "✓ 12.35", "✗ missing"]);
    assert.match(report, /v1: all 3 satisfied; v2: 3 of 3 not satisfied/);
  });

  it("summarises the load: agents, skew, conservation mismatches, events", () => {
    assert.match(lineStarting(report, "agents: 2"), /start skew: 3ms/);
    assert.match(lineStarting(report, "conservation:"), /1 mismatch/);
    assert.match(report, /local-1 shard 0: intervals sum to 499 requests, shard total 500/);
    assert.match(report, /interrupted: Ctrl-C: stopping load/);
    assert.doesNotMatch(report, /info: started/);
  });

  it("has no ANSI codes unless colour is asked for, then colours ✓ green and ✗ red", () => {
    const esc = "\u001b[";
    assert.ok(!report.includes(esc));
    const colored = renderReport(sampleResult(), { color: true });
    assert.match(colored.replaceAll(esc, "<ESC>"), /<ESC>32m\s*✓ 4\.125<ESC>0m/);
    assert.match(colored.replaceAll(esc, "<ESC>"), /<ESC>31m\s*✗ 131\.2<ESC>0m/);
    const stripped = colored.replaceAll(esc, "<ESC>").replace(/<ESC>\d+m/g, "");
    assert.equal(stripped, report, "colour changes nothing but the escapes");
  });

  it("says completed for a clean run and has no load section without load data", () => {
    const text = renderReport(completedResult());
    assert.match(lineStarting(text, "status:"), /status:\s+completed$/);
    assert.deepEqual(cells(lineStarting(text, "http/error-rate ")), ["http/error-rate", "0%", "2%"]);
    assert.doesNotMatch(text, /^LOAD$/m);
    assert.doesNotMatch(text, /⚠/);
  });

  it("renders the assessment generically, or with the given renderer", () => {
    const result = completedResult();
    result.assessment = { winner: "v1", recommendedWeights: { v1: 0.75, v2: 0.25 }, confidence: 0.95 };
    const text = renderReport(result);
    assert.match(text, /^ASSESSMENT$/m);
    assert.match(lineStarting(text, "winner:"), /winner: v1/);
    assert.match(lineStarting(text, "recommendedWeights:"), /v1 75%, v2 25%/);
    const custom = renderReport(result, { renderAssessment: (a) => `  best: ${String(a["winner"])}\n` });
    assert.match(custom, /ASSESSMENT\n {2}best: v1\n$/);
    result.assessment = { winner: null };
    assert.match(renderReport(result), /winner: none found/);
  });

  it("shows the last lines a run task's command printed", () => {
    const result = sampleResult();
    const stdout = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`).join("\n");
    result.tasks.push({ index: 6, task: "run", status: "completed", detail: { exitCode: 0, stdout: `${stdout}\n`, stderr: "warning: cache cold\n" } });
    const text = renderReport(result);
    assert.match(text, /\n {2}task 7 \(run\) output, last lines:\n {4}stdout \| line 4\n(?: {4}stdout \| line \d\n){4} {4}stderr \| warning: cache cold\n/);
    assert.doesNotMatch(text, /stdout \| line 3/);
  });

  it("says once that the measurements are kept", () => {
    const result = sampleResult();
    result.failure = "interrupted: the experiment was stopped before all tasks ran; measurements so far are kept";
    const status = lineStarting(renderReport(result), "status:");
    assert.equal(status.split("so far are kept").length, 2, status);
    result.failure = "interrupted by Ctrl-C";
    assert.match(lineStarting(renderReport(result), "status:"), /incomplete \(interrupted by Ctrl-C\): measurements so far are kept$/);
  });

  it("never cuts an error message, even on a narrow terminal", () => {
    const result = sampleResult();
    const task = result.tasks[4];
    assert.ok(task?.error);
    task.error.message = `${"x".repeat(200)} END`;
    const text = renderReport(result, { width: 60 });
    const line = lineStarting(text, "task 5 (notify)");
    assert.match(line, /x{200} END \[ACTION_FAILED\]$/);
    assert.doesNotMatch(text, /…/);
  });

  it("cuts only list lines to the terminal's width, and nothing without one (a pipe)", () => {
    const result = sampleResult();
    assert.ok(result.load);
    result.load.agents = Array.from({ length: 40 }, (_, i) => `agent-${i}`);
    const narrow = lineStarting(renderReport(result, { width: 60 }), "agents:");
    assert.ok(narrow.endsWith("…") && narrow.length <= 60, narrow);
    const piped = lineStarting(renderReport(result), "agents:");
    assert.match(piped, /agent-39\)$/);
  });
});

describe("renderJson", () => {
  it("round-trips the document", () => {
    const result = sampleResult();
    assert.deepEqual(JSON.parse(renderJson(result)), JSON.parse(JSON.stringify(result)));
  });

  it("uses a stable key order whatever order the document was built in", () => {
    const result = sampleResult();
    const reversed = Object.fromEntries(Object.entries(result).reverse()) as unknown as ResultDocument;
    reversed.metrics = { v2: result.metrics["v2"] ?? {}, v1: result.metrics["v1"] ?? {} };
    const first = renderJson(result);
    assert.equal(renderJson(reversed), first);
    assert.deepEqual(Object.keys(JSON.parse(first)).slice(0, 5), ["schemaVersion", "name", "completed", "failure", "incomplete"]);
    assert.deepEqual(Object.keys(JSON.parse(first).metrics), ["v1", "v2"]);
    assert.deepEqual(Object.keys(JSON.parse(first).tasks[4]), ["index", "task", "status", "condition", "attempts", "error"]);
    assert.match(first, /^{\n {2}"schemaVersion": 1,\n/);
    assert.ok(first.endsWith("}\n"));
  });
});

describe("renderHtml", () => {
  const html = renderHtml(sampleResult());

  it("is one self-contained page with every section", () => {
    assert.match(html, /^<!doctype html>/);
    for (const id of ["summary", "tasks", "metrics", "slos", "latency", "load"]) {
      assert.match(html, new RegExp(`<section id="${id}">`), `section ${id}`);
    }
    assert.doesNotMatch(html, /<(script|link|img)\b/);
    assert.doesNotMatch(html, /src=|href=/);
    assert.match(html, /all 1,000 requests to v2 failed/);
    assert.match(html, /<td class="bad">✗ missing<\/td>/);
    assert.match(html, /<td class="ok">✓ 4\.125<\/td>/);
  });

  it("draws a latency percentile chart as inline SVG with a line per version", () => {
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0];
    assert.ok(svg, "an <svg> element");
    assert.equal(svg.match(/<polyline /g)?.length, 2);
    assert.match(svg, /v1 \(200 requests\)/);
    assert.match(svg, /99\.99%/);
  });

  it("escapes text from the document", () => {
    const result = sampleResult();
    result.name = `<script>alert("x")</script>`;
    const page = renderHtml(result);
    assert.doesNotMatch(page, /<script>/);
    assert.match(page, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  });

  it("reads percentiles from the encoded histogram", () => {
    const encoded = sampleResult().histograms["v1"]?.["http"]?.latency ?? "";
    const { count, points } = latencyCurve(encoded);
    assert.equal(count, 200);
    const p0 = points[0];
    const last = points.at(-1);
    assert.ok(p0 && last);
    assert.ok(Math.abs(p0.latencyMs - 2) < 0.01, `p0 ${p0.latencyMs}`);
    assert.ok(Math.abs(last.latencyMs - 10) < 0.02, `p99.99 ${last.latencyMs}`);
    for (let i = 1; i < points.length; i++) assert.ok((points[i]?.latencyMs ?? 0) >= (points[i - 1]?.latencyMs ?? 0));
    assert.deepEqual(latencyCurve(""), { count: 0, points: [] });
    assert.deepEqual(latencyCurve("not base64 at all"), { count: 0, points: [] });
  });
});
