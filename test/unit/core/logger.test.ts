import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { LogFormat, createLogger } from "../../../core/index.js";
import { cleanupAll, makeTempDir } from "../../harness/index.js";

after(() => cleanupAll());

/** What a logger writing to a fresh file wrote after `log` ran. */
async function logged(format: LogFormat | undefined, log: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  const file = join(await makeTempDir("assay-logger-"), "log");
  const fd = openSync(file, "w");
  try {
    log(createLogger({ fd, level: "info", name: "assay", ...(format ? { format, color: false } : {}) }));
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, "utf8");
}

describe("createLogger", () => {
  it("writes JSON lines by default", async () => {
    const text = await logged(undefined, (logger) => logger.warn({ attempt: 2 }, "retrying"));
    const line = JSON.parse(text.trim()) as Record<string, unknown>;
    assert.equal(line["msg"], "retrying");
    assert.equal(line["attempt"], 2);
    assert.equal(line["level"], 40);
  });

  it("writes one readable line in the human format, fields after the message, secrets redacted", async () => {
    const text = await logged(LogFormat.Human, (logger) => logger.child({ task: 0, taskName: "slack" }).warn({ attempt: 2, token: "s3cret" }, "slack: attempt 2 of 3 failed"));
    assert.equal(text.split("\n").filter(Boolean).length, 1, text);
    assert.match(text, /^\[\d\d:\d\d:\d\d\] WARN \(assay\): slack: attempt 2 of 3 failed \{"attempt":2,"token":"\[redacted\]"\}\n$/);
    assert.doesNotMatch(text, /s3cret|"level"|"task"/);
  });
});
