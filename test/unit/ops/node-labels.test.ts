import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAssayError } from "../../../core/index.js";
import { agentLabelsFromNode, parseLabelMapping } from "../../../ops/index.js";

// fetchNodeLabels (the node-labels init container's read of its Node) runs against a real
// kube-apiserver with the agent's own service-account token: test/integration/deploy/apiserver.test.ts.

describe("node labels for agents", () => {
  it("builds the --labels value from the mapped node labels that are present", () => {
    const node = { "topology.kubernetes.io/zone": "eu-1a", "topology.kubernetes.io/region": "eu-1", rack: "has,comma" };
    assert.equal(agentLabelsFromNode("n1", node), "node=n1,zone=eu-1a,region=eu-1");
    assert.equal(agentLabelsFromNode("n1", {}), "node=n1");
    assert.equal(agentLabelsFromNode("n1", node, parseLabelMapping("r=rack, z=topology.kubernetes.io/zone")), "node=n1,z=eu-1a");
    assert.throws(() => parseLabelMapping("zone"), (e: unknown) => isAssayError(e) && e.code === "CLI_BAD_FLAG");
  });
});
