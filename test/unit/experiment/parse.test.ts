import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_PERCENTILES, KNOWN_TASK_NAMES, TASK_ALIASES, parseExperimentFile, parseExperimentText } from "../../../core/index.js";
import type { TaskName } from "../../../core/index.js";
import { FIXTURES, http, httpExperiment, taskOf } from "./helpers.js";

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

describe("Iter8 files run unchanged", () => {
  it("reads an Iter8 v0.13 experiment.yaml (metadata, spec, result)", async () => {
    const experiment = await parseExperimentFile(join(FIXTURES, "iter8-v013.yaml"));
    assert.equal(experiment.name, "httpbin-test");
    assert.equal(experiment.tasks.length, 3);

    const load = http(experiment, 0);
    assert.equal(experiment.tasks[0]?.writtenName, "http");
    assert.deepEqual(load.versions.map((v) => [v.name, v.request.url, v.request.method]), [["default", "http://httpbin.default/get", "GET"]]);
    assert.deepEqual(load.versions[0]?.request.headers, { "X-Test": "yes" });
    assert.equal(load.numRequests, 200, "numRequests wins over duration");
    assert.equal(load.durationMs, undefined);
    assert.equal(load.qps, 8);
    assert.equal(load.connections, 4);
    assert.equal(load.loadModel, "closed");
    assert.deepEqual(load.errorRanges, [{ lower: 500, upper: undefined }]);
    assert.deepEqual(load.percentiles, [50, 75, 90, 95, 97.5, 99, 99.9]);
    assert.deepEqual(experiment.tasks[0]?.location, { file: join(FIXTURES, "iter8-v013.yaml"), line: 8, column: 3 });

    const assess = taskOf(experiment, 1, "assess");
    assert.deepEqual(assess.slos.upper, [
      { metric: "http/latency-mean", limit: 50 },
      { metric: "http/error-rate", limit: 0 },
    ]);
    assert.deepEqual(assess.slos.lower, [{ metric: "http/request-count", limit: 100 }]);

    const run = taskOf(experiment, 2, "run");
    assert.equal(run.command, 'echo "SLOs are satisfied"');
    assert.equal(experiment.tasks[2]?.conditionText, "SLOs()");
    assert.deepEqual(experiment.tasks[2]?.condition, { kind: "call", fn: "SLOs" });
  });

  it("reads an Iter8 v0.8 bare list with long names, versionInfo and criteria", async () => {
    const experiment = await parseExperimentFile(join(FIXTURES, "iter8-v08.yaml"));
    assert.equal(experiment.name, "iter8-v08", "defaults to the file's base name");
    assert.equal(experiment.tasks[0]?.writtenName, "gen-load-and-collect-metrics");
    const load = http(experiment, 0);
    assert.deepEqual(load.versions.map((v) => [v.name, v.request.url]), [
      ["v1", "http://iter8-app.default.svc:8000"],
      ["v2", "http://iter8-app-candidate.default.svc:8000"],
    ]);
    assert.deepEqual(load.versions[0]?.request.headers, { "X-Version": "1" });
    assert.equal(load.numRequests, 40, "numQueries is v0.8's numRequests");
    assert.equal(load.qps, 10);
    assert.equal(load.loadModel, "open");

    assert.equal(experiment.tasks[1]?.writtenName, "assess-app-versions");
    const assess = taskOf(experiment, 1, "assess");
    assert.deepEqual(assess.slos.upper.map((s) => [s.metric, s.limit]), [
      ["http/latency-mean", 50],
      ["http/error-rate", 0],
      ["http/request-count", 1000],
    ], "v0.8's built-in names are stored as today's");
    assert.deepEqual(assess.slos.lower, [{ metric: "http/request-count", limit: 10 }]);
    assert.deepEqual(experiment.tasks[2]?.condition, { kind: "not", operand: { kind: "call", fn: "SLOs" } });
  });

  it("skips null versionInfo entries but keeps position-based names", () => {
    const experiment = parseExperimentText(
      "- task: gen-load-and-collect-metrics\n  with:\n    versionInfo:\n    - # set to null\n    - url: http://candidate:8000\n",
      "exp.yaml",
    );
    assert.deepEqual(http(experiment).versions.map((v) => v.name), ["v2"]);
  });

  it("accepts Iter8 v0.9's SLO list with upperLimit / lowerLimit directly under SLOs", () => {
    const experiment = parseExperimentText(
      "- task: http\n  with: {url: http://a.test/}\n- task: assess-app-versions\n  with:\n    SLOs:\n    - metric: http/error-rate\n      upperLimit: 0\n    - metric: http/latency-p95.0\n      upperLimit: 1\n",
      "exp.yaml",
    );
    assert.deepEqual(taskOf(experiment, 1, "assess").slos.upper, [
      { metric: "http/error-rate", limit: 0 },
      { metric: "http/latency-p95", limit: 1 },
    ]);
  });
});

describe("Assay extensions", () => {
  it("reads versions, merged headers, payloadFile, stages, agents and endpoints", async () => {
    const experiment = await parseExperimentFile(join(FIXTURES, "assay-ab.yaml"));
    assert.equal(experiment.name, "checkout-ab");
    const load = http(experiment, 0);
    const [stable, canary] = load.versions;
    assert.ok(stable && canary);
    assert.deepEqual([stable.name, canary.name], ["stable", "canary"]);
    assert.deepEqual(stable.request.headers, { Authorization: "Bearer abc", "X-Track": "stable" }, "a version's headers override the task's, ignoring case");
    assert.deepEqual(canary.request.headers, { Authorization: "Bearer abc", "x-track": "none" });
    const payload = readFileSync(join(FIXTURES, "payloads/order.json"), "utf8");
    assert.equal(text(stable.request.body), payload, "payloadFile is read relative to the experiment file");
    assert.equal(stable.request.method, "POST", "a payload makes the default method POST");
    assert.equal(stable.request.contentType, "application/json");

    assert.deepEqual(load.stages, [
      { durationMs: 10_000, qps: 50 },
      { durationMs: 60_000, qps: 200 },
    ]);
    assert.equal(load.loadModel, "open", "stages imply the open model");
    assert.equal(load.durationMs, 70_000, "stages define the duration");
    assert.equal(load.numRequests, undefined);
    assert.equal(load.qps, 200);
    assert.equal(load.connections, 16);
    assert.equal(load.timeoutMs, 5000);
    assert.deepEqual(load.agents, { kind: "selector", labels: { zone: "eu-west-1" } });

    assert.deepEqual(Object.keys(stable.endpoints), ["health", "login"]);
    assert.equal(stable.endpoints["health"]?.url, "http://127.0.0.1:8080/healthz", "a path is joined to the version's origin");
    assert.equal(canary.endpoints["health"]?.url, "https://canary.example.test:8443/healthz");
    assert.equal(stable.endpoints["health"]?.method, "GET");
    assert.equal(text(stable.endpoints["health"]?.body), payload, "endpoints inherit the task payload");
    const login = canary.endpoints["login"];
    assert.equal(login?.url, "http://auth.example.test/login", "an absolute endpoint url replaces the version's");
    assert.equal(text(login?.body), "{}");
    assert.equal(login?.method, "POST");
    assert.deepEqual(login?.headers, { Authorization: "Bearer abc", "X-Track": "login" });

    const assess = taskOf(experiment, 1, "assess");
    assert.deepEqual(assess.slos.upper, [
      { metric: "http-health/error-rate", limit: 0.01 },
      { metric: "http-login/latency-p99", limit: 250 },
    ]);
    assert.deepEqual(assess.rewards, { max: ["http-login/throughput"], min: ["http-login/latency-p95"] });
    assert.equal(assess.baseline, "stable");
    assert.equal(assess.confidence, 0.99);
    assert.deepEqual(assess.options, { seed: 42, draws: 5000 }, "samples is the older name of draws");

    const slack = taskOf(experiment, 2, "slack");
    assert.equal(slack.softFailure, true, "slack is a soft failure by default");
    assert.equal(slack.method, "POST");
    assert.equal(slack.payloadTemplate, '{"text": "winner {{ .Winner }}"}');
    assert.deepEqual(experiment.tasks[2]?.condition, {
      kind: "and",
      left: { kind: "call", fn: "CandidateWon" },
      right: { kind: "compare", op: "==", left: { kind: "call", fn: "Winner" }, right: { kind: "literal", value: "canary" } },
    });
  });

  it("reads payloadFile from options.baseDir when given", () => {
    const experiment = parseExperimentText(httpExperiment("url: http://a.test/", "payloadFile: order.json"), "<inline>", {
      baseDir: join(FIXTURES, "payloads"),
    });
    assert.equal(experiment.name, "experiment");
    assert.match(text(http(experiment).versions[0]?.request.body) ?? "", /"order": 1/);
  });

  it("counts agents, and takes every http field it documents", () => {
    const experiment = parseExperimentText(
      httpExperiment(
        "url: https://a.test/x",
        "agents: 3",
        "loadModel: closed",
        "qps: 0",
        "method: put",
        "payloadStr: hello",
        "warmupNumRequests: 10",
        "warmupDuration: 500ms",
        "insecureSkipVerify: true",
        "followRedirects: true",
        "errorRanges: [{lower: 500, upper: 599}, {upper: 199}]",
        "percentiles: [99.99, 50, 12.5]",
        "allowInitialErrors: true",
      ),
      "exp.yaml",
    );
    const load = http(experiment);
    assert.deepEqual(load.agents, { kind: "count", count: 3 });
    assert.equal(load.loadModel, "closed");
    assert.equal(load.qps, 0);
    assert.equal(load.versions[0]?.request.method, "PUT");
    assert.equal(text(load.versions[0]?.request.body), "hello");
    assert.equal(load.warmupNumRequests, 10);
    assert.equal(load.warmupDurationMs, 500);
    assert.equal(load.insecureSkipVerify, true);
    assert.equal(load.followRedirects, true);
    assert.deepEqual(load.errorRanges, [
      { lower: 500, upper: 599 },
      { lower: undefined, upper: 199 },
    ]);
    assert.deepEqual(load.percentiles, [12.5, 50, 75, 90, 95, 99, 99.9, 99.99]);
  });

  it("accepts endpoints alone when each has an absolute url (Iter8 allows it)", () => {
    const experiment = parseExperimentText(
      httpExperiment("endpoints:", "  getit:", "    url: http://a.test/get", "  postit:", "    url: http://a.test/post", "    payloadStr: x"),
      "exp.yaml",
    );
    const [version] = http(experiment).versions;
    assert.equal(version?.name, "default");
    assert.equal(version?.endpoints["getit"]?.method, "GET");
    assert.equal(version?.endpoints["postit"]?.method, "POST");
  });
});

describe("defaults", () => {
  it("applies Iter8's http defaults", () => {
    const load = http(parseExperimentText(httpExperiment("url: http://a.test/"), "exp.yaml"));
    assert.equal(load.numRequests, 100);
    assert.equal(load.durationMs, undefined);
    assert.equal(load.qps, 8);
    assert.equal(load.connections, 4);
    assert.equal(load.loadModel, "closed", "closed unless qps is written (the engine caps it at the default 8 qps)");
    assert.deepEqual(load.percentiles, DEFAULT_PERCENTILES);
    assert.deepEqual(load.errorRanges, []);
    assert.deepEqual(load.stages, []);
    assert.equal(load.timeoutMs, 30_000);
    assert.equal(load.agents, undefined);
    assert.equal(load.insecureSkipVerify, false);
    assert.equal(load.followRedirects, false);
    assert.deepEqual(load.versions, [
      { name: "default", request: { url: "http://a.test/", method: "GET", headers: {}, body: undefined, contentType: undefined }, endpoints: {} },
    ]);
  });

  const durationCases: [string, number][] = [
    ["duration: 10s", 10_000],
    ["duration: 1m30s", 90_000],
    ["duration: 10", 10_000],
    ["time: 2s", 2000],
  ];
  for (const [line, expectedMs] of durationCases) {
    it(`duration mode: ${line}`, () => {
      const load = http(parseExperimentText(httpExperiment("url: http://a.test/", line), "exp.yaml"));
      assert.equal(load.numRequests, undefined);
      assert.equal(load.durationMs, expectedMs);
    });
  }

  it("qps written makes the open model; qps: 0 stays closed; loadModel: open alone keeps qps 8", () => {
    assert.equal(http(parseExperimentText(httpExperiment("url: http://a.test/", "qps: 20"), "e.yaml")).loadModel, "open");
    assert.equal(http(parseExperimentText(httpExperiment("url: http://a.test/", "qps: 0"), "e.yaml")).loadModel, "closed");
    const open = http(parseExperimentText(httpExperiment("url: http://a.test/", "loadModel: open"), "e.yaml"));
    assert.deepEqual([open.loadModel, open.qps], ["open", 8]);
  });

  it("keeps numRequests with stages (it stops the run early)", () => {
    const load = http(parseExperimentText(httpExperiment("url: http://a.test/", "numRequests: 30", "stages: [{duration: 5s, qps: 10}]"), "e.yaml"));
    assert.deepEqual([load.numRequests, load.durationMs], [30, 5000]);
  });

  it("uses the file's base name without extension, then metadata.name, then name", () => {
    assert.equal(parseExperimentText(httpExperiment("url: http://a.test/"), "some/dir/my-exp.yml").name, "my-exp");
    const both = "name: mine\nmetadata: {name: theirs}\n" + httpExperiment("url: http://a.test/");
    assert.equal(parseExperimentText(both, "e.yaml").name, "mine");
  });
});

describe("every task name and alias", () => {
  const minimal: Record<TaskName, string> = {
    http: "{url: http://a.test/}",
    grpc: "{host: 127.0.0.1:50051, call: helloworld.Greeter.SayHello}",
    custommetrics: "{templates: {prom: https://example.test/prom.tpl}}",
    assess: "{SLOs: {upper: {prom/error-rate: 0}}}",
    notify: "{url: https://hooks.example.test/x}",
    slack: "{url: https://hooks.slack.example.test/x}",
    github: "{owner: me, repo: app, token: t0k}",
    ready: "{name: app, version: v1, resource: deployments}",
    run: "{command: echo hi}",
    "k8s-patch": "{apiVersion: apps/v1, kind: Deployment, name: app, patch: {spec: {replicas: 2}}}",
    cloudevent: "{url: https://events.example.test/}",
    traffic: "{versions: {v1: {apiVersion: v1, kind: X, name: x, fieldPath: .spec.a}, v2: {apiVersion: v1, kind: X, name: x, fieldPath: .spec.b}}}",
  };
  for (const name of KNOWN_TASK_NAMES) {
    const canonical = (TASK_ALIASES[name] ?? name) as TaskName;
    it(`${name} -> ${canonical}`, () => {
      const experiment = parseExperimentText(`- task: ${name}\n  with: ${minimal[canonical]}\n`, "e.yaml");
      assert.equal(experiment.tasks[0]?.spec.task, canonical);
      assert.equal(experiment.tasks[0]?.writtenName, name);
    });
  }
});

describe("other tasks", () => {
  it("grpc defaults (Iter8's, which are ghz's): total 200, concurrency 50, timeout 20s (more in grpc-parse.test.ts)", () => {
    const grpc = taskOf(parseExperimentText("- task: grpc\n  with: {host: h:1, call: a.B.C, protoFile: x.proto, data: {name: x}, metadata: {k: v}}\n", "/d/e.yaml"), 0, "grpc");
    assert.equal(grpc.numRequests, 200);
    assert.equal(grpc.connections, 50);
    assert.equal(grpc.timeoutMs, 20_000);
    assert.equal(grpc.versions[0]?.call.proto, "/d/x.proto");
    assert.deepEqual(grpc.versions[0]?.call.data, { name: "x" });
    assert.deepEqual(grpc.versions[0]?.call.metadata, { k: "v" });
  });

  it("custommetrics keeps the whole with in raw", () => {
    const spec = taskOf(
      parseExperimentText("- task: custom-metrics\n  with:\n    templates: {prom: https://x.test/t}\n    values: {ns: default}\n    versionValues: [{app: a}, {app: b}]\n    extra: 1\n", "e.yaml"),
      0,
      "custommetrics",
    );
    assert.deepEqual(spec.providers, []);
    assert.deepEqual(spec.values, { ns: "default" });
    assert.deepEqual(spec.versionValues, [{ app: "a" }, { app: "b" }]);
    assert.deepEqual(spec.raw, { templates: { prom: "https://x.test/t" }, values: { ns: "default" }, versionValues: [{ app: "a" }, { app: "b" }], extra: 1 });
  });

  it("action tasks: defaults, common fields and the template hook", () => {
    const seen: string[] = [];
    const experiment = parseExperimentText(
      [
        "- task: notify",
        "  with: {url: https://n.test/, params: {a: 1}, headers: {X: y}, payloadTemplate: '{{ .Name }}', retries: 2, timeout: 3s}",
        "- task: github",
        "  with: {owner: me, repo: app, token: t, payloadTemplate: p, softFailure: true}",
        "- task: github",
        "  with: {owner: me, repo: app, token: t, workflow: ci.yaml, ref: main}",
        "- task: ready",
        "  with: {name: app, version: v1, resource: deployments, namespace: ns, condition: Available, timeout: 1m}",
        "- task: k8s-patch",
        "  with:",
        "    apiVersion: networking.istio.io/v1beta1",
        "    kind: VirtualService",
        "    name: vs",
        "    patchType: json",
        "    patch:",
        "      - {op: replace, path: /spec/http/0/route/0/weight, value: 90}",
        "- task: cloudevent",
        "  with: {url: https://ce.test/}",
      ].join("\n"),
      "e.yaml",
      { checkTemplate: (templateText, field) => seen.push(`${field}=${templateText}`) },
    );
    const notify = taskOf(experiment, 0, "notify");
    assert.deepEqual([notify.method, notify.params, notify.headers, notify.retries, notify.timeoutMs, notify.softFailure], ["POST", { a: "1" }, { X: "y" }, 2, 3000, false]);
    const github = taskOf(experiment, 1, "github");
    assert.deepEqual([github.eventType, github.apiUrl, github.softFailure], ["iter8", "https://api.github.com", true]);
    const workflow = taskOf(experiment, 2, "github");
    assert.deepEqual([workflow.eventType, workflow.workflow, workflow.ref], [undefined, "ci.yaml", "main"]);
    const ready = taskOf(experiment, 3, "ready");
    assert.deepEqual([ready.group, ready.namespace, ready.condition, ready.timeoutMs], ["", "ns", "Available", 60_000]);
    const patch = taskOf(experiment, 4, "k8s-patch");
    assert.equal(patch.patchType, "json");
    assert.deepEqual(JSON.parse(patch.patchTemplate), [{ op: "replace", path: "/spec/http/0/route/0/weight", value: 90 }]);
    const ce = taskOf(experiment, 5, "cloudevent");
    assert.deepEqual([ce.mode, ce.type, ce.source], ["binary", "io.assay.experiment", "assay"]);
    assert.deepEqual(seen, ["spec[0].with.payloadTemplate={{ .Name }}", "spec[1].with.payloadTemplate=p", `spec[4].with.patch=${patch.patchTemplate}`]);
  });

  it("resolves YAML anchors, aliases and merge keys", () => {
    const experiment = parseExperimentText(
      "spec:\n  - task: http\n    with: &w\n      url: http://a.test/\n      connections: 7\n  - task: http\n    with:\n      <<: *w\n      connections: 9\n",
      "e.yaml",
    );
    assert.equal(http(experiment, 0).connections, 7);
    assert.equal(http(experiment, 1).connections, 9, "own keys win over merged ones");
    assert.equal(http(experiment, 1).versions[0]?.request.url, "http://a.test/");
  });
});
