/**
 * `run`: a shell script run as Iter8 runs it (/bin/bash -c, with TEMP_DIR set to the system's temp
 * directory; /bin/sh -c where there is no bash), refused unless enabled (policy.allowRunTask: a
 * local `assay run` enables it, the coordinator service only with --allow-run). stdout and stderr are captured (the last 4 KiB of each) into the detail;
 * a non-zero exit, a signal or the timeout is a failure. Not retried unless `retries` says so
 * (commands are not assumed idempotent). Default timeout 5 minutes.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { ConfigurationError, ErrorCode } from "../../core/index.js";
import type { RunTaskSpec } from "../../core/index.js";
import type { TaskContext, TaskOutcome } from "../tasks/types.js";
import { AttemptFailure, planOf, scrubText, secretsOf, withRetries } from "./common.js";
import type { ResolvedActionOptions } from "./common.js";

/** Bytes of stdout and of stderr kept (the end of the output). */
export const RUN_OUTPUT_LIMIT_BYTES = 4096;
export const RUN_DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** Iter8 runs `run:` scripts with bash (its files use arrays and [[ ]]). */
const SHELL = existsSync("/bin/bash") ? "/bin/bash" : "/bin/sh";

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > RUN_OUTPUT_LIMIT_BYTES && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
      this.truncated = true;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const tail = all.length > RUN_OUTPUT_LIMIT_BYTES ? all.subarray(all.length - RUN_OUTPUT_LIMIT_BYTES) : all;
    if (tail.length < all.length) this.truncated = true;
    return (this.truncated ? "…" : "") + tail.toString("utf8");
  }
}

function runOnce(command: string, signal: AbortSignal): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, TEMP_DIR: tmpdir() };
    const child = spawn(SHELL, ["-c", command], { stdio: ["ignore", "pipe", "pipe"], signal, killSignal: "SIGKILL", env });
    const stdout = new Tail();
    const stderr = new Tail();
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.once("error", (error) => reject(new AttemptFailure(`the command could not run: ${error.message}`, { retryable: true, cause: error })));
    child.once("close", (code, exitSignal) => resolve({ code, signal: exitSignal, stdout: stdout.text(), stderr: stderr.text() }));
  });
}

export async function runRun(spec: RunTaskSpec, context: TaskContext, options: ResolvedActionOptions): Promise<TaskOutcome> {
  if (!context.policy.allowRunTask) {
    throw new ConfigurationError(
      ErrorCode.RunDisabled,
      "run: shell commands are disabled; allow them with --allow-run (`assay run --allow-run`, or the service started as `assay coordinator --allow-run`)",
      { suggestion: "commands run with the permissions of the process that runs the experiment: allow them only for experiments you trust" },
    );
  }
  const secrets = secretsOf(context);
  let last: Finished | undefined;
  const { value: finished, attempts } = await withRetries(
    { what: "run", ...planOf(spec, { retries: 0, timeoutMs: RUN_DEFAULT_TIMEOUT_MS }), options, context, secrets },
    async (signal) => {
      const finished = await runOnce(spec.command, signal);
      last = finished;
      if (finished.code !== 0) {
        const how = finished.code === null ? `was killed by ${finished.signal ?? "a signal"}` : `exited with ${finished.code}`;
        const firstLine = finished.stderr.trim().split("\n").pop() ?? "";
        throw new AttemptFailure(`the command ${how}${firstLine ? `: ${firstLine.slice(0, 200)}` : ""}`, { retryable: true });
      }
      return finished;
    },
  ).catch((error: unknown) => {
    if (last && error instanceof Error && "detail" in error && typeof error.detail === "object" && error.detail !== null) {
      Object.assign(error.detail, scrubOutput(last, secrets));
    }
    throw error;
  });
  return { attempts, detail: { exitCode: finished.code, attempts, ...scrubOutput(finished, secrets) } };
}

function scrubOutput(finished: Finished, secrets: readonly string[]): { stdout: string; stderr: string } {
  return { stdout: scrubText(finished.stdout, secrets), stderr: scrubText(finished.stderr, secrets) };
}
