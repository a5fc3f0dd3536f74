import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { isAssayError } from "../../../core/index.js";
import { agentLabelsFromNode, fetchNodeLabels, parseLabelMapping } from "../../../ops/index.js";

async function fakeApi(t: { after(fn: () => Promise<void>): void }, status: number, body: unknown): Promise<{ url: string; seen: { path?: string; auth?: string } }> {
  const seen: { path?: string; auth?: string } = {};
  const server = createServer((req, res) => {
    seen.path = req.url ?? "";
    seen.auth = req.headers.authorization ?? "";
    res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("node labels for agents", () => {
  it("reads a node's labels with the bearer token", async (t) => {
    const api = await fakeApi(t, 200, { kind: "Node", metadata: { name: "n1", labels: { "topology.kubernetes.io/zone": "eu-1a", os: "linux" } } });
    const labels = await fetchNodeLabels({ apiUrl: api.url, nodeName: "n1", token: "tkn" });
    assert.deepEqual(labels, { "topology.kubernetes.io/zone": "eu-1a", os: "linux" });
    assert.equal(api.seen.path, "/api/v1/nodes/n1");
    assert.equal(api.seen.auth, "Bearer tkn");
  });

  it("explains a 403 (RBAC) as a transport error", async (t) => {
    const api = await fakeApi(t, 403, { kind: "Status" });
    await assert.rejects(fetchNodeLabels({ apiUrl: api.url, nodeName: "n1", token: "x" }), (e: unknown) => isAssayError(e) && /HTTP 403.*get on nodes/.test(e.message));
  });

  it("builds the --labels value from the mapped node labels that are present", () => {
    const node = { "topology.kubernetes.io/zone": "eu-1a", "topology.kubernetes.io/region": "eu-1", rack: "has,comma" };
    assert.equal(agentLabelsFromNode("n1", node), "node=n1,zone=eu-1a,region=eu-1");
    assert.equal(agentLabelsFromNode("n1", {}), "node=n1");
    assert.equal(agentLabelsFromNode("n1", node, parseLabelMapping("r=rack, z=topology.kubernetes.io/zone")), "node=n1,z=eu-1a");
    assert.throws(() => parseLabelMapping("zone"), (e: unknown) => isAssayError(e) && e.code === "CLI_BAD_FLAG");
  });
});
