import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ErrorCode, isAssayError, parseExperimentText } from "../../../core/index.js";
import type { K8sPatchTaskSpec, ReadyTaskSpec, SlackTaskSpec } from "../../../core/index.js";
import { ActionFailedError, createSecretResolver } from "../../../coordinator/actions/index.js";
import { CRD_FIXTURES, cleanupAll, freePort, sharedKubeApiServer, waitUntil } from "../../harness/index.js";
import type { KubeApiServer, KubeObject, ManagedFieldsEntry } from "../../harness/index.js";
import { common, fastRunners, makeContext, startReceiver, writeKubeconfig } from "./context.js";
import type { Received, Reply } from "./context.js";

// Every test here runs against a real kube-apiserver (test/harness/kube.ts), each in its own
// namespace. The local stand-ins at the end cover only what a healthy API server never answers:
// 5xx and a hanging connection.

after(cleanupAll);

const VS = CRD_FIXTURES.virtualService;

interface Cluster {
  kube: KubeApiServer;
  namespace: string;
  /** Admin kubeconfig whose context namespace is `namespace`. */
  kubeconfig: string;
}

async function cluster(prefix: string): Promise<Cluster> {
  const kube = await sharedKubeApiServer();
  await kube.installCrds();
  const namespace = await kube.createNamespace(prefix);
  return { kube, namespace, kubeconfig: await kube.writeKubeconfig({ namespace }) };
}

/** The reviews VirtualService, all traffic on v1, its spec owned by another field manager. */
async function reviewsVirtualService(c: Cluster): Promise<KubeObject> {
  return c.kube.admin.apply(
    {
      apiVersion: VS.apiVersion,
      kind: VS.kind,
      metadata: { name: "reviews", namespace: c.namespace },
      spec: {
        hosts: ["reviews"],
        http: [
          {
            route: [
              { destination: { host: "reviews", subset: "v1" }, weight: 100 },
              { destination: { host: "reviews", subset: "v2" }, weight: 0 },
            ],
          },
        ],
      },
    },
    { fieldManager: "istio-operator" },
  );
}

function routeOf(object: KubeObject): Array<{ destination: { subset: string }; weight: number }> {
  return (object["spec"] as { http: Array<{ route: Array<{ destination: { subset: string }; weight: number }> }> }).http[0]!.route;
}

function managers(object: KubeObject): Array<[string, string]> {
  return (object.metadata.managedFields ?? []).filter((entry: ManagedFieldsEntry) => entry.subresource === undefined).map((entry) => [entry.manager, entry.operation]);
}

function patchSpec(namespace: string, extra: Partial<K8sPatchTaskSpec>): K8sPatchTaskSpec {
  return {
    task: "k8s-patch",
    apiVersion: VS.apiVersion,
    kind: VS.kind,
    resource: undefined,
    name: "reviews",
    namespace,
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

void describe("k8s-patch (real kube-apiserver)", () => {
  void it("merge-patches a VirtualService to the recommended weights, resolving the kind through discovery", async () => {
    const c = await cluster("patch-merge");
    await reviewsVirtualService(c);
    const spec = patchSpec(c.namespace, { patchTemplate: WEIGHTS_PATCH });
    const test = makeContext(spec, { policy: { kubeconfig: c.kubeconfig } });
    const outcome = await fastRunners["k8s-patch"](spec, test.context);

    const object = await c.kube.admin.get({ ...VS, name: "reviews", namespace: c.namespace });
    assert.deepEqual(routeOf(object).map((r) => [r.destination.subset, r.weight]), [["v1", 20], ["v2", 80]]);
    assert.deepEqual((object["spec"] as { hosts: string[] }).hosts, ["reviews"], "a merge patch leaves the other fields alone");
    assert.equal(outcome.detail?.["path"], `/apis/networking.istio.io/v1beta1/namespaces/${c.namespace}/virtualservices/reviews`);
    assert.equal(outcome.detail?.["contentType"], "application/merge-patch+json");
    assert.equal(outcome.detail?.["resourceVersion"], object.metadata.resourceVersion);
    assert.ok(managers(object).some(([manager, operation]) => manager === "assay" && operation === "Update"), `fieldManager=assay: ${JSON.stringify(managers(object))}`);
    assert.ok(!(test.logs() + JSON.stringify(outcome)).includes(c.kube.adminToken));
  });

  void it("sends a JSON patch with test guards, and fails without retrying when a guard does not hold", async () => {
    const c = await cluster("patch-json");
    await reviewsVirtualService(c);
    const ops = (host: string): string => `[
      {"op": "test", "path": "/spec/hosts/0", "value": "${host}"},
      {"op": "replace", "path": "/spec/http/0/route/1/weight", "value": {{ .Weights.v2 }}},
      {"op": "replace", "path": "/spec/http/0/route/0/weight", "value": {{ .Weights.v1 }}}
    ]`;
    const spec = patchSpec(c.namespace, { patchType: "json", patchTemplate: ops("reviews") });
    const outcome = await fastRunners["k8s-patch"](spec, makeContext(spec, { policy: { kubeconfig: c.kubeconfig } }).context);
    assert.equal(outcome.detail?.["contentType"], "application/json-patch+json");
    const patched = await c.kube.admin.get({ ...VS, name: "reviews", namespace: c.namespace });
    assert.deepEqual(routeOf(patched).map((r) => r.weight), [20, 80]);

    const guarded = patchSpec(c.namespace, { patchType: "json", patchTemplate: ops("ratings") });
    await assert.rejects(fastRunners["k8s-patch"](guarded, makeContext(guarded, { policy: { kubeconfig: c.kubeconfig } }).context), (error: unknown) => {
      assert.ok(error instanceof ActionFailedError);
      assert.equal(error.attempts, 1);
      assert.match(error.message, /HTTP 422 \(a test operation failed/);
      return true;
    });
    const after = await c.kube.admin.get({ ...VS, name: "reviews", namespace: c.namespace });
    assert.equal(after.metadata.resourceVersion, patched.metadata.resourceVersion, "nothing changed");
  });

  void it("server-side applies with fieldManager=assay and force, taking over fields another manager owns", async () => {
    const c = await cluster("patch-apply");
    await reviewsVirtualService(c);
    const spec = patchSpec(c.namespace, {
      resource: "virtualservices",
      patchType: "apply",
      patchTemplate: "spec:\n  hosts: [reviews]\n  http:\n    - route:\n        - destination: {host: reviews, subset: {{ .Winner }}}\n          weight: 100\n",
    });
    const outcome = await fastRunners["k8s-patch"](spec, makeContext(spec, { policy: { kubeconfig: c.kubeconfig } }).context);
    assert.equal(outcome.detail?.["contentType"], "application/apply-patch+yaml");
    const object = await c.kube.admin.get({ ...VS, name: "reviews", namespace: c.namespace });
    assert.deepEqual(routeOf(object).map((r) => [r.destination.subset, r.weight]), [["v2", 100]]);
    const owners = object.metadata.managedFields ?? [];
    const assay = owners.find((entry) => entry.manager === "assay");
    assert.equal(assay?.operation, "Apply");
    assert.match(JSON.stringify(assay?.fieldsV1), /"f:http"/, "assay owns spec.http now");
    assert.doesNotMatch(JSON.stringify(owners.find((entry) => entry.manager === "istio-operator")?.fieldsV1 ?? {}), /"f:http"/, "force took it from istio-operator");
  });

  void it("fails at once on an object or a kind the server does not have", async () => {
    const c = await cluster("patch-missing");
    const missing = patchSpec(c.namespace, { name: "nope", patchTemplate: WEIGHTS_PATCH });
    await assert.rejects(fastRunners["k8s-patch"](missing, makeContext(missing, { policy: { kubeconfig: c.kubeconfig } }).context), (error: unknown) => {
      assert.ok(error instanceof ActionFailedError);
      assert.equal(error.attempts, 1);
      assert.match(error.message, /HTTP 404: VirtualService\.networking\.istio\.io\/v1beta1 .*\/nope not found/);
      return true;
    });
    const unserved = patchSpec(c.namespace, { apiVersion: "split.smi-spec.io/v1alpha2", kind: "TrafficSplit", patchTemplate: "{}" });
    await assert.rejects(fastRunners["k8s-patch"](unserved, makeContext(unserved, { policy: { kubeconfig: c.kubeconfig } }).context), /does not serve split\.smi-spec\.io\/v1alpha2/);
  });

  void it("fails with a configuration error when there is no cluster to talk to", async () => {
    const spec = patchSpec("default", { patchTemplate: WEIGHTS_PATCH });
    await assert.rejects(
      fastRunners["k8s-patch"](spec, makeContext(spec, { policy: { kubeconfig: "/nonexistent/kubeconfig" } }).context),
      (error: unknown) => isAssayError(error) && error.kind === "configuration" && error.code === ErrorCode.KubernetesConfig,
    );
  });
});

void describe("ready (real kube-apiserver)", () => {
  function readySpec(namespace: string, extra: Partial<ReadyTaskSpec> = {}): ReadyTaskSpec {
    return { task: "ready", name: "reviews-v2", group: "apps", version: "v1", resource: "deployments", namespace, condition: "Available", ...common, timeoutMs: 60_000, ...extra };
  }

  async function createDeployment(c: Cluster): Promise<void> {
    await c.kube.admin.apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "reviews-v2", namespace: c.namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "reviews", version: "v2" } },
        template: { metadata: { labels: { app: "reviews", version: "v2" } }, spec: { containers: [{ name: "reviews", image: "reviews:2.0.0" }] } },
      },
    });
  }

  void it("polls until the object exists and its condition is True", async () => {
    const c = await cluster("ready-poll");
    const spec = readySpec(c.namespace);
    const test = makeContext(spec, { policy: { kubeconfig: c.kubeconfig } });
    const running = fastRunners.ready(spec, test.context);
    const said = (pattern: RegExp) => () => test.events.some((event) => pattern.test(event.message));
    await waitUntil(said(/does not exist/), { timeoutMs: 30_000, what: "ready to see no Deployment" });
    await createDeployment(c);
    await c.kube.fakeDeploymentAvailable(c.namespace, "reviews-v2", false);
    await waitUntil(said(/condition Available is False \(MinimumReplicasUnavailable/), { timeoutMs: 30_000, what: "ready to see Available=False" });
    await c.kube.fakeDeploymentAvailable(c.namespace, "reviews-v2", true);
    const outcome = await running;
    assert.ok((outcome.attempts ?? 0) >= 3, `attempts ${String(outcome.attempts)}`);
    assert.equal(outcome.detail?.["polls"], outcome.attempts);
    assert.equal(outcome.detail?.["object"], `deployments.apps/v1 ${c.namespace}/reviews-v2`);
  });

  void it("fails after its timeout naming the condition that was missing", async () => {
    const c = await cluster("ready-timeout");
    await createDeployment(c);
    await c.kube.fakeDeploymentAvailable(c.namespace, "reviews-v2", false);
    const spec = readySpec(c.namespace, { timeoutMs: 1000 });
    const startMs = Date.now();
    await assert.rejects(fastRunners.ready(spec, makeContext(spec, { policy: { kubeconfig: c.kubeconfig } }).context), (error: unknown) => {
      assert.ok(error instanceof ActionFailedError);
      assert.match(error.message, new RegExp(`deployments\\.apps/v1 ${c.namespace}/reviews-v2: not ready after 1000 ms .*condition Available is False \\(MinimumReplicasUnavailable: Deployment does not have minimum availability\\.\\)`));
      return true;
    });
    assert.ok(Date.now() - startMs < 15_000);
  });

  void it("waits for existence only when no condition is given, in the kubeconfig's namespace by default", async () => {
    const c = await cluster("ready-exists");
    await createDeployment(c);
    const spec = readySpec(c.namespace, { condition: undefined, namespace: undefined });
    const outcome = await fastRunners.ready(spec, makeContext(spec, { policy: { kubeconfig: c.kubeconfig } }).context);
    assert.equal(outcome.attempts, 1);
    assert.equal(outcome.detail?.["object"], `deployments.apps/v1 ${c.namespace}/reviews-v2`);
  });

  void it("waits for a custom resource's Ready condition (a KServe InferenceService)", async () => {
    const c = await cluster("ready-crd");
    const isvc = CRD_FIXTURES.inferenceService;
    await c.kube.admin.apply({ apiVersion: isvc.apiVersion, kind: isvc.kind, metadata: { name: "sklearn-iris", namespace: c.namespace }, spec: { predictor: { model: { modelFormat: { name: "sklearn" } } } } });
    const ref = { apiVersion: isvc.apiVersion, kind: isvc.kind, name: "sklearn-iris", namespace: c.namespace };
    await c.kube.setConditions(ref, [{ type: "Ready", status: "False", reason: "RevisionMissing" }]);
    const spec = readySpec(c.namespace, { name: "sklearn-iris", group: "serving.kserve.io", version: "v1beta1", resource: "inferenceservices", condition: "Ready" });
    const test = makeContext(spec, { policy: { kubeconfig: c.kubeconfig } });
    const running = fastRunners.ready(spec, test.context);
    await waitUntil(() => test.events.some((event) => /condition Ready is False \(RevisionMissing/.test(event.message)), { timeoutMs: 30_000, what: "ready to see Ready=False" });
    await c.kube.setConditions(ref, [{ type: "Ready", status: "True" }]);
    const outcome = await running;
    assert.equal(outcome.detail?.["condition"], "Ready");
  });

  void it("with Iter8 v1.x's conditions list, is ready as soon as any of them is True", async () => {
    const c = await cluster("ready-any");
    const isvc = CRD_FIXTURES.inferenceService;
    await c.kube.admin.apply({ apiVersion: isvc.apiVersion, kind: isvc.kind, metadata: { name: "sklearn-any", namespace: c.namespace }, spec: { predictor: { model: { modelFormat: { name: "sklearn" } } } } });
    const ref = { apiVersion: isvc.apiVersion, kind: isvc.kind, name: "sklearn-any", namespace: c.namespace };
    await c.kube.setConditions(ref, [{ type: "Ready", status: "False", reason: "RevisionMissing" }]);
    const spec = readySpec(c.namespace, { name: "sklearn-any", group: "serving.kserve.io", version: "v1beta1", resource: "inferenceservices", condition: undefined, conditions: ["Ready", "PredictorReady"] });
    const test = makeContext(spec, { policy: { kubeconfig: c.kubeconfig } });
    const running = fastRunners.ready(spec, test.context);
    await waitUntil(() => test.events.some((event) => /condition Ready is False \(RevisionMissing.*; the object has no PredictorReady condition/.test(event.message)), { timeoutMs: 30_000, what: "ready to see neither condition True" });
    await c.kube.setConditions(ref, [{ type: "Ready", status: "False", reason: "RevisionMissing" }, { type: "PredictorReady", status: "True" }]);
    const outcome = await running;
    assert.equal(outcome.detail?.["condition"], "Ready or PredictorReady");
  });
});

void describe("Kubernetes Secret references (real kube-apiserver)", () => {
  async function withSecret(prefix: string, data: Record<string, string>): Promise<Cluster> {
    const c = await cluster(prefix);
    await c.kube.admin.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "slack", namespace: c.namespace },
      data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString("base64")])),
    });
    return c;
  }

  void it("resolves secret:namespace/name/key and secret:name/key (the kubeconfig's namespace), and remembers values for scrubbing", async () => {
    const c = await withSecret("secret-ref", { url: "https://hooks.example/services/T/B/kubeSecretXYZ" });
    const secrets = createSecretResolver({ kubeconfig: c.kubeconfig });
    const value = await secrets.resolve(`secret:${c.namespace}/slack/url`);
    assert.equal(value, "https://hooks.example/services/T/B/kubeSecretXYZ");
    assert.equal(await createSecretResolver({ kubeconfig: c.kubeconfig }).resolve("${secret:slack/url}"), value);
    assert.ok(secrets.knownValues().includes(value));
    assert.ok(secrets.knownValues().some((known) => known.includes("kubeSecretXYZ") && !known.startsWith("https")));
    await assert.rejects(secrets.resolve(`secret:${c.namespace}/slack/missing`), (error: unknown) => isAssayError(error) && error.code === ErrorCode.SecretUnavailable && /has no key missing/.test(error.message));
    await assert.rejects(secrets.resolve(`secret:${c.namespace}/nope/url`), (error: unknown) => isAssayError(error) && error.code === ErrorCode.SecretUnavailable && /not found/.test(error.message));
  });

  void it("an unreachable API server is a Kubernetes API failure, not a missing secret", async () => {
    const kubeconfig = await writeKubeconfig(`http://127.0.0.1:${await freePort()}`, "token");
    const secrets = createSecretResolver({ kubeconfig, timeoutMs: 2000 });
    await assert.rejects(secrets.resolve("secret:default/slack/url"), (error: unknown) => isAssayError(error) && error.code === ErrorCode.KubernetesApi);
  });

  void it("a valueFrom.secretKeyRef in an experiment is read from the cluster when the task runs, and never shown", async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: "ok" }));
    after(() => receiver.close());
    const webhook = `${receiver.url}/services/T0/B0/valueFromSecret123`;
    const c = await withSecret("secret-valuefrom", { url: webhook });
    const experiment = parseExperimentText(
      `spec:
  - task: slack
    with:
      url:
        valueFrom:
          secretKeyRef: {name: slack, key: url, namespace: ${c.namespace}}
`,
      "<test>",
    );
    const slack = experiment.tasks[0]!.spec as SlackTaskSpec;
    assert.equal(slack.url, `\${secret:${c.namespace}/slack/url}`);
    const test = makeContext(slack, { secrets: createSecretResolver({ kubeconfig: c.kubeconfig }) });
    const outcome = await fastRunners.slack(slack, test.context);
    assert.equal(receiver.received[0]?.url, "/services/T0/B0/valueFromSecret123");
    assert.ok(!(JSON.stringify(outcome) + test.logs() + JSON.stringify(test.events)).includes("valueFromSecret123"));
  });

  void it("a token without access to the Secret gets the API's 403, named in the error", async () => {
    const c = await withSecret("secret-forbidden", { url: "https://hooks.example/x" });
    const account = { namespace: c.namespace, name: "no-secrets" };
    await c.kube.createServiceAccount(account);
    const kubeconfig = await c.kube.writeKubeconfig({ token: await c.kube.serviceAccountToken(account), namespace: c.namespace });
    await assert.rejects(createSecretResolver({ kubeconfig }).resolve("secret:slack/url"), (error: unknown) => {
      assert.ok(error instanceof Error && "kind" in error && error.kind === "configuration");
      assert.match(error.message, new RegExp(`reading Secret ${c.namespace}/slack failed with HTTP 403`));
      return true;
    });
  });
});

// ---- Local stand-ins: answers a healthy kube-apiserver cannot be made to give on demand.

const STANDIN_TOKEN = "kube-api-token-0123456789";
const VS_PATH = "/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices/reviews";

async function standIn(reply: (request: Received) => Reply): Promise<{ kubeconfig: string; received: Received[] }> {
  const receiver = await startReceiver(reply);
  after(() => receiver.close());
  return { kubeconfig: await writeKubeconfig(receiver.url, STANDIN_TOKEN), received: receiver.received };
}

void describe("k8s-patch and ready against stand-ins (5xx, no answer)", () => {
  void it("retries a 503 (an API server whose etcd is away answers so) and then succeeds", async () => {
    // A real API server answers 503 only when it is broken (etcd unreachable); breaking the shared
    // one would break the other tests.
    let patches = 0;
    const api = await standIn((request) => {
      if (request.method !== "PATCH") return { status: 404 };
      patches++;
      return patches === 1
        ? { status: 503, headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "Status", code: 503, message: "etcdserver: request timed out" }) }
        : { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ metadata: { resourceVersion: "7" } }) };
    });
    const spec = patchSpec("default", { resource: "virtualservices", patchTemplate: WEIGHTS_PATCH });
    const outcome = await fastRunners["k8s-patch"](spec, makeContext(spec, { policy: { kubeconfig: api.kubeconfig } }).context);
    assert.equal(outcome.attempts, 2);
    assert.deepEqual(api.received.map((r) => [r.method, r.url]), [
      ["PATCH", `${VS_PATH}?fieldManager=assay`],
      ["PATCH", `${VS_PATH}?fieldManager=assay`],
    ]);
  });

  void it("ends a poll the API server never answers at the task's deadline", async () => {
    // A real API server answers every request; a hung connection needs a server that does not.
    const api = await standIn(() => "hang");
    const spec: ReadyTaskSpec = { task: "ready", name: "reviews-v2", group: "apps", version: "v1", resource: "deployments", namespace: "default", condition: "Available", ...common, timeoutMs: 500 };
    const startMs = Date.now();
    await assert.rejects(fastRunners.ready(spec, makeContext(spec, { policy: { kubeconfig: api.kubeconfig } }).context), /not ready after 500 ms/);
    assert.ok(Date.now() - startMs < 5000);
    assert.ok(api.received.length >= 1);
  });
});
