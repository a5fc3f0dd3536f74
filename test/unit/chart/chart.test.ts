/**
 * The built-in `iter8` chart beyond the compat corpus's value sets: the largest render it can be
 * asked for stays well inside the template budget (the figure docs/launch.md quotes), the chart's
 * checks fail with messages about values, and a user's chart folder is loaded and rendered.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { DEFAULT_TEMPLATE_LIMITS, ErrorCode, ValidationError, loadChart, parseExperimentText, renderChart } from "../../../core/index.js";
import type { ChartValues } from "../../../core/index.js";
import { cleanupAll, makeTempDir } from "../../harness/index.js";

after(cleanupAll);

/** Every task, every ready kind, every download and warm-up, ten endpoints per load task, 40 SLOs. */
function largestValues(): ChartValues {
  const ids = Array.from({ length: 10 }, (_, i) => `ep${i}`);
  const httpEndpoints = Object.fromEntries(ids.map((id) => [id, { url: `http://127.0.0.1:8080/${id}`, payloadURL: `http://127.0.0.1:8081/${id}.json`, qps: 5, headers: { "x-id": id } }]));
  const grpcEndpoints = Object.fromEntries(
    ids.map((id) => [id, { call: "helloworld.Greeter.SayHello", protoURL: "http://a/p.proto", dataURL: "http://a/d.json", binaryDataURL: "http://a/d.bin", metadataURL: "http://a/m.json" }]),
  );
  const upper = Object.fromEntries(ids.flatMap((id) => [`http-${id}/latency-mean`, `http-${id}/error-count`, `grpc-${id}/latency/p95`, `grpc-${id}/error-rate`]).map((metric) => [metric, 100]));
  return {
    tasks: ["ready", "custommetrics", "http", "grpc", "assess", "slack", "github"],
    ready: { service: "s", deploy: "d", ksvc: "k", isvc: "i", chaosengine: "c", timeout: "60s", namespace: "ns" },
    custommetrics: { templates: { prom: "http://a/prom.tpl" }, values: { labels: { app: "a" } }, versionValues: [{ labels: { v: "1" } }, { labels: { v: "2" } }] },
    http: { url: "http://127.0.0.1:8080/", payloadURL: "http://a/p.json", warmupNumRequests: 10, numRequests: 100, endpoints: httpEndpoints },
    grpc: { host: "127.0.0.1:50051", call: "a.B.C", protoURL: "http://a/p.proto", dataURL: "http://a/d.json", binaryDataURL: "http://a/d.bin", metadataURL: "http://a/m.json", warmupDuration: "5s", endpoints: grpcEndpoints },
    assess: { SLOs: { upper, lower: { "http/request-count": 1 } }, rewards: { max: ["http/request-count"], min: ["http/latency-mean"] } },
    slack: { url: "http://127.0.0.1:8082/hook", if: "SLOs()" },
    github: { owner: "o", repo: "r", token: "t" },
    runner: "job",
  };
}

function renderError(values: ChartValues): ValidationError {
  try {
    renderChart(BUILTIN, values);
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error;
  }
  assert.fail("the chart rendered");
}

const BUILTIN = await loadChart("iter8");

void describe("the built-in iter8 chart", () => {
  void it("renders the largest value set within a small fraction of the template budget", (t) => {
    const runs = Array.from({ length: 5 }, () => renderChart(BUILTIN, largestValues()));
    const stats = runs.map((run) => run.stats).filter((s) => s !== undefined);
    assert.equal(stats.length, 5);
    const steps = Math.max(...stats.map((s) => s.steps));
    const ms = stats.map((s) => s.elapsedMs).sort((a, b) => a - b);
    const output = Math.max(...stats.map((s) => s.outputBytes));
    t.diagnostic(`largest render: ${steps} steps, ${output} bytes, min ${ms[0]?.toFixed(1)} ms, median ${ms[2]?.toFixed(1)} ms, max ${ms[4]?.toFixed(1)} ms of ${DEFAULT_TEMPLATE_LIMITS.maxSteps} steps / ${DEFAULT_TEMPLATE_LIMITS.timeoutMs} ms`);
    assert.ok(steps < DEFAULT_TEMPLATE_LIMITS.maxSteps / 100, `${steps} steps`);
    assert.ok(output < DEFAULT_TEMPLATE_LIMITS.maxOutputBytes / 10, `${output} bytes`);
    const doc = parseYaml(runs[0]?.text ?? "") as { spec: Array<Record<string, unknown>> };
    const kinds = doc.spec.map((task) => (typeof task["task"] === "string" ? task["task"] : "run"));
    // 5 ready, custommetrics, 11 http downloads, warm-up + http, 44 grpc downloads, warm-up + grpc, assess, 2 notify
    assert.equal(kinds.length, 5 + 1 + 11 + 2 + 44 + 2 + 1 + 2);
    assert.deepEqual(kinds.slice(0, 6), ["ready", "ready", "ready", "ready", "ready", "custommetrics"]);
    assert.deepEqual(kinds.slice(-3), ["assess", "notify", "notify"]);
    const slos = (doc.spec.find((task) => task["task"] === "assess")?.["with"] as { SLOs: { upper: unknown[] } }).SLOs.upper;
    assert.equal(slos.length, 40);
  });

  void it("fails on bad values with the chart's message, not a template position", () => {
    const cases: Array<[ChartValues, RegExp]> = [
      [{}, /\.Values\.tasks is empty/],
      [{ tasks: "http" }, /tasks must be a list of task names/],
      [{ tasks: ["http", "load"], http: { url: "u" } }, /tasks\[1\] is load: task name must be one of assess, custommetrics, grpc, http, ready, github, or slack/],
      [{ tasks: ["http"] }, /http values object is nil/],
      [{ tasks: ["http"], http: { qps: 5 } }, /please set the url parameter or the endpoints parameter/],
      [{ tasks: ["http"], http: { endpoints: { a: { url: "u" }, b: { qps: 1 } } } }, /endpoint "b" does not have a url parameter/],
      [{ tasks: ["grpc"], grpc: { host: "h" } }, /please set the call parameter/],
      [{ tasks: ["slack"], slack: { method: "POST" } }, /please set a value for the url parameter/],
      [{ tasks: ["github"], github: { owner: "o", repo: "r" } }, /please set a value for the token parameter/],
      [{ tasks: ["http"], http: { url: "u" }, runner: "daemon" }, /runner must be one of job, cronjob, or none; got daemon/],
    ];
    for (const [values, message] of cases) {
      const error = renderError(values);
      assert.equal(error.code, ErrorCode.BadValues, error.message);
      assert.match(error.message, message);
      assert.ok(error.message.startsWith("chart iter8: "), error.message);
    }
  });

  void it("renders what assay's parser accepts, with the release namespace in ready tasks", () => {
    const rendered = renderChart(BUILTIN, { tasks: ["ready", "http", "assess"], ready: { service: "web" }, http: { url: "http://127.0.0.1:1/", numRequests: 5 }, assess: { SLOs: { upper: { "http/error-count": 0 } } } }, { namespace: "team-a" });
    const experiment = parseExperimentText(rendered.text, rendered.source);
    assert.deepEqual(experiment.tasks.map((task) => task.spec.task), ["ready", "http", "assess"]);
    assert.match(rendered.text, /namespace: team-a/);
  });
});

void describe("a user's chart folder (-c DIR)", () => {
  void it("renders its experiment template with its values.yaml under the user's, and .Release / .Chart", async () => {
    const dir = await makeTempDir("assay-chart-");
    await mkdir(join(dir, "templates"));
    await writeFile(join(dir, "Chart.yaml"), "name: smoke\nversion: 1.2.3\n");
    await writeFile(join(dir, "values.yaml"), "numRequests: 20\nurl: http://127.0.0.1:1/\n");
    await writeFile(join(dir, "templates", "_helpers.tpl"), '{{- define "smoke.load" -}}\n- task: http\n  with:\n    url: {{ .url }}\n    numRequests: {{ .numRequests }}\n{{- end }}\n');
    await writeFile(join(dir, "templates", "experiment.yaml"), '# {{ .Chart.Name }} {{ .Chart.Version }} in {{ .Release.Namespace }}/{{ .Release.Name }}\nspec:\n{{ include "smoke.load" .Values }}\n');
    const chart = await loadChart(dir);
    const rendered = renderChart(chart, { numRequests: 7 }, { namespace: "ns", releaseName: "rel" });
    assert.match(rendered.text, /^# smoke 1\.2\.3 in ns\/rel/);
    const experiment = parseExperimentText(rendered.text, rendered.source);
    assert.equal(experiment.tasks.length, 1);
    assert.match(rendered.text, /numRequests: 7/);
  });

  void it("stops a runaway user template at the budget and names its file", async () => {
    const dir = await makeTempDir("assay-chart-");
    await mkdir(join(dir, "templates"));
    await writeFile(join(dir, "templates", "experiment.yaml"), "spec:\n{{- range until 100000000 }}\n- run: echo {{ . }}\n{{- end }}\n");
    const chart = await loadChart(dir);
    assert.throws(
      () => renderChart(chart, {}, { limits: { maxSteps: 50_000 } }),
      (error: unknown) => error instanceof ValidationError && error.code === ErrorCode.TemplateBudgetExceeded && /templates\/experiment\.yaml/.test(error.message),
    );
  });

  void it("names what is missing: no folder, no templates, no experiment template", async () => {
    await assert.rejects(loadChart("./no-such-chart"), (error: unknown) => error instanceof ValidationError && error.code === ErrorCode.BadChart && /no built-in chart of that name and no chart folder/.test(error.message));
    const empty = await makeTempDir("assay-chart-");
    await assert.rejects(loadChart(empty), /cannot read .*templates/);
    await mkdir(join(empty, "templates"));
    await writeFile(join(empty, "templates", "_helpers.tpl"), '{{ define "x" }}x{{ end }}');
    const chart = await loadChart(empty);
    assert.throws(() => renderChart(chart, {}), /no template named "experiment"/);
  });
});
