/**
 * Iter8's own kind of templates fit comfortably inside the template budget: a chart in the form
 * of Iter8's experiment chart, a hub-style provider template and release-chart helpers, rendered
 * with realistic values, use a small fraction of the default steps, output and time. The numbers
 * are reported as test diagnostics (`node --test` prints them).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { DEFAULT_TEMPLATE_LIMITS, compileTemplate, compileTemplateSet } from "../../../core/template/index.js";
import type { TemplateStats } from "../../../core/template/index.js";
import { ITER8_LIKE_CHART, PROVIDER_TEMPLATE, RELEASE_HELPERS, iter8LikeValues, releaseValues } from "./fixtures/iter8-like-chart.js";

/** "Comfortably": at most a tenth of each default limit. */
function assertComfortable(stats: TemplateStats | undefined, what: string, diagnostic: (message: string) => void): void {
  assert.ok(stats !== undefined, `${what}: no stats`);
  diagnostic(`${what}: ${stats.steps} steps, ${stats.outputBytes} bytes, depth ${stats.maxDepth}, ${stats.elapsedMs.toFixed(2)} ms`);
  assert.ok(stats.steps < DEFAULT_TEMPLATE_LIMITS.maxSteps / 10, `${what}: ${stats.steps} steps`);
  assert.ok(stats.outputBytes < DEFAULT_TEMPLATE_LIMITS.maxOutputBytes / 10, `${what}: ${stats.outputBytes} bytes`);
  assert.ok(stats.maxDepth < DEFAULT_TEMPLATE_LIMITS.maxDepth / 10, `${what}: depth ${stats.maxDepth}`);
}

void describe("Iter8-style templates against the budget", () => {
  void it("renders an experiment chart in Iter8's form, with the experiment it embeds", (t) => {
    let stats: TemplateStats | undefined;
    const output = compileTemplateSet(ITER8_LIKE_CHART).render("templates/k8s.yaml", iter8LikeValues(), { onStats: (used) => (stats = used) });
    assertComfortable(stats, "experiment chart (k8s.yaml)", (message) => t.diagnostic(message));
    const [secret] = output.split("\n---\n");
    const embedded = parseYaml((parseYaml(secret ?? "") as { stringData: Record<string, string> }).stringData["experiment.yaml"] ?? "") as { spec: Array<Record<string, unknown>> };
    const tasks = embedded.spec.map((task) => task["task"] ?? "run");
    assert.deepEqual(tasks, ["ready", "ready", "run", "run", "http", "http", "assess", "notify"]);
    const [warmup, main] = embedded.spec.filter((task) => task["task"] === "http") as Array<{ with: Record<string, unknown> }>;
    assert.equal(warmup?.with["warmup"], true);
    assert.equal(warmup?.with["numRequests"], 50);
    assert.equal(main?.with["numRequests"], 2000);
    assert.equal((main?.with["endpoints"] as Record<string, Record<string, unknown>>)["buy"]?.["payloadFile"], "buy_payload.dat");
    assert.equal(main?.with["warmupNumRequests"], undefined);
  });

  void it("renders a hub-style provider template once per version", (t) => {
    const template = compileTemplate(PROVIDER_TEMPLATE, { name: "istio-prom.tpl" });
    for (const version of ["v1", "v2"]) {
      let stats: TemplateStats | undefined;
      const output = template.render(
        { labels: { destination_workload: `reviews-${version}`, destination_workload_namespace: "bookinfo", reporter: "destination" }, elapsedTimeSeconds: 300, latencyPercentiles: [50, 75, 90, 95, 99] },
        { onStats: (used) => (stats = used) },
      );
      assertComfortable(stats, `provider template (${version})`, (message) => t.diagnostic(message));
      const spec = parseYaml(output) as { metrics: Array<{ name: string; params: Array<{ value: string }> }> };
      assert.deepEqual(spec.metrics.map((metric) => metric.name), ["request-count", "error-rate", "latency-p50", "latency-p75", "latency-p90", "latency-p95", "latency-p99"]);
      assert.match(spec.metrics[0]?.params[0]?.value ?? "", new RegExp(`destination_workload="reviews-${version}",`));
    }
  });

  void it("renders release-chart helpers that normalize versions through JSON", (t) => {
    let stats: TemplateStats | undefined;
    const output = compileTemplateSet(RELEASE_HELPERS).render("templates/routemap.yaml", releaseValues(), { onStats: (used) => (stats = used) });
    assertComfortable(stats, "release routemap", (message) => t.diagnostic(message));
    const configMap = parseYaml(output) as { data: { strSpec: string } };
    const spec = parseYaml(configMap.data.strSpec) as { versions: Array<{ weight: number; labels: Record<string, string> }> };
    assert.deepEqual(spec.versions.map((version) => version.weight), [90, 5, 5]);
    assert.deepEqual(spec.versions[1]?.labels, { app: "reviews", "iter8.tools/watch": "true", track: "v1" });
    assert.match(configMap.data.strSpec, /weight: \{\{ index \.Weights "2" \}\}/);
  });
});
