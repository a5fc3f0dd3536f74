import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { registerChild, registerCloser } from "./registry.js";
import { waitUntil } from "./wait.js";

export interface StartProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Readiness probe, polled until true (the process exiting first fails the start). */
  ready?: () => Promise<boolean>;
  /** How long `ready` may take. Default 15000. */
  readyTimeoutMs?: number;
  /** For messages. Default: the command. */
  name?: string;
}

export interface ProcessHandle {
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote to stdout so far (the last 1 MiB). */
  stdout(): string;
  /** Everything the process wrote to stderr so far (the last 1 MiB). */
  stderr(): string;
  /**
   * Sends `signal` (default SIGTERM), waits up to `timeoutMs` (default 5000) for the exit, then
   * SIGKILLs. Resolves with the exit code (null when ended by a signal). Idempotent.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL now (no wait). */
  kill(): void;
  /** Resolves with the exit code (null when ended by a signal) once the process has exited. */
  exited: Promise<number | null>;
}

const OUTPUT_LIMIT = 1 << 20;

class EarlyExitError extends Error {}

class OutputBuffer {
  private text = "";
  append(chunk: Buffer): void {
    this.text += chunk.toString("utf8");
    if (this.text.length > OUTPUT_LIMIT * 2) this.text = this.text.slice(-OUTPUT_LIMIT);
  }
  read(): string {
    return this.text.length > OUTPUT_LIMIT ? this.text.slice(-OUTPUT_LIMIT) : this.text;
  }
}

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Spawns a child process (registered for cleanup), collects its output and, when `ready` is given,
 * waits until it reports ready. Rejects (after killing the child) if it cannot be spawned, exits
 * before it is ready, or is not ready in time; the error includes the tail of its stderr.
 */
export async function startProcess(command: string, args: readonly string[], opts: StartProcessOptions = {}): Promise<ProcessHandle> {
  const name = opts.name ?? command;
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  registerChild(child);
  const out = new OutputBuffer();
  const err = new OutputBuffer();
  child.stdout?.on("data", (chunk: Buffer) => out.append(chunk));
  child.stderr?.on("data", (chunk: Buffer) => err.append(chunk));

  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => {
      if (child.pid === undefined) resolve(null);
    });
  });

  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (cause) => reject(new Error(`${name}: could not start ${command}`, { cause })));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: spawned without a pid`);

  let stopping: Promise<number | null> | undefined;
  const stop = (signal: NodeJS.Signals = "SIGTERM", timeoutMs = 5000): Promise<number | null> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const first = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (first === "timeout") {
        child.kill("SIGKILL");
        return exited;
      }
      return first;
    })();
    return stopping;
  };
  const unregister = registerCloser(async () => {
    await stop();
  });
  void exited.then(unregister);

  const handle: ProcessHandle = {
    child,
    pid,
    stdout: () => out.read(),
    stderr: () => err.read(),
    stop,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
    exited,
  };

  if (opts.ready) {
    const ready = opts.ready;
    const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
    const abort = new AbortController();
    const exitedEarly = exited.then((code) => {
      throw new EarlyExitError(`${name} exited (code ${String(code)}, signal ${String(child.signalCode)}) before it was ready:\n${tail(err.read() || out.read())}`);
    });
    try {
      await Promise.race([
        waitUntil(ready, { timeoutMs: readyTimeoutMs, intervalMs: 50, what: `${name} to be ready`, signal: abort.signal }),
        exitedEarly,
      ]);
    } catch (cause) {
      handle.kill();
      await exited;
      if (cause instanceof EarlyExitError) throw cause;
      throw new Error(`${name} did not become ready:\n${tail(err.read() || out.read())}`, { cause });
    } finally {
      abort.abort();
      exitedEarly.catch(() => undefined);
    }
  }
  return handle;
}
