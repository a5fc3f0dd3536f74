/**
 * What `assay version --verbose` prints (plain `assay version` prints only the version, so that
 * scripts and the image's smoke test can compare it): Assay's version, and what decides whether two installations work
 * together — the Node.js runtime, the NATS client, and the agent protocol (the protobuf package
 * of proto/agent.proto, which coordinator and agents must share).
 */
import { createRequire } from "node:module";
import { VERSION, pb } from "../core/index.js";

function natsClientVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)("nats/package.json") as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** `assay.v1`, from the generated code: the package every agent message is declared in. */
export function agentProtocol(): string {
  return pb.Hello.getTypeUrl("").replace(/^\//, "").replace(/\.Hello$/, "");
}

export function versionText(): string {
  return `assay ${VERSION}
  node            ${process.versions.node}
  nats client     ${natsClientVersion()} (nats.js)
  agent protocol  ${agentProtocol()} (proto/agent.proto)
`;
}
