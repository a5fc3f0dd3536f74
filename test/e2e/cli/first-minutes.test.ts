/**
 * What a new user sees in the first minutes (issue 16): progress that agrees with the report,
 * output that is never cut when piped, the exit code of a run whose target is down.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanupAll, makeTempDir, startHttpTarget } from "../../harness/index.js";
import { assay } from "./cli.js";

after(() => cleanupAll());

interface Result {
  versions: string[];
  metrics: Record<string, Record<string, number>>;
}

async function tempFile(name: string, body: string): Promise<string> {
  const dir = await makeTempDir("assay-first-");
  const file = join(dir, name);
  await writeFile(file, body);
  return file;
}

describe("the progress line", () => {
  it("ends with the counts of the result document: all versions, all agents, final reports included", async () => {
    const v1 = await startHttpTarget({ failEvery: 25 });
    const v2 = await startHttpTarget({ delayMs: 2, failEvery: 10 });
    const file = await tempFile(
      "ab.yaml",
      `spec:
  - task: http
    with:
      numRequests: 150
      qps: 300
      connections: 3
      versions:
        - name: v1
          url: ${v1.url}
        - name: v2
          url: ${v2.url}
`,
    );
    const out = join(await makeTempDir("assay-first-out-"), "result.json");
    const run = await assay(["run", file, "--agents", "2", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await readFile(out, "utf8")) as Result;
    const sum = (name: string): number => result.versions.reduce((total, v) => total + (result.metrics[v]?.[name] ?? 0), 0);
    assert.equal(sum("http/request-count"), 300);
    const finished = /task 1 \(http\): finished \((\d+) requests, (\d+) errors/.exec(run.stderr);
    assert.ok(finished, `no finish line in:\n${run.stderr}`);
    assert.equal(Number(finished[1]), sum("http/request-count"));
    assert.equal(Number(finished[2]), sum("http/error-count"));
  });
});
