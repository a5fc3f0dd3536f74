/**
 * The module-level registry behind the harness's cleanup guarantees: every child process, server
 * and temp dir the harness creates is recorded here, so `cleanupAll()` can stop them from an
 * `after()` hook and a `process.on("exit")` hook can SIGKILL whatever is still alive when the test
 * process ends (a failing test or a forgotten `close()` never leaves a server behind).
 */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Something that can be shut down asynchronously (an HTTP target, a NATS server, ...). */
export type Closer = () => Promise<void>;

const children = new Set<ChildProcess>();
const closers = new Set<Closer>();
const tempDirs = new Set<string>();
const exitCleanups = new Set<() => void>();
let hooksInstalled = false;

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killAllSync(): void {
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // best effort: the process is ending
    }
  }
  exitCleanups.clear();
  for (const child of children) {
    if (alive(child)) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      killAllSync();
      // Keep the default behaviour (terminate) unless the code under test handles the signal itself.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

export function registerChild(child: ChildProcess): void {
  installHooks();
  children.add(child);
  child.once("exit", () => children.delete(child));
}

/** Registers a closer; returns a function that unregisters it (call it once closed). */
export function registerCloser(closer: Closer): () => void {
  installHooks();
  closers.add(closer);
  return () => {
    closers.delete(closer);
  };
}

/**
 * Registers a synchronous cleanup for the end of the process (exit and the usual signals), run
 * before child processes are killed and temp dirs removed: for servers that are not our children
 * (the kube-apiserver's start script detaches etcd and the apiserver with setsid). Returns a
 * function that unregisters it.
 */
export function registerExitCleanup(cleanup: () => void): () => void {
  installHooks();
  exitCleanups.add(cleanup);
  return () => {
    exitCleanups.delete(cleanup);
  };
}

/** Creates a temp dir under os.tmpdir() that is removed by `cleanupAll()` or at process exit. */
export async function makeTempDir(prefix: string): Promise<string> {
  installHooks();
  const dir = await mkdtemp(join(tmpdir(), `assay-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Removes a temp dir made by `makeTempDir` now (best effort). */
export async function removeTempDir(dir: string): Promise<void> {
  tempDirs.delete(dir);
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Stops everything the harness started and is still running (servers, child processes), one at a
 * time, last started first (a client before the server it talks to), then removes the harness's
 * temp dirs. Safe to call more than once; meant for `after()` hooks.
 */
export async function cleanupAll(): Promise<void> {
  const pending = [...closers].reverse();
  closers.clear();
  for (const close of pending) await close().catch(() => undefined);
  for (const child of children) {
    if (alive(child)) child.kill("SIGKILL");
  }
  children.clear();
  const dirs = [...tempDirs];
  tempDirs.clear();
  await Promise.allSettled(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}
