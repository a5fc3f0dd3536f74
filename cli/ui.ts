/**
 * The CLI side of the dashboard (issue 18): the `--ui [ADDR]` flag (its address is optional, which
 * node:util parseArgs cannot express), the dashboard of `assay run --ui`, and the wait for Ctrl-C
 * that keeps a finished run's dashboard open.
 */
import { DEFAULT_UI_LISTEN, LocalRunFeed, startDashboardServer } from "../coordinator/index.js";
import type { BayesianAssessor, DashboardServer, RunEvent, TaskRunners } from "../coordinator/index.js";
import type { AgentLink, Experiment, Logger, ResultDocument } from "../core/index.js";
import type { FlagDef } from "./command.js";
import { write } from "./output.js";
import type { CliIo } from "./output.js";

const ADDRESS = /^(?:\[[^\]]+\]|[^\s:/[\]]+)?:\d+$/;

/**
 * The `--ui [ADDR]` flag of `run` and `coordinator`: bare, it serves on DEFAULT_UI_LISTEN; the next
 * argument is its address only when it looks like HOST:PORT or :PORT (loopback then).
 */
export const UI_FLAG = {
  type: "string",
  value: "ADDR",
  optionalValue: { whenBare: DEFAULT_UI_LISTEN, accepts: (next: string) => ADDRESS.test(next) },
  description: `serve the live web dashboard on ADDR (default ${DEFAULT_UI_LISTEN}) and print its URL`,
} as const satisfies FlagDef;

/** `:7234` means loopback. */
export function uiListenAddress(value: string): string {
  return value.startsWith(":") ? `127.0.0.1${value}` : value;
}

/** The dashboard of one local run: created before the run, attached once the agents are up. */
export class RunDashboard {
  private feed: LocalRunFeed | undefined;
  private server: DashboardServer | undefined;

  constructor(
    private readonly listen: string,
    private readonly io: CliIo,
  ) {}

  /** Starts serving; returns what runExperiment needs (runners, an event hook). */
  async attach(
    experiment: Experiment,
    link: AgentLink,
    logger: Logger,
    runners: TaskRunners,
    bayesian: BayesianAssessor | undefined,
  ): Promise<{ runners: TaskRunners; onEvent: (event: RunEvent) => void }> {
    const feed = new LocalRunFeed(experiment, { agents: () => link.agents() });
    this.feed = feed;
    this.server = await startDashboardServer({ source: feed, logger, listen: this.listen });
    await write(this.io.stderr, `dashboard: ${this.server.url}experiments/${feed.id}\n`);
    return { runners: feed.runners(runners, bayesian), onEvent: (event) => feed.onRunEvent(event) };
  }

  /** The run ended (a thrown error leaves `result` undefined). */
  finish(result: ResultDocument | undefined, failure = ""): void {
    this.feed?.finish(result, failure);
  }

  /** Keeps the dashboard open until Ctrl-C (or SIGTERM), then closes it. */
  async linger(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await write(this.io.stderr, `dashboard still open at ${server.url} (Ctrl-C to exit)\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await server.close();
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
