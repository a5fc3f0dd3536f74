import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { DaemonSet, Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { parse as parseYaml } from "yaml";
import { find, parseDocuments, render, repoRoot } from "./render.js";
import type { K8sObject } from "./render.js";

// ---------------------------------------------------------------- typed views of what we check

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface Volume {
  name: string;
  emptyDir?: object;
  configMap?: { name: string };
  secret?: { secretName: string };
  projected?: { sources: { configMap?: { name: string }; serviceAccountToken?: object }[] };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: SecurityContext;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  terminationGracePeriodSeconds?: number;
  tolerations?: object[];
}
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    strategy?: { type: string };
    serviceName?: string;
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}
interface ServiceObject extends K8sObject {
  spec: { selector: Record<string, string>; clusterIP?: string; ports: { name: string; port: number; targetPort: string | number }[] };
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "apps/v1/DaemonSet": DaemonSet,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};

const workloads = (objects: readonly K8sObject[]): Workload[] => objects.filter((o) => WORKLOAD_KINDS.has(o.kind)) as Workload[];
const allContainers = (w: Workload): Container[] => [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers];
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const flagValue = (args: readonly string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(":") + 1));
const containerPort = (c: Container, port: string | number): number | undefined =>
  typeof port === "number" ? c.ports?.find((p) => p.containerPort === port)?.containerPort : c.ports?.find((p) => p.name === port)?.containerPort;
const isAssayImage = (image: string): boolean => /\/assay:|^assay(:|$)/.test(image);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const OVERLAYS = ["base", "overlays/dev", "overlays/ha"] as const;
const rendered = new Map(OVERLAYS.map((o) => [o, render(o)]));
const out = (o: (typeof OVERLAYS)[number]): K8sObject[] => rendered.get(o)!;

// ---------------------------------------------------------------- tests

describe("deploy/ manifests", () => {
  it("every YAML file under deploy/ parses", () => {
    const files = yamlFiles(join(repoRoot(), "deploy"));
    assert.ok(files.length >= 20, `found only ${files.length} YAML files`);
    for (const file of files) {
      const docs = parseDocuments(readFileSync(file, "utf8"), relative(repoRoot(), file));
      assert.ok(docs.length > 0, `${file} holds no document`);
    }
  });

  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objects = out(overlay);

      it("renders with kustomize and every object validates against the Kubernetes schema", () => {
        assert.ok(objects.length >= 20, `only ${objects.length} objects`);
        for (const object of objects) {
          const Model = MODELS[`${object.apiVersion}/${object.kind}`];
          assert.ok(Model, `no schema model for ${object.apiVersion} ${object.kind} (${object.metadata.name})`);
          assert.doesNotThrow(() => new Model(object as never).validate(), `${object.kind} ${object.metadata.name}`);
          if (object.kind !== "Namespace" && !object.kind.startsWith("Cluster")) assert.equal(object.metadata.namespace, "assay", `${object.kind} ${object.metadata.name}`);
        }
        const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
        assert.equal(new Set(names).size, names.length, "duplicate objects");
      });

      it("workload selectors match their pod labels, and every Service selects pods with its target ports", () => {
        const ws = workloads(objects);
        assert.deepEqual(ws.map((w) => w.kind).sort(), ["DaemonSet", "Deployment", "StatefulSet"]);
        for (const w of ws) {
          assert.ok(Object.keys(w.spec.selector.matchLabels).length >= 2, `${w.metadata.name}: selector too broad`);
          assert.ok(matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels), `${w.metadata.name}: selector does not match its pods`);
          for (const other of ws.filter((x) => x !== w)) {
            assert.ok(!matches(w.spec.selector.matchLabels, other.spec.template.metadata.labels), `${w.metadata.name} also selects ${other.metadata.name}'s pods`);
          }
        }
        const services = objects.filter((o) => o.kind === "Service") as ServiceObject[];
        assert.equal(services.length, 3);
        for (const svc of services) {
          const selected = ws.filter((w) => matches(svc.spec.selector, w.spec.template.metadata.labels));
          assert.equal(selected.length, 1, `Service ${svc.metadata.name} selects ${selected.length} workloads`);
          const containers = selected[0]!.spec.template.spec.containers;
          for (const port of svc.spec.ports) {
            assert.ok(
              containers.some((c) => containerPort(c, port.targetPort) !== undefined),
              `Service ${svc.metadata.name} port ${port.name}: targetPort ${port.targetPort} is no containerPort`,
            );
          }
        }
        const nats = find(objects, "StatefulSet", "assay-nats") as Workload;
        assert.equal(find(objects, "Service", nats.spec.serviceName!).spec !== undefined, true);
        assert.equal((find(objects, "Service", nats.spec.serviceName!) as ServiceObject).spec.clusterIP, "None");
      });

      it("the coordinator listens where its Service, probes and NetworkPolicy point", () => {
        const coordinator = find(objects, "Deployment", "assay-coordinator") as Workload;
        const container = coordinator.spec.template.spec.containers.find((c) => c.name === "coordinator")!;
        const args = container.args ?? [];
        assert.equal(args[0], "coordinator");
        const listen = flagValue(args, "--listen");
        const opsListen = flagValue(args, "--ops-listen");
        assert.ok(listen && opsListen, "--listen and --ops-listen are set");
        assert.match(listen, /^0\.0\.0\.0:\d+$/, "the API must listen beyond loopback in a pod");
        const svc = find(objects, "Service", "assay-coordinator") as ServiceObject;
        const grpc = svc.spec.ports.find((p) => p.name === "grpc")!;
        assert.equal(containerPort(container, grpc.targetPort), portOf(listen));
        assert.equal(grpc.port, portOf(listen));
        const ops = svc.spec.ports.find((p) => p.name === "ops")!;
        assert.equal(containerPort(container, ops.targetPort), portOf(opsListen));
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
          assert.equal(containerPort(container, probe!.httpGet!.port), portOf(opsListen));
        }
        assert.equal(container.livenessProbe!.httpGet!.path, "/healthz");
        assert.equal(container.readinessProbe!.httpGet!.path, "/readyz");
        const policy = find(objects, "NetworkPolicy", "assay-coordinator") as K8sObject & {
          spec: { ingress: { ports: { port: number }[] }[] };
        };
        const ingressPorts = policy.spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port));
        assert.ok(ingressPorts.includes(portOf(listen)) && ingressPorts.includes(portOf(opsListen)));

        // The dashboard: on loopback in the pod (kubectl port-forward), or on the Service with
        // components/dashboard (the dev overlay). Either way its port is a named container port.
        const ui = args.find((a) => a.startsWith("--ui="))?.slice("--ui=".length);
        assert.ok(ui, "the coordinator serves the dashboard (--ui=ADDR)");
        assert.equal(args.at(-1), `--ui=${ui}`, "--ui is the last argument (components/dashboard replaces it by index)");
        assert.equal(containerPort(container, "ui"), portOf(ui));
        const uiPort = svc.spec.ports.find((p) => p.name === "ui");
        if (ui.startsWith("127.0.0.1:")) {
          assert.equal(uiPort, undefined, "a loopback dashboard has no Service port");
          assert.ok(!ingressPorts.includes(portOf(ui)));
        } else {
          assert.equal(overlay, "overlays/dev", "only dev serves the dashboard on the Service");
          assert.match(ui, /^0\.0\.0\.0:\d+$/);
          assert.equal(containerPort(container, uiPort!.targetPort), portOf(ui));
          assert.ok(ingressPorts.includes(portOf(ui)), "the NetworkPolicy lets the dashboard in");
          assert.ok(args.includes("--config"), "tokens (config tokensFile) guard a dashboard beyond loopback");
        }
      });

      it("the coordinator is ONE replica, never two at once, and its config and tokens are mounted", () => {
        const coordinator = find(objects, "Deployment", "assay-coordinator") as Workload;
        assert.equal(coordinator.spec.replicas, 1);
        assert.equal(coordinator.spec.strategy?.type, "Recreate");
        assert.match(coordinator.metadata.annotations?.["assay.dev/replicas"] ?? "", /single writer/);
        const container = coordinator.spec.template.spec.containers[0]!;
        const configPath = flagValue(container.args ?? [], "--config")!;
        const configMap = find(objects, "ConfigMap", "assay-coordinator-config") as K8sObject & { data: Record<string, string> };
        const config = parseYaml(configMap.data["config.yaml"]!) as { tokensFile: string; allowedTargets: string[]; limits: Record<string, unknown> };
        assert.ok(config.allowedTargets.length > 0 && !config.allowedTargets.includes("*"), "an allow-list that is not everything");
        assert.ok(config.limits["maxQps"] !== undefined && config.limits["maxDuration"] !== undefined);
        const volumes = coordinator.spec.template.spec.volumes ?? [];
        const mountOf = (path: string) => container.volumeMounts?.find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
        const configVolume = volumes.find((v) => v.name === mountOf(configPath)?.name);
        assert.equal(configVolume?.configMap?.name, configMap.metadata.name);
        const tokensVolume = volumes.find((v) => v.name === mountOf(config.tokensFile)?.name);
        const tokens = find(objects, "Secret", tokensVolume!.secret!.secretName) as K8sObject & { stringData: Record<string, string> };
        const file = config.tokensFile.slice(config.tokensFile.lastIndexOf("/") + 1);
        const roles = Object.values((parseYaml(tokens.stringData[file]!) as { tokens: Record<string, string> }).tokens);
        assert.deepEqual([...new Set(roles)].sort(), ["operator", "viewer"]);
        assert.match(Object.keys((parseYaml(tokens.stringData[file]!) as { tokens: object }).tokens).join(), /CHANGE-ME/);
      });

    });
  }
});

describe("deploy/ manifests: NATS users, agent identity, images, containers", () => {
  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objects = out(overlay);

      it("agents and the coordinator connect to the NATS Service with their own users", () => {
        const natsSvc = find(objects, "Service", "assay-nats") as ServiceObject;
        const client = natsSvc.spec.ports.find((p) => p.name === "client")!;
        const natsUrl = `nats://${natsSvc.metadata.name}:${client.port}`;
        const authConf = (find(objects, "ConfigMap", "assay-nats-config") as K8sObject & { data: Record<string, string> }).data["auth.conf"]!;
        const natsUsers = [...authConf.matchAll(/^\s*user:\s*(\S+)/gm)].map((m) => m[1]);
        const natsSet = find(objects, "StatefulSet", "assay-nats") as Workload;
        const natsEnv = natsSet.spec.template.spec.containers[0]!.env ?? [];
        for (const m of authConf.matchAll(/password:\s*\$(\w+)/g)) {
          assert.ok(natsEnv.some((e) => e.name === m[1] && e.valueFrom?.secretKeyRef), `nats-server gets ${m[1]} from a Secret`);
        }
        let checked = 0;
        for (const w of workloads(objects).filter((x) => x.kind !== "StatefulSet")) {
          for (const c of allContainers(w)) {
            const args = c.args ?? [];
            const url = flagValue(args, "--nats") ?? c.env?.find((e) => e.name === "NATS_URL")?.value;
            if (url === undefined) continue;
            checked++;
            assert.equal(url, natsUrl, `${w.metadata.name}/${c.name}`);
            const user = flagValue(args, "--user") ?? c.env?.find((e) => e.name === "NATS_USER")?.value;
            assert.ok(user && natsUsers.includes(user), `${w.metadata.name}/${c.name}: NATS user ${user} is in auth.conf`);
            assert.equal(user, w.kind === "DaemonSet" ? "agent" : "coordinator");
            const password = c.env?.find((e) => e.name === "ASSAY_NATS_PASSWORD")?.valueFrom?.secretKeyRef;
            assert.deepEqual(password, { name: "assay-nats-users", key: `${user}-password` }, `${w.metadata.name}/${c.name} gets only its own password`);
            assert.equal(flagValue(args, "--password"), undefined, `${w.metadata.name}/${c.name}: no password on the command line`);
          }
        }
        assert.ok(checked >= 2, "both the agent and the coordinator were checked");
      });

      it("the agent's id is its node name and its labels come from the node", () => {
        const agent = find(objects, "DaemonSet", "assay-agent") as Workload;
        const spec = agent.spec.template.spec;
        const main = spec.containers.find((c) => c.name === "agent")!;
        const script = (main.command ?? []).join(" ");
        assert.match(script, /^\/usr\/bin\/tini -- \/bin\/sh -c exec assay agent --labels "\$\(cat \/var\/run\/assay\/labels\)" "\$@"/);
        assert.equal(flagValue(main.args ?? [], "--name"), "$(NODE_NAME)");
        assert.match(flagValue(main.args ?? [], "--dead-man") ?? "", /^\d+s$/);
        for (const c of [main, spec.initContainers!.find((i) => i.name === "node-labels")!]) {
          assert.deepEqual(c.env?.find((e) => e.name === "NODE_NAME")?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });
        }
        const init = spec.initContainers!.find((i) => i.name === "node-labels")!;
        const labelsFile = init.env!.find((e) => e.name === "ASSAY_LABELS_FILE")!.value!;
        assert.ok(script.includes(labelsFile));
        const shared = init.volumeMounts!.find((m) => labelsFile.startsWith(`${m.mountPath}/`))!;
        assert.ok(main.volumeMounts!.some((m) => m.name === shared.name && m.readOnly === true), "agent reads the labels file, read-only");
        assert.ok(spec.volumes!.find((v) => v.name === shared.name)?.emptyDir);
        assert.match(init.env!.find((e) => e.name === "ASSAY_NODE_LABELS")!.value!, /zone=topology\.kubernetes\.io\/zone/);
        // The Kubernetes API token reaches the init container only.
        assert.equal(spec.automountServiceAccountToken, false);
        const tokenVolume = spec.volumes!.find((v) => v.projected?.sources.some((s) => s.serviceAccountToken))!;
        assert.ok(init.volumeMounts!.some((m) => m.name === tokenVolume.name));
        assert.ok(!main.volumeMounts!.some((m) => m.name === tokenVolume.name));
        const binding = find(objects, "ClusterRoleBinding", "assay-agent-node-reader") as K8sObject & {
          subjects: { name: string; namespace: string }[];
          roleRef: { name: string };
        };
        assert.deepEqual(binding.subjects.map((s) => `${s.namespace}/${s.name}`), [`assay/${spec.serviceAccountName!}`]);
        const role = find(objects, "ClusterRole", binding.roleRef.name) as K8sObject & { rules: { resources: string[]; verbs: string[] }[] };
        assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }]);
        assert.ok((spec.terminationGracePeriodSeconds ?? 0) >= 10);
        assert.ok((spec.tolerations ?? []).length > 0);
        assert.ok(main.resources?.requests?.["cpu"] && main.resources.limits?.["memory"]);
      });

      it("one assay image tag across every workload, and pinned images", () => {
        const images = new Set<string>();
        for (const w of workloads(objects)) {
          for (const c of allContainers(w)) {
            assert.doesNotMatch(c.image, /:latest$|^[^:]+$/, `${w.metadata.name}/${c.name}: image ${c.image} is not pinned`);
            if (isAssayImage(c.image)) images.add(c.image);
          }
        }
        assert.equal(images.size, 1, `assay images: ${[...images].join(", ")}`);
        const agent = find(objects, "DaemonSet", "assay-agent") as Workload;
        const coordinator = find(objects, "Deployment", "assay-coordinator") as Workload;
        for (const w of [agent, coordinator]) assert.ok(allContainers(w).every((c) => isAssayImage(c.image)));
      });

      it("every container runs non-root on a read-only root filesystem with no capabilities", () => {
        let count = 0;
        for (const w of workloads(objects)) {
          const pod = w.spec.template.spec;
          assert.notEqual(pod.hostNetwork, true);
          assert.notEqual(pod.hostPID, true);
          assert.equal(pod.securityContext?.runAsNonRoot, true, `${w.metadata.name}: pod runAsNonRoot`);
          assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${w.metadata.name}: numeric non-root uid`);
          assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault");
          for (const c of allContainers(w)) {
            count++;
            const where = `${w.metadata.name}/${c.name}`;
            const sc = c.securityContext;
            assert.equal(sc?.runAsNonRoot, true, `${where}: runAsNonRoot`);
            assert.equal(sc?.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
            assert.equal(sc?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
            assert.notEqual(sc?.privileged, true, `${where}: privileged`);
            assert.deepEqual(sc?.capabilities, { drop: ["ALL"] }, `${where}: drop ALL, add none`);
            assert.equal(sc?.seccompProfile?.type, "RuntimeDefault", `${where}: seccomp`);
            assert.ok(c.resources?.limits?.["memory"], `${where}: memory limit`);
            // Writable paths are volumes: /tmp for the assay containers is an emptyDir.
            const tmp = c.volumeMounts?.find((m) => m.mountPath === "/tmp");
            if (isAssayImage(c.image) && c.name !== "node-labels" && c.name !== "jetstream-setup") {
              assert.ok(tmp && pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir, `${where}: /tmp is an emptyDir`);
            }
          }
        }
        assert.ok(count >= 4);
      });

    });
  }
});

describe("deploy/ manifests: references, RBAC, network policies, NATS topology, entry points", () => {
  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objects = out(overlay);

      it("references resolve: ConfigMaps, Secrets, ServiceAccounts, RBAC subjects, NetworkPolicy selectors", () => {
        const has = (kind: string, name: string): boolean => objects.some((o) => o.kind === kind && o.metadata.name === name);
        for (const w of workloads(objects)) {
          const pod = w.spec.template.spec;
          if (pod.serviceAccountName) assert.ok(has("ServiceAccount", pod.serviceAccountName), `${w.metadata.name}: ServiceAccount ${pod.serviceAccountName}`);
          for (const v of pod.volumes ?? []) {
            if (v.configMap) assert.ok(has("ConfigMap", v.configMap.name), `${w.metadata.name}: ConfigMap ${v.configMap.name}`);
            if (v.secret) assert.ok(has("Secret", v.secret.secretName), `${w.metadata.name}: Secret ${v.secret.secretName}`);
          }
          for (const c of allContainers(w)) {
            for (const e of c.env ?? []) {
              const ref = e.valueFrom?.secretKeyRef;
              if (!ref) continue;
              const secret = find(objects, "Secret", ref.name) as K8sObject & { stringData: Record<string, string> };
              assert.ok(ref.key in secret.stringData, `${w.metadata.name}/${c.name}: Secret ${ref.name} has ${ref.key}`);
            }
            for (const m of c.volumeMounts ?? []) {
              assert.ok(
                pod.volumes?.some((v) => v.name === m.name) || w.spec.volumeClaimTemplates?.some((t) => t.metadata.name === m.name),
                `${w.metadata.name}/${c.name}: volume ${m.name}`,
              );
            }
          }
        }
        for (const binding of objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") as (K8sObject & {
          roleRef: { kind: string; name: string };
          subjects: { kind: string; name: string; namespace: string }[];
        })[]) {
          assert.ok(has(binding.roleRef.kind, binding.roleRef.name), `${binding.metadata.name}: ${binding.roleRef.kind} ${binding.roleRef.name}`);
          for (const s of binding.subjects) assert.ok(has(s.kind, s.name) && s.namespace === "assay", `${binding.metadata.name}: subject ${s.name}`);
        }
        for (const policy of objects.filter((o) => o.kind === "NetworkPolicy") as (K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> } } })[]) {
          assert.equal(workloads(objects).filter((w) => matches(policy.spec.podSelector.matchLabels, w.spec.template.metadata.labels)).length, 1, policy.metadata.name);
        }
      });

      it("RBAC grants only what action tasks need", () => {
        const actions = find(objects, "ClusterRole", "assay-coordinator-actions") as K8sObject & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
        for (const rule of actions.rules) {
          assert.ok(!rule.resources.includes("*") && !rule.verbs.includes("*") && !rule.apiGroups.includes("*"), "no wildcards");
          // k8s-patch patches, ready and the traffic weights get; nothing lists or watches.
          assert.ok(rule.verbs.every((v) => ["get", "patch"].includes(v)), `verbs ${rule.verbs.join()}`);
          assert.ok(!rule.resources.includes("secrets"), "secrets only through the named Role");
        }
        assert.ok(actions.rules.some((r) => r.resources.includes("virtualservices") && r.verbs.includes("patch")));
        assert.ok(actions.rules.some((r) => r.resources.includes("deployments") && r.verbs.includes("get")));
        const secrets = find(objects, "Role", "assay-coordinator-action-secrets") as K8sObject & { rules: { resourceNames?: string[]; verbs: string[] }[] };
        assert.deepEqual(secrets.rules.map((r) => [r.resourceNames, r.verbs]), [[["assay-action-secrets"], ["get"]]]);
        const bindings = objects.filter((o) => o.kind === "ClusterRoleBinding") as (K8sObject & { roleRef: { name: string } })[];
        assert.ok(!bindings.some((b) => b.roleRef.name === "assay-coordinator-actions"), "the actions role is bound per namespace, never cluster-wide");
      });

      it("NetworkPolicies fence every component in both directions", () => {
        const policies = objects.filter((o) => o.kind === "NetworkPolicy") as (K8sObject & {
          spec: { policyTypes: string[]; ingress?: { from?: unknown[]; ports?: { port: number }[] }[]; egress?: { to?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port: number }[] }[] };
        })[];
        assert.deepEqual(policies.map((p) => p.metadata.name).sort(), ["assay-agent", "assay-coordinator", "assay-nats"]);
        for (const p of policies) assert.deepEqual([...p.spec.policyTypes].sort(), ["Egress", "Ingress"]);
        const agent = policies.find((p) => p.metadata.name === "assay-agent")!;
        for (const rule of agent.spec.ingress ?? []) {
          assert.ok(rule.from && rule.from.length > 0 && rule.ports?.every((port) => port.port === 9464), "agent ingress: metrics scraping only");
        }
        assert.ok(agent.spec.egress!.some((r) => r.to?.some((t) => t.podSelector?.matchLabels?.["app.kubernetes.io/component"] === "nats") && r.ports?.some((port) => port.port === 4222)));
        assert.ok(agent.spec.egress!.some((r) => r.to?.some((t) => t.namespaceSelector?.matchLabels?.["assay.dev/target"] === "true")));
        assert.ok(agent.spec.egress!.every((r) => r.to !== undefined || (r.ports ?? []).length > 0), "no allow-everything egress rule");
        const nats = policies.find((p) => p.metadata.name === "assay-nats")!;
        const clientRule = nats.spec.ingress!.find((r) => r.ports?.some((port) => port.port === 4222))!;
        assert.equal(clientRule.from!.length, 2, "NATS clients: the coordinator and the agents only");
      });
    });
  }

  it("dev: one small NATS server; ha: three servers, routes to all three, JetStream replicas 3", () => {
    const devNats = find(out("overlays/dev"), "StatefulSet", "assay-nats") as Workload;
    assert.equal(devNats.spec.replicas, 1);
    const haObjects = out("overlays/ha");
    const haNats = find(haObjects, "StatefulSet", "assay-nats") as Workload;
    assert.equal(haNats.spec.replicas, 3);
    const conf = (find(haObjects, "ConfigMap", "assay-nats-config") as K8sObject & { data: Record<string, string> }).data;
    const routes = [...conf["nats.conf"]!.matchAll(/nats:\/\/(assay-nats-\d)\.([\w-]+):6222/g)];
    assert.deepEqual(routes.map((m) => m[1]), ["assay-nats-0", "assay-nats-1", "assay-nats-2"]);
    assert.ok(routes.every((m) => m[2] === haNats.spec.serviceName));
    assert.match(conf["nats.conf"]!, /include \.\/auth\.conf/);
    assert.ok(conf["auth.conf"], "ha keeps the base's users and permissions");
    const baseConf = (find(out("base"), "ConfigMap", "assay-nats-config") as K8sObject & { data: Record<string, string> }).data;
    assert.equal(conf["auth.conf"], baseConf["auth.conf"]);
    assert.doesNotMatch(baseConf["nats.conf"]!, /cluster \{/);
    const coordinator = find(haObjects, "Deployment", "assay-coordinator") as Workload;
    assert.equal(coordinator.spec.replicas, 1, "the coordinator is not multi-replica, even in ha");
    const setup = coordinator.spec.template.spec.initContainers!.find((c) => c.name === "jetstream-setup")!;
    assert.equal(Number(setup.env!.find((e) => e.name === "ASSAY_JS_REPLICAS")!.value), haNats.spec.replicas);
    assert.deepEqual(setup.command, ["node", "/app/dist/ops/bin/jetstream-setup.js"]);
    const pdb = find(haObjects, "PodDisruptionBudget", "assay-nats") as K8sObject & { spec: { maxUnavailable: number } };
    assert.equal(pdb.spec.maxUnavailable, 1, "a drain keeps two of three servers: JetStream quorum");
  });

  it("the entry points the manifests run exist in the sources the image compiles", () => {
    const root = repoRoot();
    const dockerfile = readFileSync(join(root, "deploy", "Dockerfile"), "utf8");
    for (const overlay of OVERLAYS) {
      for (const w of workloads(out(overlay))) {
        for (const c of allContainers(w)) {
          const script = (c.command ?? []).find((part) => part.startsWith("/app/dist/"));
          if (!script) continue;
          const source = join(root, script.replace(/^\/app\/dist\//, "").replace(/\.js$/, ".ts"));
          assert.doesNotThrow(() => statSync(source), `${w.metadata.name}/${c.name} runs ${script}: ${source} is missing`);
          const folder = script.replace(/^\/app\/dist\//, "").split("/")[0]!;
          assert.match(dockerfile, new RegExp(`^COPY ${folder} \\./${folder}$`, "m"), `the image builds ${folder}/ (${script})`);
          assert.match(dockerfile, new RegExp(`^COPY --from=build /src/dist/${folder} \\./dist/${folder}$`, "m"), `the image ships dist/${folder} (${script})`);
        }
      }
    }
  });
});

describe("deploy/Dockerfile", () => {
  const text = readFileSync(join(repoRoot(), "deploy", "Dockerfile"), "utf8");
  const lines = text.split("\n").filter((l) => !l.startsWith("#"));
  const stages = text.split(/^FROM /m).slice(1);

  it("is multi-stage: build with npm ci and npm run build, run with production dependencies only", () => {
    assert.equal(stages.length, 2);
    assert.match(stages[0]!, /^\$\{NODE_IMAGE\} AS build/);
    assert.match(stages[0]!, /npm ci/);
    assert.match(stages[0]!, /npm run build/);
    assert.match(stages[1]!, /^\$\{NODE_IMAGE\} AS runtime/);
    assert.match(stages[1]!, /npm ci --omit=dev/);
    assert.match(stages[1]!, /COPY --from=build \/src\/dist\/core/);
    assert.doesNotMatch(stages[1]!, /npm run build|npm install(?! )/);
  });

  it("uses a pinned LTS Node image", () => {
    const arg = /^ARG NODE_IMAGE=node:(\d+)[\w.-]*$/m.exec(text);
    assert.ok(arg, "ARG NODE_IMAGE=node:<major>…");
    assert.equal(Number(arg[1]) % 2, 0, "an even (LTS) Node major");
    assert.ok(Number(arg[1]) >= 24);
    assert.doesNotMatch(text, /:latest/);
  });

  it("runs as a numeric non-root user, with tini forwarding signals to assay", () => {
    const user = lines.filter((l) => l.startsWith("USER ")).at(-1);
    assert.match(user ?? "", /^USER [1-9]\d*:[1-9]\d*$/);
    const uid = Number(/^USER (\d+)/.exec(user!)![1]);
    for (const overlay of OVERLAYS) {
      for (const w of workloads(out(overlay)).filter((x) => x.spec.template.spec.containers.some((c) => isAssayImage(c.image)))) {
        assert.equal(w.spec.template.spec.securityContext?.runAsUser, uid, `${overlay} ${w.metadata.name}: runAsUser matches the image's USER`);
      }
    }
    assert.match(text, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "assay"\]$/m);
    assert.match(text, /apt-get install -y --no-install-recommends tini/);
    assert.match(text, /ln -s \/app\/bin\/assay\.js \/usr\/local\/bin\/assay/);
  });

  it("exposes the ports the manifests use (the dashboard's too) and writes nothing outside /tmp", () => {
    const expose = /^EXPOSE (.+)$/m.exec(text)![1]!.split(/\s+/).map(Number).sort();
    const coordinator = find(out("base"), "Deployment", "assay-coordinator") as Workload;
    const ports = coordinator.spec.template.spec.containers[0]!.ports!.map((p) => p.containerPort).sort();
    assert.deepEqual(expose, ports);
    assert.ok(expose.includes(7234), "the dashboard's default port");
    assert.match(text, /HOME=\/tmp/);
    assert.match(text, /^WORKDIR \/tmp$/m);
  });

  it("keeps npm's cache out of the image: the cache mount is npm's cache, HOME=/tmp comes after npm ci", () => {
    const runtime = stages[1]!;
    for (const stage of stages) {
      for (const line of stage.split("\n").filter((l) => /^RUN .*npm ci/.test(l))) {
        const mount = /--mount=type=cache,target=(\S+)/.exec(line)?.[1];
        assert.ok(mount, `${line}: a cache mount`);
        assert.ok(line.includes(`--cache ${mount}`), `${line}: npm's cache is the mount (${mount})`);
      }
    }
    const npmCi = runtime.indexOf("npm ci");
    const home = runtime.search(/^ENV HOME=\/tmp/m);
    assert.ok(npmCi > 0 && home > npmCi, "HOME=/tmp is set after the runtime's npm ci");
  });

  it("sends only what the build copies (Dockerfile.dockerignore)", () => {
    const ignore = readFileSync(join(repoRoot(), "deploy", "Dockerfile.dockerignore"), "utf8");
    assert.match(ignore, /^\*\*$/m, "ignore everything by default");
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of m[1]!.split(/\s+/)) {
        assert.match(ignore, new RegExp(`^!${source.replace(/[.*]/g, "\\$&")}(/\\*\\*)?$`, "m"), `${source} is sent to the build`);
      }
    }
  });
});
