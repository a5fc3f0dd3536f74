/**
 * The `traffic` task on a real kube-apiserver (test/harness/kube.ts), over several loops of the
 * real loop driver: each loop a scripted step stands in for the assessment (SLO verdicts, winner,
 * recommended split) and records the object's weights as the previous loop left them.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { startLocalAgents } from "../../../agent/index.js";
import { createActionRunners } from "../../../coordinator/actions/index.js";
import { loopPlanOf, runExperiment } from "../../../coordinator/index.js";
import type { TaskRunners } from "../../../coordinator/index.js";
import { parseExperimentText, silentLogger } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { CRD_FIXTURES, cleanupAll, sharedKubeApiServer, teardown } from "../../harness/index.js";
import type { KubeApiServer, KubeObject } from "../../harness/index.js";

after(cleanupAll);

const VS = CRD_FIXTURES.virtualService;
const ROUTE = CRD_FIXTURES.httpRoute;
const runners = createActionRunners({ retryBaseMs: 20, retryCapMs: 100 });

interface LoopScript {
  failing?: string[];
  winner?: string | null;
  recommended?: Record<string, number>;
}

async function cluster(): Promise<{ kube: KubeApiServer; namespace: string; kubeconfig: string }> {
  const kube = await sharedKubeApiServer();
  await kube.installCrds();
  const namespace = await kube.createNamespace("traffic");
  return { kube, namespace, kubeconfig: await kube.writeKubeconfig({ namespace }) };
}

function vsWeights(object: KubeObject): number[] {
  return (object["spec"] as { http: Array<{ route: Array<{ weight?: number }> }> }).http[0]!.route.map((r) => r.weight ?? 0);
}

async function createShopVs(kube: KubeApiServer, namespace: string, weights: [number, number]): Promise<void> {
  await kube.admin.apply(
    {
      apiVersion: VS.apiVersion,
      kind: VS.kind,
      metadata: { name: "shop", namespace },
      spec: { hosts: ["shop"], http: [{ route: [{ destination: { host: "shop", subset: "v1" }, weight: weights[0] }, { destination: { host: "shop", subset: "v2" }, weight: weights[1] }] }] },
    },
    { fieldManager: "istio-operator" },
  );
}

/**
 * Runs `- run: assess-stand-in` then the traffic task `loops` times; the stand-in writes the
 * loop's scripted verdicts and, first, records what `observe` reads from the cluster.
 */
async function runLoops(
  t: Parameters<typeof teardown>[0],
  kubeconfig: string,
  trafficYaml: string,
  script: readonly LoopScript[],
  observe: () => Promise<number[]>,
): Promise<{ result: ResultDocument; seen: number[][] }> {
  const link = await startLocalAgents({ count: 1 });
  teardown(t).defer(() => link.close());
  const seen: number[][] = [];
  const standIn: TaskRunners["run"] = async (_spec, context) => {
    seen.push(await observe());
    const step = script[(context.loop?.number ?? 1) - 1] ?? {};
    const versions = ["v1", "v2"];
    context.setResultField("versions", versions);
    context.setResultField("slos", [
      { metric: "http/error-rate", direction: "upper", limit: 0.01, satisfied: Object.fromEntries(versions.map((v) => [v, !(step.failing ?? []).includes(v)])), value: { v1: 0, v2: 0 } },
    ]);
    context.setResultField("assessment", { winner: step.winner ?? null, weights: step.recommended ?? { v1: 50, v2: 50 } });
    return {};
  };
  const experiment = parseExperimentText(`name: canary\nspec:\n  - run: assess-stand-in\n${trafficYaml}`, "<traffic>");
  const result = await runExperiment(experiment, {
    link,
    logger: silentLogger(),
    policy: { kubeconfig, allowRunTask: true },
    runners: { ...runners, run: standIn },
    loops: loopPlanOf({ loops: script.length }),
  });
  seen.push(await observe());
  return { result, seen };
}

function istioTraffic(namespace: string, extra: string): string {
  const ref = (i: number): string => `{apiVersion: ${VS.apiVersion}, kind: ${VS.kind}, name: shop, namespace: ${namespace}, fieldPath: ".spec.http[0].route[${i}].weight"}`;
  return `  - task: traffic
    with:
${extra}      baseline: v1
      versions:
        v1: ${ref(0)}
        v2: ${ref(1)}
`;
}

void describe("traffic on a real kube-apiserver", { timeout: 180_000 }, () => {
  void it("progressive: moves v2 up by at most maxIncrement a loop, then promotes the winner", async (t) => {
    const { kube, namespace, kubeconfig } = await cluster();
    await createShopVs(kube, namespace, [100, 0]);
    const observe = async (): Promise<number[]> => vsWeights(await kube.admin.get({ apiVersion: VS.apiVersion, kind: VS.kind, name: "shop", namespace }));
    const recommended = { v1: 10, v2: 90 };
    const { result, seen } = await runLoops(
      t,
      kubeconfig,
      istioTraffic(namespace, "      pattern: progressive\n      maxIncrement: 20\n      onFinish: promote\n"),
      [{ recommended }, { recommended }, { recommended }, { recommended, winner: "v2" }],
      observe,
    );
    assert.equal(result.completed, true, result.failure ?? "");
    // Before loop 1, after loops 1..3 (steps of 20), after loop 4 (promoted).
    assert.deepEqual(seen, [[100, 0], [80, 20], [60, 40], [40, 60], [0, 100]]);
    assert.deepEqual(result.loops?.map((l) => l.weightsApplied), [{ v1: 80, v2: 20 }, { v1: 60, v2: 40 }, { v1: 40, v2: 60 }, { v1: 0, v2: 100 }]);
    assert.equal(result.traffic?.action, "promote");
    // Server-side: one JSON patch per loop under Assay's field manager; Istio's other fields intact.
    const object = await kube.admin.get({ apiVersion: VS.apiVersion, kind: VS.kind, name: "shop", namespace });
    assert.deepEqual((object["spec"] as { hosts: string[] }).hosts, ["shop"]);
    const managers = ((object["metadata"] as { managedFields?: Array<{ manager: string }> }).managedFields ?? []).map((m) => m.manager);
    assert.ok(managers.includes("assay"), `managers: ${managers.join(", ")}`);
  });

  void it("a candidate failing an SLO goes to 0 at once; rollback puts the baseline back to 100", async (t) => {
    const { kube, namespace, kubeconfig } = await cluster();
    await createShopVs(kube, namespace, [70, 30]);
    const observe = async (): Promise<number[]> => vsWeights(await kube.admin.get({ apiVersion: VS.apiVersion, kind: VS.kind, name: "shop", namespace }));
    const { seen, result } = await runLoops(
      t,
      kubeconfig,
      istioTraffic(namespace, "      maxIncrement: 10\n      onFinish: rollback\n"),
      [{ recommended: { v1: 20, v2: 80 } }, { failing: ["v2"], recommended: { v1: 20, v2: 80 } }, { recommended: { v1: 20, v2: 80 } }],
      observe,
    );
    assert.deepEqual(seen, [[70, 30], [60, 40], [100, 0], [100, 0]]);
    assert.equal(result.traffic?.action, "rollback");
    assert.deepEqual(result.loops?.[1]?.weightsApplied, { v1: 100, v2: 0 });
  });

  void it("blue-green over an HTTPRoute's backendRefs, written in Iter8 v0.7's weightObjRef spelling", async (t) => {
    const { kube, namespace, kubeconfig } = await cluster();
    await kube.admin.apply({
      apiVersion: ROUTE.apiVersion,
      kind: ROUTE.kind,
      metadata: { name: "shop", namespace },
      spec: { parentRefs: [{ name: "gw" }], rules: [{ backendRefs: [{ name: "shop-v1", port: 80, weight: 100 }, { name: "shop-v2", port: 80, weight: 0 }] }] },
    });
    const observe = async (): Promise<number[]> => {
      const object = await kube.admin.get({ apiVersion: ROUTE.apiVersion, kind: ROUTE.kind, name: "shop", namespace });
      return (object["spec"] as { rules: Array<{ backendRefs: Array<{ weight: number }> }> }).rules[0]!.backendRefs.map((b) => b.weight);
    };
    const ref = (i: number): string => `{weightObjRef: {apiVersion: ${ROUTE.apiVersion}, kind: ${ROUTE.kind}, name: shop, namespace: ${namespace}, fieldPath: ".spec.rules[0].backendRefs[${i}].weight"}}`;
    const yaml = `  - task: traffic\n    with:\n      pattern: blue-green\n      onFinish: keep\n      versions:\n        v1: ${ref(0)}\n        v2: ${ref(1)}\n`;
    const { seen } = await runLoops(t, kubeconfig, yaml, [{ failing: ["v2"] }, {}, {}], observe);
    // Loop 1: v2 fails, stays at 0; loop 2: it passes, switches to 100; keep leaves it there.
    assert.deepEqual(seen, [[100, 0], [100, 0], [0, 100], [0, 100]]);
  });

  void it("fixed-split never changes weights during the loops; dark-launch keeps the candidate at 0", async (t) => {
    const { kube, namespace, kubeconfig } = await cluster();
    await createShopVs(kube, namespace, [75, 25]);
    const observe = async (): Promise<number[]> => vsWeights(await kube.admin.get({ apiVersion: VS.apiVersion, kind: VS.kind, name: "shop", namespace }));
    const fixed = await runLoops(t, kubeconfig, istioTraffic(namespace, "      pattern: fixed-split\n      onFinish: keep\n"), [{ recommended: { v1: 0, v2: 100 } }, { recommended: { v1: 0, v2: 100 } }], observe);
    assert.deepEqual(fixed.seen, [[75, 25], [75, 25], [75, 25]]);
    const dark = await runLoops(t, kubeconfig, istioTraffic(namespace, "      pattern: dark-launch\n      onFinish: keep\n"), [{ winner: "v2" }, { winner: "v2" }], observe);
    assert.deepEqual(dark.seen, [[75, 25], [100, 0], [100, 0]]);
  });
});
