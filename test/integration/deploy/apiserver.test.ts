/**
 * The deploy tree on a real kube-apiserver (v1.20.2, test/harness/kube.ts): every overlay,
 * rendered by `kubectl kustomize`, is server-side applied (server dry run first, then for real),
 * and RBAC is checked the way an operator would, with `kubectl auth can-i --as=system:serviceaccount:…`
 * plus a rules review for "and nothing else": the coordinator may get/patch what the action tasks
 * need, the agent may read nodes (its node-labels init container) and patch nothing. The actions
 * and the init container's node read then run with the service accounts' own tokens.
 *
 * What 1.20 does not serve is left out of the apply and named here: policy/v1 PodDisruptionBudget
 * (served from 1.21). Its spec is checked against 1.20's policy/v1beta1 instead (same fields).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify as toYaml } from "yaml";
import { isAssayError } from "../../../core/index.js";
import { agentLabelsFromNode, fetchNodeLabels } from "../../../ops/index.js";
import type { K8sPatchTaskSpec, ReadyTaskSpec } from "../../../core/index.js";
import { createSecretResolver } from "../../../coordinator/actions/index.js";
import { CRD_FIXTURES, cleanupAll, sharedKubeApiServer, uniqueName } from "../../harness/index.js";
import type { KubeApiServer, ServiceAccountRef } from "../../harness/index.js";
import { common, fastRunners, makeContext } from "../actions/context.js";
import { parseDocuments, repoRoot } from "../../unit/deploy/render.js";
import type { K8sObject } from "../../unit/deploy/render.js";

after(cleanupAll);

/** apiVersions the 1.20 API server does not serve, and why they are still fine. */
const UNSERVED_ON_1_20: Readonly<Record<string, string>> = {
  "policy/v1": "PodDisruptionBudget is policy/v1 from Kubernetes 1.21 (policy/v1beta1 before)",
};

interface Rendered {
  namespace: string;
  /** Appended to every name (cluster-scoped ones included). */
  suffix: string;
  served: K8sObject[];
  unserved: K8sObject[];
}

/**
 * `kubectl kustomize deploy/<overlay>`, then the same output through a throwaway kustomization
 * that sets `namespace` and `nameSuffix`: the three overlays share one API server, and their
 * namespace and cluster-scoped objects (ClusterRoles, the ClusterRoleBinding) would otherwise
 * collide. Kustomize renames consistently (RoleBinding subjects and roleRefs, Secret and ConfigMap
 * references), so what is applied is the rendered manifest under other names.
 */
function renderIsolated(overlay: string): Rendered {
  const namespace = uniqueName(`assay-${overlay.replace(/^overlays\//, "")}`);
  const suffix = `-${namespace.slice(-6)}`;
  const dir = mkdtempSync(join(tmpdir(), "assay-deploy-render-"));
  try {
    const rendered = execFileSync("kubectl", ["kustomize", join(repoRoot(), "deploy", overlay)], { encoding: "utf8" });
    writeFileSync(join(dir, "rendered.yaml"), rendered);
    writeFileSync(
      join(dir, "kustomization.yaml"),
      toYaml({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", namespace, nameSuffix: suffix, resources: ["rendered.yaml"] }),
    );
    const objects = parseDocuments(execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" }), overlay) as K8sObject[];
    return {
      namespace,
      suffix,
      served: objects.filter((o) => !(o.apiVersion in UNSERVED_ON_1_20)),
      unserved: objects.filter((o) => o.apiVersion in UNSERVED_ON_1_20),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const yamlOf = (objects: readonly K8sObject[]): string => objects.map((o) => toYaml(o)).join("---\n");

async function applyAll(kube: KubeApiServer, r: Rendered): Promise<void> {
  const namespaceDoc = r.served.filter((o) => o.kind === "Namespace");
  assert.deepEqual(namespaceDoc.map((o) => o.metadata.name), [r.namespace]);
  await kube.kubectl(["apply", "--server-side", "-f", "-"], { input: yamlOf(namespaceDoc) });
  const dryRun = await kube.kubectl(["apply", "--server-side", "--dry-run=server", "-f", "-"], { input: yamlOf(r.served) });
  assert.equal(dryRun.stdout.trim().split("\n").filter((line) => / serverside-applied \(server dry run\)$/.test(line)).length, r.served.length, dryRun.stdout);
  const applied = await kube.kubectl(["apply", "--server-side", "-f", "-"], { input: yamlOf(r.served) });
  assert.equal(applied.stdout.trim().split("\n").filter((line) => / serverside-applied$/.test(line)).length, r.served.length, applied.stdout);
}

/** The service accounts of a rendered overlay. */
function accounts(r: Rendered): { coordinator: ServiceAccountRef; agent: ServiceAccountRef } {
  return { coordinator: { namespace: r.namespace, name: `assay-coordinator${r.suffix}` }, agent: { namespace: r.namespace, name: `assay-agent${r.suffix}` } };
}

async function allCanI(kube: KubeApiServer, account: ServiceAccountRef, checks: ReadonlyArray<[verb: string, resource: string, namespace?: string]>): Promise<string[]> {
  const answers = await Promise.all(checks.map(async ([verb, resource, namespace]) => `${(await kube.canI(account, verb, resource, namespace)) ? "yes" : "no"} ${verb} ${resource}${namespace ? ` -n ${namespace}` : ""}`));
  return answers;
}

for (const overlay of ["base", "overlays/dev", "overlays/ha"] as const) {
  void describe(`deploy/${overlay} on a real kube-apiserver`, () => {
    let prepared: Promise<{ kube: KubeApiServer; r: Rendered }> | undefined;
    /** Renders and applies once for the tests below (each test still stands alone: it awaits this). */
    const applied = (): Promise<{ kube: KubeApiServer; r: Rendered }> =>
      (prepared ??= (async () => {
        const kube = await sharedKubeApiServer();
        // Istio's VirtualService is served, as where the coordinator patches it (kubectl auth
        // can-i resolves the resource name through discovery).
        await kube.installCrds();
        const r = renderIsolated(overlay);
        await applyAll(kube, r);
        return { kube, r };
      })());

    void it("server-side applies (server dry run, then for real) every object; only what 1.20 does not serve is left out", async () => {
      const { kube, r } = await applied();
      assert.ok(r.served.length >= 20, `${r.served.length} objects`);
      assert.deepEqual(r.unserved.map((o) => `${o.apiVersion} ${o.kind}`), ["policy/v1 PodDisruptionBudget"], "nothing else is left out");
      for (const object of r.served) {
        const stored = await kube.admin.get({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace });
        assert.ok(
          (stored.metadata.managedFields ?? []).some((entry) => entry.manager === "kubectl" && entry.operation === "Apply"),
          `${object.kind} ${object.metadata.name} was server-side applied`,
        );
      }
      // The left-out PodDisruptionBudget, under the version 1.20 serves: its spec is valid there.
      for (const pdb of r.unserved) {
        await kube.admin.apply({ ...pdb, apiVersion: "policy/v1beta1" }, { dryRun: true });
      }
    });

    void it("the coordinator may get/patch what the action tasks need, and nothing else", async () => {
      const { kube, r } = await applied();
      const { coordinator } = accounts(r);
      assert.deepEqual(await kube.permissions(coordinator, r.namespace), [
        "get deployments.apps",
        "get httproutes.gateway.networking.k8s.io",
        "get inferenceservices.serving.kserve.io",
        "get secrets/assay-action-secrets",
        "get services",
        "get services.serving.knative.dev",
        "get virtualservices.networking.istio.io",
        "patch httproutes.gateway.networking.k8s.io",
        "patch inferenceservices.serving.kserve.io",
        "patch services.serving.knative.dev",
        "patch virtualservices.networking.istio.io",
      ]);
      assert.deepEqual(await kube.permissions(coordinator, "default"), [], "bound per namespace: nothing outside its own");
      const vs = "virtualservices.networking.istio.io";
      assert.deepEqual(
        await allCanI(kube, coordinator, [
          ["patch", vs, r.namespace],
          ["get", vs, r.namespace],
          ["get", "deployments.apps", r.namespace],
          ["get", "services", r.namespace],
          ["get", "secrets/assay-action-secrets", r.namespace],
          ["list", vs, r.namespace],
          ["watch", vs, r.namespace],
          ["delete", vs, r.namespace],
          ["update", vs, r.namespace],
          ["create", vs, r.namespace],
          ["patch", "deployments.apps", r.namespace],
          ["list", "deployments.apps", r.namespace],
          ["get", "secrets", r.namespace],
          ["get", `secrets/assay-nats-users${r.suffix}`, r.namespace],
          ["list", "secrets", r.namespace],
          ["create", "pods", r.namespace],
          ["patch", vs, "default"],
          ["get", "nodes"],
          // What the traffic task shifts (docs/progressive.md): get and patch, nothing more.
          ["patch", "httproutes.gateway.networking.k8s.io", r.namespace],
          ["patch", "services.serving.knative.dev", r.namespace],
          ["patch", "inferenceservices.serving.kserve.io", r.namespace],
          ["delete", "httproutes.gateway.networking.k8s.io", r.namespace],
          ["patch", "services", r.namespace],
        ]),
        [
          `yes patch ${vs} -n ${r.namespace}`,
          `yes get ${vs} -n ${r.namespace}`,
          `yes get deployments.apps -n ${r.namespace}`,
          `yes get services -n ${r.namespace}`,
          `yes get secrets/assay-action-secrets -n ${r.namespace}`,
          `no list ${vs} -n ${r.namespace}`,
          `no watch ${vs} -n ${r.namespace}`,
          `no delete ${vs} -n ${r.namespace}`,
          `no update ${vs} -n ${r.namespace}`,
          `no create ${vs} -n ${r.namespace}`,
          `no patch deployments.apps -n ${r.namespace}`,
          `no list deployments.apps -n ${r.namespace}`,
          `no get secrets -n ${r.namespace}`,
          `no get secrets/assay-nats-users${r.suffix} -n ${r.namespace}`,
          `no list secrets -n ${r.namespace}`,
          `no create pods -n ${r.namespace}`,
          `no patch ${vs} -n default`,
          "no get nodes",
          `yes patch httproutes.gateway.networking.k8s.io -n ${r.namespace}`,
          `yes patch services.serving.knative.dev -n ${r.namespace}`,
          `yes patch inferenceservices.serving.kserve.io -n ${r.namespace}`,
          `no delete httproutes.gateway.networking.k8s.io -n ${r.namespace}`,
          `no patch services -n ${r.namespace}`,
        ],
      );
    });

    void it("the agent may read nodes and patch nothing", async () => {
      const { kube, r } = await applied();
      const { agent } = accounts(r);
      assert.deepEqual(await kube.permissions(agent, r.namespace), ["get nodes"]);
      assert.deepEqual(await kube.permissions(agent, "default"), ["get nodes"]);
      const patchable = ["nodes", "pods", "configmaps", "secrets", "services", "deployments.apps", "daemonsets.apps", "statefulsets.apps", "virtualservices.networking.istio.io"];
      assert.deepEqual(
        await allCanI(kube, agent, [["get", "nodes"], ["list", "nodes"], ["watch", "nodes"], ["get", "secrets", r.namespace], ...patchable.map((resource): [string, string, string] => ["patch", resource, r.namespace])]),
        ["yes get nodes", "no list nodes", "no watch nodes", `no get secrets -n ${r.namespace}`, ...patchable.map((resource) => `no patch ${resource} -n ${r.namespace}`)],
      );
    });

    if (overlay !== "base") return;

    void it("with the coordinator's own token, k8s-patch, ready and ${secret:…} work where RBAC allows and get a 403 elsewhere", async () => {
      const { kube, r } = await applied();
      const { coordinator } = accounts(r);
      const vs = CRD_FIXTURES.virtualService;
      await kube.admin.apply({ apiVersion: vs.apiVersion, kind: vs.kind, metadata: { name: "reviews", namespace: r.namespace }, spec: { hosts: ["reviews"] } });
      await kube.admin.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "assay-action-secrets", namespace: r.namespace }, stringData: { "slack-url": "https://hooks.example/services/T/B/coordinatorSecret" } });
      const coordinatorDeployment = `assay-coordinator${r.suffix}`;
      await kube.fakeDeploymentAvailable(r.namespace, coordinatorDeployment, true);
      const kubeconfig = await kube.writeKubeconfig({ token: await kube.serviceAccountToken(coordinator), namespace: r.namespace });
      const policy = { policy: { kubeconfig } };

      const patch: K8sPatchTaskSpec = { task: "k8s-patch", apiVersion: vs.apiVersion, kind: vs.kind, resource: undefined, name: "reviews", namespace: r.namespace, patchType: "merge", patchTemplate: '{"spec": {"hosts": ["reviews", "reviews.shop"]}}', ...common };
      await fastRunners["k8s-patch"](patch, makeContext(patch, policy).context);
      assert.deepEqual((await kube.admin.get({ ...vs, name: "reviews", namespace: r.namespace }))["spec"], { hosts: ["reviews", "reviews.shop"] });

      const ready: ReadyTaskSpec = { task: "ready", name: coordinatorDeployment, group: "apps", version: "v1", resource: "deployments", namespace: r.namespace, condition: "Available", ...common, timeoutMs: 30_000 };
      assert.equal((await fastRunners.ready(ready, makeContext(ready, policy).context)).attempts, 1);

      const secrets = createSecretResolver({ kubeconfig });
      assert.equal(await secrets.resolve("secret:assay-action-secrets/slack-url"), "https://hooks.example/services/T/B/coordinatorSecret");
      await assert.rejects(secrets.resolve(`secret:assay-nats-users${r.suffix}/agent-password`), /failed with HTTP 403/);

      const forbidden: K8sPatchTaskSpec = { ...patch, apiVersion: "apps/v1", kind: "Deployment", name: coordinatorDeployment, patchTemplate: '{"spec": {"replicas": 2}}' };
      await assert.rejects(fastRunners["k8s-patch"](forbidden, makeContext(forbidden, policy).context), (error: unknown) => {
        assert.match(String(error), /HTTP 403/);
        assert.equal((error as { attempts?: number }).attempts, 1, "a 403 is not retried");
        return true;
      });
    });

    void it("the agent's node-labels read (its init container's code) gets the node's labels with the agent's token, and a 403 with another", async () => {
      const { kube, r } = await applied();
      const { agent, coordinator } = accounts(r);
      const nodeName = uniqueName("node");
      await kube.admin.create({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: nodeName, labels: { "topology.kubernetes.io/zone": "eu-west-1a", "topology.kubernetes.io/region": "eu-west-1", "kubernetes.io/os": "linux" } },
      });
      const token = await kube.serviceAccountToken(agent);
      const labels = await fetchNodeLabels({ apiUrl: kube.url, nodeName, token, caPem: kube.caPem });
      assert.equal(labels["topology.kubernetes.io/zone"], "eu-west-1a");
      assert.equal(agentLabelsFromNode(nodeName, labels), `node=${nodeName},zone=eu-west-1a,region=eu-west-1`);

      await assert.rejects(fetchNodeLabels({ apiUrl: kube.url, nodeName: "no-such-node", token, caPem: kube.caPem }), (e: unknown) => isAssayError(e) && /HTTP 404/.test(e.message));
      const other = await kube.serviceAccountToken(coordinator);
      await assert.rejects(fetchNodeLabels({ apiUrl: kube.url, nodeName, token: other, caPem: kube.caPem }), (e: unknown) => isAssayError(e) && e.kind === "transport" && /HTTP 403.*get on nodes/.test(e.message));
    });
  });
}
