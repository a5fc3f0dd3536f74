import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ErrorCode, ValidationError } from "../../../core/index.js";
import { readResultFile, renderJson } from "../../../cli/render/index.js";
import { sampleResult } from "./fixture.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "assay-read-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function rejectsWith(code: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("readResultFile", () => {
  it("reads back what renderJson stored", async () => {
    const path = await fileWith("result.json", renderJson(sampleResult()));
    assert.deepEqual(await readResultFile(path), JSON.parse(JSON.stringify(sampleResult())));
  });

  it("fills defaults for fields a minimal document lacks", async () => {
    const path = await fileWith("minimal.json", JSON.stringify({ schemaVersion: 1, name: "x", completed: true, metrics: { v1: { "http/request-count": 5 } }, tasks: [{ task: "http", status: "completed" }] }));
    const result = await readResultFile(path);
    assert.deepEqual(result.versions, ["v1"]);
    assert.deepEqual(result.slos, []);
    assert.equal(result.failure, null);
    assert.equal(result.numCompletedTasks, 1);
    assert.equal(result.tasks[0]?.index, 0);
    assert.equal(result.source, path);
  });

  it("a missing file is FILE_NOT_FOUND naming the path", async () => {
    const path = join(dir, "nope.json");
    await assert.rejects(readResultFile(path), rejectsWith(ErrorCode.FileNotFound, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: no such result file`)));
  });

  it("invalid JSON is RESULT_FILE_INVALID naming the file", async () => {
    const path = await fileWith("broken.json", "{ not json");
    await assert.rejects(readResultFile(path), rejectsWith(ErrorCode.BadResultFile, /broken\.json: not a result document: .*JSON/));
  });

  const cases: [string, unknown, RegExp][] = [
    ["an array", [], /not a JSON object/],
    ["no schemaVersion", { name: "x", completed: true, metrics: {}, tasks: [] }, /schemaVersion is missing/],
    ["a newer schema", { schemaVersion: 99, name: "x", completed: true, metrics: {}, tasks: [] }, /schemaVersion 99 is newer/],
    ["no name", { schemaVersion: 1, completed: true, metrics: {}, tasks: [] }, /name is missing/],
    ["completed not boolean", { schemaVersion: 1, name: "x", completed: "yes", metrics: {}, tasks: [] }, /completed is missing or not true\/false/],
    ["no metrics", { schemaVersion: 1, name: "x", completed: true, tasks: [] }, /metrics is missing/],
    ["a non-numeric metric", { schemaVersion: 1, name: "x", completed: true, metrics: { v1: { "http/latency-p95": "12" } }, tasks: [] }, /metrics\.v1\["http\/latency-p95"\] is not a number/],
    ["no tasks", { schemaVersion: 1, name: "x", completed: true, metrics: {} }, /tasks is missing/],
    ["a task without status", { schemaVersion: 1, name: "x", completed: true, metrics: {}, tasks: [{ task: "http" }] }, /tasks\[0\] needs a task name and a status/],
  ];
  for (const [what, document, pattern] of cases) {
    it(`rejects ${what}`, async () => {
      const path = await fileWith(`${what.replace(/\W+/g, "-")}.json`, JSON.stringify(document));
      await assert.rejects(readResultFile(path), rejectsWith(ErrorCode.BadResultFile, pattern));
    });
  }
});
