/**
 * `assay launch` as a user runs it: --set mistakes are refused with a message naming the item,
 * a user's chart folder (-c DIR) renders and runs, and the built-in chart's experiment runs with
 * `assay run`'s flags.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { cleanupAll, makeTempDir, startHttpTarget } from "../../harness/index.js";
import { assay } from "./cli.js";

after(cleanupAll);

interface Result {
  completed: boolean;
  metrics: Record<string, Record<string, number>>;
  slos: Array<{ metric: string; satisfied: Record<string, boolean> }>;
}

async function userChart(): Promise<string> {
  const dir = await makeTempDir("assay-launch-chart-");
  await mkdir(join(dir, "templates"));
  await writeFile(join(dir, "values.yaml"), "numRequests: 50\nqps: 100\nmaxErrors: 0\n");
  await writeFile(
    join(dir, "templates", "_tasks.tpl"),
    `{{- define "smoke.http" }}
- task: http
  with:
    url: {{ required "url is required: --set url=..." .url }}
    numRequests: {{ .numRequests }}
    qps: {{ .qps }}
{{- end }}
`,
  );
  await writeFile(
    join(dir, "templates", "experiment.yaml"),
    `# smoke test for {{ .Release.Name }}
spec:
{{- include "smoke.http" .Values }}
- task: assess
  with:
    SLOs:
      upper:
      - metric: http/error-count
        limit: {{ .Values.maxErrors }}
`,
  );
  return dir;
}

void describe("assay launch (the CLI as a user runs it)", () => {
  void it("refuses a malformed --set with a message naming the item and the key, before anything runs", async () => {
    const missingValue = await assay(["launch", "--set", "tasks={http}", "--set", "http.url"]);
    assert.equal(missingValue.code, 2, missingValue.stderr);
    assert.match(missingValue.stderr, /error \[LAUNCH_BAD_VALUES\]: --set "http\.url": key "http\.url" has no value/);
    assert.match(missingValue.stderr, /hint: --set takes KEY=VALUE items/);
    assert.equal(missingValue.stdout, "");
    const openList = await assay(["launch", "--dry-run", "--set", "tasks={http,assess"]);
    assert.equal(openList.code, 2);
    assert.match(openList.stderr, /--set "tasks=\{http,assess": list must terminate with '\}'/);
    const badIndex = await assay(["launch", "--dry-run", "--set-string", "a[x]=1"]);
    assert.equal(badIndex.code, 2);
    assert.match(badIndex.stderr, /--set-string "a\[x\]=1": index \[x\] is not a number/);
  });

  void it("names the values file and line of a YAML error, and the chart's message for bad values", async () => {
    const dir = await makeTempDir("assay-launch-");
    const file = join(dir, "values.yaml");
    await writeFile(file, "tasks: [http]\nhttp:\n  url: [oops\n");
    const bad = await assay(["launch", "--dry-run", "-f", file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+:\\d+: not valid YAML`));
    const unknownTask = await assay(["launch", "--dry-run", "--set", "tasks={http,load}", "--set", "http.url=http://127.0.0.1:1/"]);
    assert.equal(unknownTask.code, 2);
    assert.match(unknownTask.stderr, /chart iter8: tasks\[1\] is load: task name must be one of/);
  });

  void it("says that --set made a decimal a string when the rendered experiment rejects it", async () => {
    const run = await assay(["launch", "--set", "tasks={http}", "--set", "http.url=http://127.0.0.1:1/", "--set", "http.qps=15.5", "--no-progress"]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /qps/);
    assert.match(run.stderr, /--set makes http\.qps=15\.5 a string/);
    const listForm = await assay(["launch", "--set", "tasks={http,assess}", "--set", "http.url=http://127.0.0.1:1/", "--set", "assess.SLOs.upper[0].metric=http/latency-mean", "--set", "assess.SLOs.upper[0].limit=50"]);
    assert.equal(listForm.code, 2);
    assert.match(listForm.stderr, /assess\.SLOs\.upper is a list; the iter8 chart takes a map of metric to limit/);
  });

  void it("renders a user's chart folder (-c DIR) with -f and --set over its values.yaml, and runs it", async () => {
    const chart = await userChart();
    const target = await startHttpTarget({});
    const dir = await makeTempDir("assay-launch-");
    const overrides = join(dir, "override.yaml");
    await writeFile(overrides, `url: ${target.url}\nnumRequests: 30\n`);
    const dry = await assay(["launch", "-c", chart, "-f", overrides, "--set", "numRequests=12", "-g", "checkout", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^# smoke test for checkout/);
    const doc = parseYaml(dry.stdout) as { spec: Array<{ with: Record<string, unknown> }> };
    assert.deepEqual(doc.spec[0]?.with, { url: target.url, numRequests: 12, qps: 100 });
    assert.equal(target.served(), 0, "a dry run sends nothing");

    const out = join(dir, "result.json");
    const run = await assay(["launch", "-c", chart, "-f", overrides, "--set", "numRequests=12", "-o", "json", "--no-progress", "--agents", "1", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Result;
    assert.equal(result.completed, true);
    assert.equal(result.metrics["default"]?.["http/request-count"], 12);
    assert.equal(result.slos[0]?.satisfied["default"], true);
    assert.equal(target.served(), 12);
    assert.deepEqual(JSON.parse(await readFile(out, "utf8")), result, "--out stores the same result document");

    const missing = await assay(["launch", "-c", chart, "--dry-run"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /url is required: --set url=/);
  });

  void it("runs the built-in chart's experiment with assay run's flags", async () => {
    const target = await startHttpTarget({});
    const run = await assay([
      "launch",
      "--set",
      "tasks={http,assess}",
      "--set",
      `http.url=${target.url}`,
      "--set",
      "http.numRequests=15,http.qps=50",
      "--set",
      "assess.SLOs.upper.http/error-count=0",
      "-o",
      "json",
      "--no-progress",
      "--agents",
      "1",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Result;
    assert.equal(result.metrics["default"]?.["http/request-count"], 15);
    assert.deepEqual(result.slos.map((slo) => [slo.metric, slo.satisfied["default"]]), [["http/error-count", true]]);
    assert.equal(target.served(), 15);
  });
});
