import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { CRD_FIXTURES, KubeApiError, cleanupAll, makeTempDir, startKubeApiServer, startProcess, waitUntil } from "../../harness/index.js";

after(cleanupAll);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidsOf(stateDir: string): number[] {
  return ["etcd.pid", "kube-apiserver.pid"].map((file) => Number(readFileSync(join(stateDir, file), "utf8").trim()));
}

/** Runs a module in a child node process (same loader flags as this test) and returns its stdout. */
async function runScript(body: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = await makeTempDir("kube-harness");
  const script = join(dir, "child.mjs");
  const harnessUrl = new URL("../../harness/index.js", import.meta.url).href;
  await writeFile(script, `import * as harness from ${JSON.stringify(harnessUrl)};\n${body}`);
  const loaderArgs = process.execArgv.filter((arg) => !arg.startsWith("--test"));
  const child = await startProcess(process.execPath, [...loaderArgs, script], { name: "kube harness child", env });
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

void describe("kube-apiserver harness", () => {
  void it("starts etcd + kube-apiserver, serves the CRD fixtures and fakes status, and stop() ends both processes", async () => {
    const kube = await startKubeApiServer();
    const pids = pidsOf(kube.stateDir);
    assert.ok(pids.every(pidAlive));
    console.log(`kube-apiserver started in ${kube.startMs} ms`);
    try {
      assert.match(kube.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const version = await kube.admin.request<{ gitVersion: string }>("GET", "/version");
      assert.equal(version.gitVersion, "v1.20.2");
      assert.match((await kube.kubectl(["get", "namespace", "default", "-o", "name"])).stdout, /namespace\/default/);

      const a = await kube.createNamespace("harness");
      const b = await kube.createNamespace("harness");
      assert.notEqual(a, b);
      assert.match(a, /^harness-[0-9a-f]{6}$/);

      await kube.installCrds();
      for (const fixture of Object.values(CRD_FIXTURES)) {
        const ref = { apiVersion: fixture.apiVersion, kind: fixture.kind, name: "demo", namespace: a };
        await kube.admin.apply({ apiVersion: fixture.apiVersion, kind: fixture.kind, metadata: { name: "demo", namespace: a }, spec: { anything: { goes: [1, 2] } } });
        await kube.setConditions(ref, [{ type: "Ready", status: "True" }]);
        const object = await kube.admin.get(ref);
        assert.deepEqual(object["spec"], { anything: { goes: [1, 2] } }, `${fixture.kind} keeps unknown fields`);
        const conditions = (object["status"] as { conditions: Array<{ type: string; status: string }> }).conditions;
        assert.deepEqual(conditions.map((c) => [c.type, c.status]), [["Ready", "True"]], `${fixture.kind} status`);
      }
      await kube.installCrds();

      await kube.admin.apply({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: a },
        spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.25" }] } } },
      });
      await kube.fakeDeploymentAvailable(a, "web", true);
      const rollout = await kube.kubectl(["-n", a, "rollout", "status", "deployment/web", "--timeout=10s"]);
      assert.match(rollout.stdout, /successfully rolled out/);

      // A service account with no bindings: a real token, and real RBAC says no.
      const nobody = { namespace: a, name: "nobody" };
      await kube.createServiceAccount(nobody);
      const token = await kube.serviceAccountToken(nobody);
      await assert.rejects(kube.client(token).get({ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: a }), (error: unknown) => {
        assert.ok(error instanceof KubeApiError);
        assert.equal(error.status, 403);
        return true;
      });
      assert.equal(await kube.canI(nobody, "get", "deployments.apps", a), false);
      assert.deepEqual(await kube.permissions(nobody, a), []);
      const kubeconfig = await kube.writeKubeconfig({ token, namespace: a });
      const denied = await kube.kubectl(["get", "deployments"], { kubeconfig, allowFailure: true });
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /forbidden/i);
    } finally {
      await kube.stop();
    }
    assert.ok(pids.every((pid) => !pidAlive(pid)), "etcd and kube-apiserver are gone after stop()");
    await kube.stop();
  });

  void it("a test process that exits without stopping its API server still stops both processes", async () => {
    const { code, stdout, stderr } = await runScript(`
      const kube = await harness.startKubeApiServer();
      const { readFileSync } = await import("node:fs");
      const pids = ["etcd.pid", "kube-apiserver.pid"].map((f) => Number(readFileSync(kube.stateDir + "/" + f, "utf8")));
      console.log(JSON.stringify({ pids, stateDir: kube.stateDir }));
      process.exit(0);`);
    assert.equal(code, 0, stderr);
    const started = JSON.parse(stdout.trim().split("\n").at(-1)!) as { pids: number[]; stateDir: string };
    assert.equal(started.pids.length, 2);
    await waitUntil(() => started.pids.every((pid) => !pidAlive(pid)), { timeoutMs: 20_000, what: "the orphaned etcd and kube-apiserver to stop" });
  });

  void it("fails with a message naming .ci/run when the kube-apiserver binary is missing", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, KUBE_REAL_PREFIX: "/nonexistent/kube-real", PATH: dirname(process.execPath) };
    delete env["KUBE_APISERVER"];
    const { code, stdout, stderr } = await runScript(
      `try { await harness.startKubeApiServer(); console.log("started"); } catch (error) { console.log(error.message); }`,
      env,
    );
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stdout, /^started/m);
    assert.match(stdout, /kube-apiserver .*is missing/);
    assert.match(stdout, /bash \.ci\/run/);
    assert.match(stdout, /install-from-debian\.sh/);
  });
});
