/**
 * Entry point of the agent DaemonSet's init container (`node dist/ops/bin/node-labels.js`):
 * writes the agent's `--labels` (`node=NAME,zone=…,region=…`) from the labels of the node it runs
 * on, which the downward API cannot read.
 *
 * Env: NODE_NAME (downward API `spec.nodeName`), ASSAY_LABELS_FILE (output, default
 * /var/run/assay/labels), ASSAY_NODE_LABELS (mapping, default
 * `zone=topology.kubernetes.io/zone,region=topology.kubernetes.io/region`). A node that cannot be
 * read yields `node=NAME` only: the agent still starts (labels select agents; they guard nothing).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createLogger } from "../../core/index.js";
import { agentLabelsFromNode, DEFAULT_NODE_LABEL_MAPPING, fetchNodeLabels, parseLabelMapping } from "../node-labels.js";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

const env = process.env;
const log = createLogger({ name: "node-labels", level: env["ASSAY_LOG_LEVEL"] ?? "info" });
const nodeName = env["NODE_NAME"] ?? "";
const out = env["ASSAY_LABELS_FILE"] ?? "/var/run/assay/labels";
if (nodeName === "") {
  log.error("NODE_NAME is not set (downward API fieldRef spec.nodeName)");
  process.exit(1);
}
const mapping = env["ASSAY_NODE_LABELS"] ? parseLabelMapping(env["ASSAY_NODE_LABELS"]) : DEFAULT_NODE_LABEL_MAPPING;
let nodeLabels: Record<string, string> = {};
try {
  const host = env["KUBERNETES_SERVICE_HOST"] ?? "kubernetes.default.svc";
  const port = env["KUBERNETES_SERVICE_PORT"] ?? "443";
  nodeLabels = await fetchNodeLabels({
    apiUrl: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    nodeName,
    token: readFileSync(`${SERVICE_ACCOUNT_DIR}/token`, "utf8").trim(),
    caPem: readFileSync(`${SERVICE_ACCOUNT_DIR}/ca.crt`, "utf8"),
  });
} catch (error) {
  log.warn({ err: error }, "cannot read the node's labels; the agent gets node=NAME only");
}
const labels = agentLabelsFromNode(nodeName, nodeLabels, mapping);
writeFileSync(out, `${labels}\n`);
log.info({ labels, file: out }, "agent labels written");
