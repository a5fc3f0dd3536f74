import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { parseExperimentFile, renderTemplate } from "../../../core/index.js";
import type { GithubTaskSpec, K8sPatchTaskSpec, ReadyTaskSpec, SlackTaskSpec, TaskSpec } from "../../../core/index.js";
import { createSecretResolver, templateData } from "../../../coordinator/actions/index.js";
import { CRD_FIXTURES, cleanupAll, sharedKubeApiServer } from "../../harness/index.js";
import { fastRunners, makeContext, sampleResult, startReceiver } from "./context.js";

after(cleanupAll);

function task<T extends TaskSpec>(specs: readonly TaskSpec[], name: T["task"]): T {
  const found = specs.find((spec) => spec.task === name);
  assert.ok(found, `no ${name} task`);
  return found as T;
}

void describe("examples", () => {
  void it("canary-istio.yaml: ready waits for reviews-v2, the patch moves the VirtualService to the recommended weights, the Slack URL comes from the environment", async () => {
    const experiment = await parseExperimentFile("examples/canary-istio.yaml");
    const specs = experiment.tasks.map((entry) => entry.spec);
    assert.equal(experiment.tasks.find((entry) => entry.spec.task === "k8s-patch")?.conditionText, "CandidateWon()");
    const patch = task<K8sPatchTaskSpec>(specs, "k8s-patch");
    const rendered = parseYaml(renderTemplate(patch.patchTemplate, templateData(sampleResult()))) as { spec: { http: Array<{ route: Array<{ weight: number }> }> } };
    assert.deepEqual(rendered.spec.http[0]?.route.map((route) => route.weight), [20, 80]);

    // The example's Kubernetes tasks run unchanged against a real kube-apiserver private to this
    // test file, in the namespace the example names ("default"): the reviews-v2 Deployment
    // (Available faked through its status) and an Istio VirtualService (CRD fixture).
    const kube = await sharedKubeApiServer();
    await kube.installCrds();
    const kubeconfig = await kube.writeKubeconfig();
    const ready = task<ReadyTaskSpec>(specs, "ready");
    assert.equal(ready.namespace, "default");
    await kube.admin.apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: ready.name, namespace: "default" },
      spec: { selector: { matchLabels: { app: "reviews", version: "v2" } }, template: { metadata: { labels: { app: "reviews", version: "v2" } }, spec: { containers: [{ name: "reviews", image: "reviews:2.0.0" }] } } },
    });
    await kube.fakeDeploymentAvailable("default", ready.name, true);
    const readyOutcome = await fastRunners.ready(ready, makeContext(ready, { policy: { kubeconfig } }).context);
    assert.equal(readyOutcome.detail?.["condition"], "Available");

    const vs = { apiVersion: CRD_FIXTURES.virtualService.apiVersion, kind: CRD_FIXTURES.virtualService.kind, name: patch.name, namespace: "default" };
    assert.deepEqual([patch.apiVersion, patch.kind, patch.namespace], [vs.apiVersion, vs.kind, vs.namespace]);
    await kube.admin.apply({
      apiVersion: vs.apiVersion,
      kind: vs.kind,
      metadata: { name: vs.name, namespace: vs.namespace },
      spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1" }, weight: 100 }] }] },
    });
    await fastRunners["k8s-patch"](patch, makeContext(patch, { policy: { kubeconfig } }).context);
    const patched = await kube.admin.get(vs);
    const routes = (patched["spec"] as { http: Array<{ route: Array<{ destination: { subset: string }; weight: number }> }> }).http[0]!.route;
    assert.deepEqual(routes.map((route) => [route.destination.subset, route.weight]), [["v1", 20], ["v2", 80]]);

    const receiver = await startReceiver(() => ({ status: 200, body: "ok" }));
    after(() => receiver.close());
    const slack = task<SlackTaskSpec>(specs, "slack");
    assert.equal(slack.softFailure, true);
    const secrets = createSecretResolver({ env: { SLACK_WEBHOOK: `${receiver.url}/services/TX/BX/exampleSecret` } });
    await fastRunners.slack(slack, makeContext(slack, { secrets }).context);
    assert.equal(receiver.received[0]?.url, "/services/TX/BX/exampleSecret");
  });

  void it("ci-gate.yaml: the dispatch payload renders to at most 10 keys and is sent with the token", async () => {
    const experiment = await parseExperimentFile("examples/ci-gate.yaml");
    const github = task<GithubTaskSpec>(experiment.tasks.map((entry) => entry.spec), "github");
    assert.equal(experiment.tasks.find((entry) => entry.spec.task === "github")?.conditionText, "not SLOs()");
    const receiver = await startReceiver(() => ({ status: 204 }));
    after(() => receiver.close());
    const secrets = createSecretResolver({ env: { GITHUB_TOKEN: "ghs_exampleToken123456" } });
    const { assessment: _dropped, ...withoutAssessment } = sampleResult({ versions: ["default"], metrics: { default: { "http/error-rate": 0.02, "http/latency-p99": 340 } } });
    const result = withoutAssessment;
    await fastRunners.github({ ...github, apiUrl: receiver.url }, makeContext(github, { secrets, result }).context);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.url, "/repos/acme/storefront/dispatches");
    assert.equal(request.headers["authorization"], "Bearer ghs_exampleToken123456");
    const body = JSON.parse(request.body) as { event_type: string; client_payload: Record<string, unknown> };
    assert.equal(body.event_type, "assay-slo-failed");
    assert.equal(body.client_payload["errorRate"], 0.02);
    assert.equal(body.client_payload["latencyP99"], 340);
    assert.ok(Object.keys(body.client_payload).length <= 10);
  });
});
