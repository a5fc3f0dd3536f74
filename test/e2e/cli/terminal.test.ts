/**
 * `assay run` in a real terminal (issue 16): tmux gives it a pty of a chosen width; the pane is read
 * back with capture-pane. tmux is required — when it is missing the test fails saying how to
 * install it (Debian: apt-get install -y tmux), it is never skipped.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanupAll, freePort, makeTempDir, startHttpTarget, teardown, waitUntil } from "../../harness/index.js";
import { ASSAY_BIN } from "./cli.js";

after(() => cleanupAll());

function tmux(socket: string, args: readonly string[]): string {
  const run = spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  if (run.error && "code" in run.error && run.error.code === "ENOENT") {
    assert.fail("tmux is not installed: the terminal tests need it (Debian: apt-get install -y tmux)");
  }
  assert.equal(run.status, 0, `tmux ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

let sessions = 0;

/** Runs `assay ARGS` in a fresh tmux pane `width` columns wide; returns the pane (wrapped lines joined) and with colours. */
async function inTerminal(t: Parameters<typeof teardown>[0], args: readonly string[], width: number): Promise<{ text: string; ansi: string; exit: number }> {
  const socket = `assay-test-${process.pid}-${++sessions}`;
  const quoted = [process.execPath, ASSAY_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const command = `env -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color ${quoted}; echo "EXIT=$?"; sleep 120`;
  tmux(socket, ["new-session", "-d", "-s", "assay", "-x", String(width), "-y", "200", command]);
  teardown(t).defer(() => spawnSync("tmux", ["-L", socket, "kill-server"]));
  const capture = (extra: string[]): string => tmux(socket, ["capture-pane", "-p", "-J", "-S", "-", "-t", "assay", ...extra]);
  await waitUntil(() => /EXIT=\d+/.test(capture([])), { timeoutMs: 90_000, intervalMs: 250 });
  const text = capture([]);
  return { text, ansi: capture(["-e"]), exit: Number(/EXIT=(\d+)/.exec(text)?.[1]) };
}

async function experiment(body: string): Promise<string> {
  const file = join(await makeTempDir("assay-tty-"), "experiment.yaml");
  await writeFile(file, body);
  return file;
}

describe("assay run in a terminal", () => {
  it("ends the progress bar at 100% with the report's counts, in colour", async (t) => {
    const target = await startHttpTarget({ failEvery: 10 });
    const file = await experiment(`spec:
  - task: http
    with:
      url: ${target.url}
      numRequests: 200
      qps: 200
      connections: 2
`);
    const pane = await inTerminal(t, ["run", file, "--agents", "2"], 120);
    assert.equal(pane.exit, 0, pane.text);
    const bar = /task 1 \(http\) +\[█+\] 100% .* (\d+)\/200 req +(\d+) err/.exec(pane.text);
    assert.ok(bar, `no final progress line at 100% in:\n${pane.text}`);
    assert.equal(Number(bar[1]), 200);
    assert.equal(Number(bar[2]), 20);
    assert.match(pane.text, /http\/request-count +200\n/);
    assert.match(pane.text, /http\/error-count +20\n/);
    assert.ok(pane.ansi.includes("\u001b[32m"), "coloured on a terminal (green for completed)");
    assert.doesNotMatch(pane.text, /^\{"level"/m, "no JSON log lines");
  });

  it("prints a whole warning on a narrow terminal and exits 5 when nothing answers", async (t) => {
    const port = await freePort();
    const file = await experiment(`spec:
  - task: http
    with:
      url: http://127.0.0.1:${port}/
      numRequests: 10
      qps: 100
`);
    const pane = await inTerminal(t, ["run", file, "--agents", "1"], 60);
    assert.equal(pane.exit, 5, pane.text);
    assert.match(pane.text, /⚠ no request to default got a response: connect ECONNREFUSED .* — is the target running and reachable at the url the experiment gives\? \(exit code 5\)/);
  });
});
