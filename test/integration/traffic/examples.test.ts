/**
 * examples/progressive/ on a real kube-apiserver: every file parses; the traffic and k8s-patch
 * tasks run unchanged against objects in the namespaces the examples name, and the resulting
 * objects are checked.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, describe, it } from "node:test";
import { parseExperimentFile } from "../../../core/index.js";
import type { K8sPatchTaskSpec, TrafficTaskSpec } from "../../../core/index.js";
import { CRD_FIXTURES, cleanupAll, sharedKubeApiServer } from "../../harness/index.js";
import type { KubeApiServer, KubeObject } from "../../harness/index.js";
import { fastRunners, makeContext, sampleResult } from "../actions/context.js";

after(cleanupAll);

const DIR = "examples/progressive";
const VS = CRD_FIXTURES.virtualService;

async function specOf<T extends K8sPatchTaskSpec | TrafficTaskSpec>(file: string, task: T["task"]): Promise<T> {
  const experiment = await parseExperimentFile(`${DIR}/${file}`);
  const found = experiment.tasks.find((entry) => entry.spec.task === task)?.spec;
  assert.ok(found, `${file} has a ${task} task`);
  return found as T;
}

async function server(): Promise<{ kube: KubeApiServer; kubeconfig: string }> {
  const kube = await sharedKubeApiServer();
  await kube.installCrds();
  for (const namespace of ["shop", "kserve-test"]) {
    if (!(await kube.admin.find({ apiVersion: "v1", kind: "Namespace", name: namespace }))) await kube.admin.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  }
  return { kube, kubeconfig: await kube.writeKubeconfig() };
}

function spec(object: KubeObject): Record<string, unknown> {
  return object["spec"] as Record<string, unknown>;
}

void describe("examples/progressive", { timeout: 180_000 }, () => {
  void it("every example parses", async () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
    assert.ok(files.length >= 7);
    for (const file of files) await parseExperimentFile(`${DIR}/${file}`);
  });

  void it("traffic examples move the weights of a VirtualService, an HTTPRoute and a Knative Service", async () => {
    const { kube, kubeconfig } = await server();
    await kube.admin.apply({ apiVersion: VS.apiVersion, kind: VS.kind, metadata: { name: "shop", namespace: "shop" }, spec: { hosts: ["shop"], http: [{ route: [{ destination: { host: "shop", subset: "v1" }, weight: 100 }, { destination: { host: "shop", subset: "v2" }, weight: 0 }] }] } });
    const istio = await specOf<TrafficTaskSpec>("istio-virtualservice.yaml", "traffic");
    // The sample result's winner is v2 and this is a plain run (its own last loop): promote.
    await fastRunners.traffic(istio, makeContext(istio, { policy: { kubeconfig } }).context);
    const vs = await kube.admin.get({ apiVersion: VS.apiVersion, kind: VS.kind, name: "shop", namespace: "shop" });
    assert.deepEqual((spec(vs)["http"] as Array<{ route: Array<{ weight: number }> }>)[0]?.route.map((r) => r.weight), [0, 100]);

    const route = CRD_FIXTURES.httpRoute;
    await kube.admin.apply({ apiVersion: route.apiVersion, kind: route.kind, metadata: { name: "shop", namespace: "shop" }, spec: { parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: "shop-v1", port: 8080, weight: 100 }, { name: "shop-v2", port: 8080, weight: 0 }] }] } });
    const blueGreen = await specOf<TrafficTaskSpec>("gateway-httproute.yaml", "traffic");
    await fastRunners.traffic(blueGreen, makeContext(blueGreen, { policy: { kubeconfig } }).context);
    const httpRoute = await kube.admin.get({ apiVersion: route.apiVersion, kind: route.kind, name: "shop", namespace: "shop" });
    assert.deepEqual((spec(httpRoute)["rules"] as Array<{ backendRefs: Array<{ weight: number }> }>)[0]?.backendRefs.map((b) => b.weight), [0, 100]);

    const ksvc = CRD_FIXTURES.knativeService;
    await kube.admin.apply({ apiVersion: ksvc.apiVersion, kind: ksvc.kind, metadata: { name: "hello", namespace: "default" }, spec: { traffic: [{ revisionName: "hello-00001", percent: 60 }, { revisionName: "hello-00002", percent: 40 }] } });
    const knative = await specOf<TrafficTaskSpec>("knative-service.yaml", "traffic");
    // No winner among hello-00001/hello-00002 in the sample result: promote goes back to the baseline.
    await fastRunners.traffic(knative, makeContext(knative, { policy: { kubeconfig } }).context);
    const service = await kube.admin.get({ apiVersion: ksvc.apiVersion, kind: ksvc.kind, name: "hello", namespace: "default" });
    assert.deepEqual((spec(service)["traffic"] as Array<{ percent: number }>).map((t) => t.percent), [100, 0]);
  });

  void it("k8s-patch examples: KServe canaryTrafficPercent, mirroring, header segmentation, session affinity", async () => {
    const { kube, kubeconfig } = await server();
    const isvc = CRD_FIXTURES.inferenceService;
    await kube.admin.apply({ apiVersion: isvc.apiVersion, kind: isvc.kind, metadata: { name: "sklearn-iris", namespace: "kserve-test" }, spec: { predictor: { model: { modelFormat: { name: "sklearn" } } } } });
    const kserve = await specOf<K8sPatchTaskSpec>("kserve-canary.yaml", "k8s-patch");
    const result = sampleResult({ versions: ["previous", "latest"], assessment: { winner: "latest", weights: { previous: 70, latest: 30 } } });
    await fastRunners["k8s-patch"](kserve, makeContext(kserve, { policy: { kubeconfig }, result }).context);
    const inference = await kube.admin.get({ apiVersion: isvc.apiVersion, kind: isvc.kind, name: "sklearn-iris", namespace: "kserve-test" });
    assert.equal((spec(inference)["predictor"] as { canaryTrafficPercent?: number }).canaryTrafficPercent, 30);

    await kube.admin.apply({ apiVersion: VS.apiVersion, kind: VS.kind, metadata: { name: "shop", namespace: "shop" }, spec: { hosts: ["shop"], http: [{ route: [{ destination: { host: "shop", subset: "v1" }, weight: 100 }] }] } });
    const mirror = await specOf<K8sPatchTaskSpec>("istio-mirroring.yaml", "k8s-patch");
    await fastRunners["k8s-patch"](mirror, makeContext(mirror, { policy: { kubeconfig } }).context);
    const mirrored = (spec(await kube.admin.get({ apiVersion: VS.apiVersion, kind: VS.kind, name: "shop", namespace: "shop" }))["http"] as Array<Record<string, unknown>>)[0];
    assert.deepEqual(mirrored?.["mirror"], { host: "shop", subset: "v2" });
    assert.deepEqual(mirrored?.["mirrorPercentage"], { value: 50 });

    const segment = await specOf<K8sPatchTaskSpec>("istio-header-segment.yaml", "k8s-patch");
    await fastRunners["k8s-patch"](segment, makeContext(segment, { policy: { kubeconfig } }).context);
    const routes = spec(await kube.admin.get({ apiVersion: VS.apiVersion, kind: VS.kind, name: "shop", namespace: "shop" }))["http"] as Array<{ match?: unknown; route: Array<{ destination: { subset: string } }> }>;
    assert.deepEqual(routes[0]?.match, [{ headers: { "x-user-group": { exact: "beta" } } }]);
    assert.deepEqual(routes.map((r) => r.route[0]?.destination.subset), ["v2", "v1"]);

    const dr = CRD_FIXTURES.destinationRule;
    await kube.admin.apply({ apiVersion: dr.apiVersion, kind: dr.kind, metadata: { name: "shop", namespace: "shop" }, spec: { host: "shop" } });
    const sticky = await specOf<K8sPatchTaskSpec>("istio-session-affinity.yaml", "k8s-patch");
    await fastRunners["k8s-patch"](sticky, makeContext(sticky, { policy: { kubeconfig } }).context);
    const rule = spec(await kube.admin.get({ apiVersion: dr.apiVersion, kind: dr.kind, name: "shop", namespace: "shop" }));
    assert.deepEqual((rule["trafficPolicy"] as { loadBalancer: unknown }).loadBalancer, { consistentHash: { httpCookie: { name: "shop-session", ttl: "3600s" } } });
    assert.deepEqual((rule["subsets"] as Array<{ trafficPolicy?: unknown }>)[0]?.trafficPolicy, { loadBalancer: { consistentHash: { httpHeaderName: "user" } } });
  });
});
