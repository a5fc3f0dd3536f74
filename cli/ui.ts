/**
 * The CLI side of the dashboard (issue 18): the `--ui [ADDR]` flag (its address is optional, which
 * node:util parseArgs cannot express), the dashboard of `assay run --ui`, and the wait for Ctrl-C
 * that keeps a finished run's dashboard open.
 */
import { DEFAULT_UI_LISTEN, LocalRunFeed, startDashboardServer } from "../coordinator/index.js";
import type { BayesianAssessor, DashboardServer, RunEvent, TaskRunner } from "../coordinator/index.js";
import type { AgentLink, Experiment, Logger, ResultDocument, TaskName } from "../core/index.js";
import { write } from "./output.js";
import type { CliIo } from "./output.js";

const ADDRESS = /^(?:\[[^\]]+\]|[^\s:/[\]]+)?:\d+$/;

/**
 * Rewrites a bare `--ui` (no address after it) to `--ui=<default>`, so parseArgs can treat `--ui`
 * as a string flag. A following argument is the address only when it looks like HOST:PORT.
 */
export function expandUiFlag(argv: readonly string[], defaultListen = DEFAULT_UI_LISTEN): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (arg !== "--ui") {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && ADDRESS.test(next)) {
      out.push(`--ui=${next.startsWith(":") ? `127.0.0.1${next}` : next}`);
      i++;
    } else {
      out.push(`--ui=${defaultListen}`);
    }
  }
  return out;
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
    runners: Partial<Record<TaskName, TaskRunner>>,
    bayesian: BayesianAssessor | undefined,
  ): Promise<{ runners: Partial<Record<TaskName, TaskRunner>>; onEvent: (event: RunEvent) => void }> {
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
