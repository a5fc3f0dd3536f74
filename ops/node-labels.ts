/**
 * Agent labels from the labels of the node a pod runs on. The downward API cannot read node labels,
 * so the agent DaemonSet runs this in an init container (deploy/scripts/node-labels.mjs): it reads
 * the node through the Kubernetes API (RBAC: `get` on nodes, with a short-lived token mounted in
 * the init container only) and writes `node=…,zone=…,region=…` for the agent's `--labels`.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { ConfigurationError, ErrorCode, TransportError } from "../core/index.js";

/** Agent label → node label read for it. */
export const DEFAULT_NODE_LABEL_MAPPING: Readonly<Record<string, string>> = {
  zone: "topology.kubernetes.io/zone",
  region: "topology.kubernetes.io/region",
};

export interface NodeLabelsRequest {
  /** e.g. `https://kubernetes.default.svc` (from KUBERNETES_SERVICE_HOST/PORT in a pod). */
  apiUrl: string;
  nodeName: string;
  /** Bearer token (the pod's projected service-account token). */
  token: string;
  /** PEM CA bundle that signs the API server's certificate. */
  caPem?: string;
  /** Default 10000. */
  timeoutMs?: number;
}

/** GET /api/v1/nodes/NAME and returns its labels. Throws TransportError on any failure. */
export function fetchNodeLabels(req: NodeLabelsRequest): Promise<Record<string, string>> {
  const url = new URL(`/api/v1/nodes/${encodeURIComponent(req.nodeName)}`, req.apiUrl);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (message: string, cause?: unknown): void =>
      reject(new TransportError(ErrorCode.KubernetesApi, `reading node ${req.nodeName}: ${message}`, { cause }));
    const outgoing = send(
      url,
      {
        method: "GET",
        headers: { Authorization: `Bearer ${req.token}`, Accept: "application/json" },
        timeout: req.timeoutMs ?? 10_000,
        ...(req.caPem === undefined ? {} : { ca: req.caPem }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => fail("response failed", error));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) {
            fail(`the API answered HTTP ${res.statusCode ?? 0}${res.statusCode === 403 ? " (does the agent's ClusterRole allow get on nodes?)" : ""}`);
            return;
          }
          try {
            const labels = (JSON.parse(body) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
            resolve({ ...labels });
          } catch (error) {
            fail("the API answered something that is not a Node", error);
          }
        });
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.on("error", (error) => fail(error.message, error));
    outgoing.end();
  });
}

/** Parses `zone=topology.kubernetes.io/zone,rack=example.com/rack` (agent label = node label). */
export function parseLabelMapping(text: string): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim();
    const from = part.slice(eq + 1).trim();
    if (eq <= 0 || from === "" || !/^[A-Za-z0-9_.-]+$/.test(key)) {
      throw new ConfigurationError(ErrorCode.BadFlag, `node label mapping "${part}": expected agentLabel=node.label/name`);
    }
    mapping[key] = from;
  }
  return mapping;
}

/**
 * The `--labels` value for an agent: `node=NAME` plus one `agentLabel=value` per mapped node label
 * that is present. Values with characters `--labels` cannot carry (`,` `=` whitespace) are dropped.
 */
export function agentLabelsFromNode(nodeName: string, nodeLabels: Readonly<Record<string, string>>, mapping: Readonly<Record<string, string>> = DEFAULT_NODE_LABEL_MAPPING): string {
  const pairs = [`node=${nodeName}`];
  for (const [agentLabel, nodeLabel] of Object.entries(mapping)) {
    const value = nodeLabels[nodeLabel];
    if (value !== undefined && value !== "" && !/[,=\s]/.test(value)) pairs.push(`${agentLabel}=${value}`);
  }
  return pairs.join(",");
}
