/**
 * The coordinator service as a user runs it: `node bin/assay.js coordinator ...` (the built
 * dist/), on a free port, with its own state directory; clients through cli/client.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connectCoordinator } from "../../../cli/client/index.js";
import type { ClientFlagValues, CoordinatorApi } from "../../../cli/client/index.js";
import type { api } from "../../../core/index.js";
import { makeTempDir, startProcess, waitUntil } from "../../harness/index.js";
import type { ProcessHandle } from "../../harness/index.js";
import { ASSAY_BIN, REPO_ROOT } from "../cli/cli.js";

export { assay } from "../cli/cli.js";

export interface CoordinatorProcess {
  /** host:port */
  readonly address: string;
  readonly handle: ProcessHandle;
  readonly stateDir: string;
  client(flags?: ClientFlagValues): Promise<CoordinatorApi>;
  stop(): Promise<number | null>;
}

const LISTENING = /coordinator listening on (\S+)/;

/** Starts `assay coordinator` (default: 2 local agents, a fresh state dir, report interval 250 ms). */
export async function startCoordinator(args: readonly string[] = [], options: { stateDir?: string; env?: NodeJS.ProcessEnv; localAgents?: number | null } = {}): Promise<CoordinatorProcess> {
  const stateDir = options.stateDir ?? (await makeTempDir("coordinator-state"));
  const agentArgs = options.localAgents === null ? [] : ["--local-agents", String(options.localAgents ?? 2), "--state-dir", stateDir];
  const handle = await startProcess(
    process.execPath,
    [ASSAY_BIN, "coordinator", "--listen", "127.0.0.1:0", "--report-interval", "250", ...agentArgs, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ASSAY_LOG_LEVEL: "warn", ...options.env }, name: "assay coordinator" },
  );
  let exited = false;
  void handle.exited.then(() => (exited = true));
  try {
    await waitUntil(
      () => {
        if (exited) throw new Error(`the coordinator exited:\n${handle.stderr()}`);
        return LISTENING.test(handle.stdout());
      },
      // Generous: a test may start several at once, each with worker-thread agents, on 2 busy cores.
      { timeoutMs: 60_000, intervalMs: 50, what: "the coordinator to listen" },
    );
  } catch (error) {
    handle.kill();
    throw new Error(`coordinator did not start: ${(error as Error).message}\n${handle.stderr()}`, { cause: error });
  }
  const address = LISTENING.exec(handle.stdout())?.[1];
  if (!address) throw new Error(`coordinator did not print its address:\n${handle.stdout()}\n${handle.stderr()}`);
  const clients: CoordinatorApi[] = [];
  return {
    address,
    handle,
    stateDir,
    async client(flags = {}) {
      const client = await connectCoordinator({ coordinator: address, ...flags }, {});
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.close();
      return handle.stop("SIGTERM", 10_000);
    },
  };
}

/** An experiment file against `url`: two versions, duration mode at a small rate. */
export async function writeExperiment(dir: string, name: string, url: string, opts: { duration?: string; qps?: number; extra?: string } = {}): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    `name: ${name}
spec:
  - task: http
    with:
      versions:
        - name: v1
          url: ${url}v1
        - name: v2
          url: ${url}v2
      duration: ${opts.duration ?? "2s"}
      qps: ${opts.qps ?? 20}
      connections: 2
${opts.extra ?? ""}  - task: assess
    with:
      SLOs:
        upper:
          - metric: http/error-rate
            limit: 0.5
`,
  );
  return path;
}

/** Collects a Watch stream until it ends. */
export async function collect(stream: AsyncIterable<api.WatchEvent__Output>, onEvent?: (event: api.WatchEvent__Output) => void): Promise<api.WatchEvent__Output[]> {
  const events: api.WatchEvent__Output[] = [];
  for await (const event of stream) {
    events.push(event);
    onEvent?.(event);
  }
  return events;
}

export async function waitForState(client: CoordinatorApi, id: string, states: readonly string[], timeoutMs = 20_000): Promise<api.ExperimentSummary__Output> {
  let last: api.ExperimentSummary__Output | undefined;
  await waitUntil(
    async () => {
      last = (await client.get(id)).experiment ?? undefined;
      return last !== undefined && states.includes(last.state);
    },
    { timeoutMs, intervalMs: 100, what: `experiment ${id} to reach ${states.join("|")}` },
  );
  if (!last) throw new Error("unreachable");
  return last;
}
