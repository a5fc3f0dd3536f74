/**
 * Helpers for the NATS integration tests: agents as separate `assay agent` processes (from the
 * TypeScript sources under tsx, or from dist/ when the tests run compiled), an in-process
 * coordinator on a NatsAgentLink, and experiments written inline.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectNatsLink, runExperiment } from "../../../coordinator/index.js";
import type { NatsAgentLink, RunEvent } from "../../../coordinator/index.js";
import { parseExperimentText, silentLogger } from "../../../core/index.js";
import type { AgentEvent, ResultDocument } from "../../../core/index.js";
import { startNatsServer, startProcess, waitUntil } from "../../harness/index.js";
import type { NatsServerHandle, ProcessHandle, Teardown } from "../../harness/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const typescript = import.meta.url.endsWith(".ts");

function repoRoot(): string {
  let dir = here;
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

/** `node [--import tsx] <cli main>`: the CLI next to this file (sources or dist). */
export function cliCommand(): { command: string; args: string[] } {
  const main = join(here, "..", "..", "..", "cli", typescript ? "main.ts" : "main.js");
  return { command: process.execPath, args: typescript ? ["--import", "tsx", main] : [main] };
}

export interface AgentProcess {
  readonly name: string;
  readonly handle: ProcessHandle;
}

/** Starts agents and waits until they are registered (their stdout says so). */
export async function startAgents(natsUrl: string, names: readonly string[], extraArgs: readonly string[] = []): Promise<AgentProcess[]> {
  const { command, args } = cliCommand();
  return Promise.all(
    names.map(async (name) => {
      const handle = await startProcess(command, [...args, "agent", "--nats", natsUrl, "--name", name, ...extraArgs], {
        cwd: repoRoot(),
        name: `agent ${name}`,
        env: { ...process.env, ASSAY_LOG_LEVEL: "info" },
        readyTimeoutMs: 30_000,
      });
      await waitUntil(() => handle.stdout().includes("registered"), { timeoutMs: 30_000, what: `agent ${name} to register` });
      return { name, handle };
    }),
  );
}

export interface Coordinator {
  readonly link: NatsAgentLink;
  readonly events: { readonly atMs: number; readonly event: AgentEvent }[];
}

/** An in-process coordinator connected to NATS, recording every link event with its time. */
export async function startCoordinator(natsUrl: string, agentCount: number): Promise<Coordinator> {
  const link = await connectNatsLink({ natsUrl, logger: silentLogger(), waitForAgents: { count: agentCount, timeoutMs: 30_000 } });
  const events: { atMs: number; event: AgentEvent }[] = [];
  link.subscribe((event) => {
    if (event.type === "joined" || event.type === "lost") events.push({ atMs: Date.now(), event });
  });
  return { link, events };
}

/** Runs an experiment given as YAML text through the coordinator's link. */
export function runYaml(link: NatsAgentLink, yaml: string, onEvent?: (event: RunEvent) => void): Promise<ResultDocument> {
  const experiment = parseExperimentText(yaml, "test.yaml");
  return runExperiment(experiment, { link, logger: silentLogger(), ...(onEvent ? { onEvent } : {}) });
}

/** A single http task: `numRequests` at `qps` over `connections` against `url`. */
export function httpExperiment(url: string, opts: { numRequests?: number; durationS?: number; qps: number; connections: number; agents?: number }): string {
  const load = opts.numRequests !== undefined ? `      numRequests: ${opts.numRequests}` : `      duration: ${opts.durationS ?? 5}s`;
  return [
    "name: nats-test",
    "spec:",
    "  - task: http",
    "    with:",
    `      url: ${url}`,
    load,
    `      qps: ${opts.qps}`,
    `      connections: ${opts.connections}`,
    ...(opts.agents !== undefined ? [`      agents: ${opts.agents}`] : []),
    "",
  ].join("\n");
}

export function requestCount(result: ResultDocument, version = "default"): number | undefined {
  return result.metrics[version]?.["http/request-count"];
}

/**
 * A nats-server, one agent process per name and a coordinator waiting for all of them, each torn
 * down by `fixtures` in reverse order (coordinator, agents, server) even when the test fails.
 */
export async function startCluster(fixtures: Teardown, agentNames: readonly string[]): Promise<{ nats: NatsServerHandle; agents: AgentProcess[]; coordinator: Coordinator }> {
  const nats = await startNatsServer();
  fixtures.defer(() => nats.stop());
  const agents = await startAgents(nats.url, agentNames);
  fixtures.defer(() => Promise.all(agents.map((a) => a.handle.stop())));
  const coordinator = await startCoordinator(nats.url, agentNames.length);
  fixtures.defer(() => coordinator.link.close());
  return { nats, agents, coordinator };
}
