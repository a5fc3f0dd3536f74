import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ErrorCode, isAssayError } from "../../../core/index.js";
import type { K8sPatchTaskSpec, ReadyTaskSpec } from "../../../core/index.js";
import { ActionFailedError, createSecretResolver } from "../../../coordinator/actions/index.js";
import { cleanupAll, freePort } from "../../harness/index.js";
import { common, fastRunners, makeContext, startReceiver, writeKubeconfig } from "./context.js";
import type { Received, Reply } from "./context.js";

after(cleanupAll);

const API_TOKEN = "kube-api-token-0123456789";

const ISTIO_DISCOVERY = {
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: "networking.istio.io/v1beta1",
  resources: [
    { name: "virtualservices", singularName: "virtualservice", namespaced: true, kind: "VirtualService", verbs: ["get", "patch"] },
    { name: "virtualservices/status", singularName: "", namespaced: true, kind: "VirtualService", verbs: ["get", "patch"] },
    { name: "destinationrules", singularName: "destinationrule", namespaced: true, kind: "DestinationRule", verbs: ["get", "patch"] },
  ],
};

const CORE_DISCOVERY = {
  kind: "APIResourceList",
  groupVersion: "v1",
  resources: [{ name: "secrets", singularName: "secret", namespaced: true, kind: "Secret", verbs: ["get"] }],
};

const VS_PATH = "/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices/reviews";

interface FakeApi {
  url: string;
  kubeconfig: string;
  received: Received[];
  patches(): Received[];
}

/** A local server speaking the Kubernetes API paths these tests use. */
async function startFakeApi(options: { deploymentAfterPolls?: number; available?: boolean } = {}): Promise<FakeApi> {
  let deploymentPolls = 0;
  const json = (status: number, body: unknown): Reply => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const receiver = await startReceiver((request) => {
    if (request.headers["authorization"] !== `Bearer ${API_TOKEN}`) return json(401, { kind: "Status", message: "Unauthorized" });
    const path = request.url.split("?")[0] ?? "";
    if (request.method === "GET" && path === "/apis/networking.istio.io/v1beta1") return json(200, ISTIO_DISCOVERY);
    if (request.method === "GET" && path === "/api/v1") return json(200, CORE_DISCOVERY);
    if (request.method === "PATCH" && path === VS_PATH) {
      if (request.headers["content-type"] === "application/json-patch+json") {
        const ops = JSON.parse(request.body) as Array<{ op: string; path: string; value?: unknown }>;
        const failingTest = ops.find((op) => op.op === "test" && op.path === "/spec/hosts/0" && op.value !== "reviews");
        if (failingTest) return json(422, { kind: "Status", status: "Failure", message: "the server rejected our request due to an error in our request", reason: "Invalid", code: 422 });
      }
      return json(200, { apiVersion: "networking.istio.io/v1beta1", kind: "VirtualService", metadata: { name: "reviews", namespace: "default", resourceVersion: "4242" } });
    }
    if (request.method === "GET" && path === "/apis/apps/v1/namespaces/default/deployments/reviews-v2") {
      deploymentPolls++;
      if (deploymentPolls <= (options.deploymentAfterPolls ?? 2)) return json(404, { kind: "Status", reason: "NotFound", code: 404 });
      const ready = options.available !== false && deploymentPolls > (options.deploymentAfterPolls ?? 2) + 1;
      return json(200, {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "reviews-v2", namespace: "default" },
        status: { conditions: [{ type: "Progressing", status: "True" }, { type: "Available", status: ready ? "True" : "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." }] },
      });
    }
    if (request.method === "GET" && path === "/api/v1/namespaces/istio-system/secrets/slack") {
      return json(200, { apiVersion: "v1", kind: "Secret", metadata: { name: "slack" }, data: { url: Buffer.from("https://hooks.example/services/T/B/kubeSecretXYZ").toString("base64") } });
    }
    return json(404, { kind: "Status", reason: "NotFound", code: 404, message: `no route for ${request.method} ${path}` });
  });
  after(() => receiver.close());
  const kubeconfig = await writeKubeconfig(receiver.url, API_TOKEN);
  return {
    url: receiver.url,
    kubeconfig,
    received: receiver.received,
    patches: () => receiver.received.filter((request) => request.method === "PATCH"),
  };
}

function patchSpec(extra: Partial<K8sPatchTaskSpec>): K8sPatchTaskSpec {
  return {
    task: "k8s-patch",
    apiVersion: "networking.istio.io/v1beta1",
    kind: "VirtualService",
    resource: undefined,
    name: "reviews",
    namespace: "default",
    patchType: "merge",
    patchTemplate: "{}",
    ...common,
    ...extra,
  };
}

const WEIGHTS_PATCH = `spec:
  http:
    - route:
        - destination: {host: reviews, subset: v1}
          weight: {{ .Weights.v1 }}
        - destination: {host: reviews, subset: v2}
          weight: {{ .Weights.v2 }}
`;

void describe("k8s-patch", () => {
  void it("merge-patches a VirtualService to the recommended weights, resolving the kind through discovery", async () => {
    const api = await startFakeApi();
    const spec = patchSpec({ patchTemplate: WEIGHTS_PATCH });
    const test = makeContext(spec, { policy: { kubeconfig: api.kubeconfig } });
    const outcome = await fastRunners["k8s-patch"](spec, test.context);
    assert.equal(api.received[0]?.method, "GET");
    assert.equal(api.received[0]?.url, "/apis/networking.istio.io/v1beta1");
    const [patch] = api.patches();
    assert.ok(patch);
    assert.equal(patch.url, `${VS_PATH}?fieldManager=assay`);
    assert.equal(patch.headers["content-type"], "application/merge-patch+json");
    assert.deepEqual(JSON.parse(patch.body), {
      spec: {
        http: [
          {
            route: [
              { destination: { host: "reviews", subset: "v1" }, weight: 20 },
              { destination: { host: "reviews", subset: "v2" }, weight: 80 },
            ],
          },
        ],
      },
    });
    assert.equal(outcome.detail?.["resourceVersion"], "4242");
    assert.equal(outcome.detail?.["path"], VS_PATH);
    assert.ok(!(test.logs() + JSON.stringify(outcome)).includes(API_TOKEN));
  });

  void it("sends a JSON patch with test guards, and fails without retrying when a guard does not hold", async () => {
    const api = await startFakeApi();
    const ops = (host: string): string => `[
      {"op": "test", "path": "/spec/hosts/0", "value": "${host}"},
      {"op": "replace", "path": "/spec/http/0/route/1/weight", "value": {{ .Weights.v2 }}}
    ]`;
    const spec = patchSpec({ patchType: "json", patchTemplate: ops("reviews") });
    await fastRunners["k8s-patch"](spec, makeContext(spec, { policy: { kubeconfig: api.kubeconfig } }).context);
    const [patch] = api.patches();
    assert.ok(patch);
    assert.equal(patch.headers["content-type"], "application/json-patch+json");
    assert.deepEqual(JSON.parse(patch.body), [
      { op: "test", path: "/spec/hosts/0", value: "reviews" },
      { op: "replace", path: "/spec/http/0/route/1/weight", value: 80 },
    ]);

    const guarded = patchSpec({ patchType: "json", patchTemplate: ops("ratings") });
    await assert.rejects(fastRunners["k8s-patch"](guarded, makeContext(guarded, { policy: { kubeconfig: api.kubeconfig } }).context), (error: unknown) => {
      assert.ok(error instanceof ActionFailedError);
      assert.equal(error.attempts, 1);
      assert.match(error.message, /HTTP 422 \(a test operation failed/);
      return true;
    });
    assert.equal(api.patches().length, 2);
  });

  void it("server-side applies with fieldManager=assay and force, naming the resource directly (no discovery)", async () => {
    const api = await startFakeApi();
    const spec = patchSpec({
      kind: "VirtualService",
      resource: "virtualservices",
      patchType: "apply",
      patchTemplate: "spec:\n  http:\n    - route:\n        - destination: {host: reviews, subset: {{ .Winner }}}\n          weight: 100\n",
    });
    await fastRunners["k8s-patch"](spec, makeContext(spec, { policy: { kubeconfig: api.kubeconfig } }).context);
    assert.equal(api.received.length, 1, "no discovery request");
    const [patch] = api.patches();
    assert.ok(patch);
    assert.equal(patch.url, `${VS_PATH}?fieldManager=assay&force=true`);
    assert.equal(patch.headers["content-type"], "application/apply-patch+yaml");
    const body = JSON.parse(patch.body) as Record<string, unknown>;
    assert.equal(body["apiVersion"], "networking.istio.io/v1beta1");
    assert.equal(body["kind"], "VirtualService");
    assert.deepEqual(body["metadata"], { name: "reviews", namespace: "default" });
    assert.equal(JSON.stringify(body["spec"]), '{"http":[{"route":[{"destination":{"host":"reviews","subset":"v2"},"weight":100}]}]}');
  });

  void it("fails with a configuration error when there is no cluster to talk to", async () => {
    const spec = patchSpec({ patchTemplate: WEIGHTS_PATCH });
    await assert.rejects(
      fastRunners["k8s-patch"](spec, makeContext(spec, { policy: { kubeconfig: "/nonexistent/kubeconfig" } }).context),
      (error: unknown) => isAssayError(error) && error.kind === "configuration" && error.code === ErrorCode.KubernetesConfig,
    );
  });
});

void describe("ready", () => {
  function readySpec(extra: Partial<ReadyTaskSpec> = {}): ReadyTaskSpec {
    return { task: "ready", name: "reviews-v2", group: "apps", version: "v1", resource: "deployments", namespace: "default", condition: "Available", ...common, timeoutMs: 10_000, ...extra };
  }

  void it("polls until the object exists and its condition is True", async () => {
    const api = await startFakeApi({ deploymentAfterPolls: 2 });
    const spec = readySpec();
    const test = makeContext(spec, { policy: { kubeconfig: api.kubeconfig } });
    const outcome = await fastRunners.ready(spec, test.context);
    assert.equal(outcome.attempts, 4);
    assert.equal(outcome.detail?.["polls"], 4);
    assert.equal(api.received.filter((request) => request.url === "/apis/apps/v1/namespaces/default/deployments/reviews-v2").length, 4);
    assert.ok(test.events.some((event) => /does not exist/.test(event.message)));
    assert.ok(test.events.some((event) => /condition Available is False \(MinimumReplicasUnavailable/.test(event.message)));
  });

  void it("fails after its timeout naming the condition that was missing", async () => {
    const api = await startFakeApi({ deploymentAfterPolls: 0, available: false });
    const spec = readySpec({ timeoutMs: 400 });
    const startMs = Date.now();
    await assert.rejects(fastRunners.ready(spec, makeContext(spec, { policy: { kubeconfig: api.kubeconfig } }).context), (error: unknown) => {
      assert.ok(error instanceof ActionFailedError);
      assert.match(error.message, /deployments\.apps\/v1 default\/reviews-v2: not ready after 400 ms .*condition Available is False/);
      return true;
    });
    assert.ok(Date.now() - startMs < 5000);
  });

  void it("waits for existence only when no condition is given", async () => {
    const api = await startFakeApi({ deploymentAfterPolls: 1, available: false });
    const spec = readySpec({ condition: undefined });
    const outcome = await fastRunners.ready(spec, makeContext(spec, { policy: { kubeconfig: api.kubeconfig } }).context);
    assert.equal(outcome.attempts, 2);
  });
});

void describe("Kubernetes Secret references", () => {
  void it("resolves secret:namespace/name/key and remembers the value for scrubbing", async () => {
    const api = await startFakeApi();
    const secrets = createSecretResolver({ kubeconfig: api.kubeconfig });
    const value = await secrets.resolve("secret:istio-system/slack/url");
    assert.equal(value, "https://hooks.example/services/T/B/kubeSecretXYZ");
    assert.ok(secrets.knownValues().includes(value));
    assert.ok(secrets.knownValues().some((known) => known.includes("kubeSecretXYZ") && !known.startsWith("https")));
    await assert.rejects(secrets.resolve("secret:istio-system/slack/missing"), (error: unknown) => isAssayError(error) && error.code === ErrorCode.SecretUnavailable && /has no key missing/.test(error.message));
    await assert.rejects(secrets.resolve("secret:default/nope/url"), (error: unknown) => isAssayError(error) && error.code === ErrorCode.SecretUnavailable && /not found/.test(error.message));
  });

  void it("an unreachable API server is a Kubernetes API failure, not a missing secret", async () => {
    const kubeconfig = await writeKubeconfig(`http://127.0.0.1:${await freePort()}`, "token");
    const secrets = createSecretResolver({ kubeconfig, timeoutMs: 2000 });
    await assert.rejects(secrets.resolve("secret:default/slack/url"), (error: unknown) => isAssayError(error) && error.code === ErrorCode.KubernetesApi);
  });
});
