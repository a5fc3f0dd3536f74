import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProgress, formatProgressLine } from "../../../cli/render/index.js";
import type { ProgressStream } from "../../../cli/render/index.js";

interface FakeStream extends ProgressStream {
  chunks: string[];
  text(): string;
}

function fakeStream(isTTY: boolean, columns = 120): FakeStream {
  const chunks: string[] = [];
  return {
    isTTY,
    columns,
    chunks,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(""),
  };
}

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance(ms: number): void } {
  let nowMs = 1000;
  return { now: () => nowMs, advance: (ms) => (nowMs += ms) };
}

describe("progress line", () => {
  it("shows a bar when the request total is known, with elapsed time, requests, errors and rate", () => {
    const line = formatProgressLine({ task: "http", elapsedMs: 2000, requests: 200, totalRequests: 800, errors: 3 }, 100);
    assert.equal(line, `http  [██████░░░░░░░░░░░░░░░░░░]  25%  2s  200/800 req  3 err  100 req/s`);
  });

  it("uses the duration for the bar in duration mode, and no bar without a total", () => {
    const timed = formatProgressLine({ task: "http", elapsedMs: 15_000, totalMs: 60_000, requests: 1500, errors: 0 }, 100);
    assert.match(timed, /\] {2}25% {2}15s\/1m {2}1,500 req {2}0 err {2}100 req\/s$/);
    const open = formatProgressLine({ task: "http", elapsedMs: 1500, requests: 10, errors: 0 }, 6.666);
    assert.doesNotMatch(open, /\[/);
    assert.match(open, /^http {2}1\.5s {2}10 req {2}0 err {2}6\.67 req\/s$/);
  });
});

describe("createProgress in a terminal", () => {
  it("redraws one line in place, at most every 100ms, and ends it on done()", () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress(stream, { now: clock.now });
    progress.update({ task: "http", elapsedMs: 0, requests: 0, totalRequests: 100, errors: 0 });
    for (let i = 1; i <= 10; i++) {
      clock.advance(10);
      progress.update({ task: "http", elapsedMs: i * 10, requests: i, totalRequests: 100, errors: 0 });
    }
    assert.equal(stream.chunks.length, 2, "the first update and one after 100ms");
    clock.advance(5);
    progress.update({ task: "http", elapsedMs: 105, requests: 50, totalRequests: 100, errors: 2 });
    assert.equal(stream.chunks.length, 2, "throttled");
    progress.done();
    assert.ok(stream.chunks.every((chunk, i) => i === stream.chunks.length - 1 || chunk.startsWith("\r")));
    assert.equal(stream.chunks.at(-1), "\n");
    const last = stream.chunks.at(-2) ?? "";
    assert.match(last, /^\rhttp {2}\[█{12}░{12}\] {2}50%/, "done() draws the latest state, even when throttled");
    assert.match(last, /50\/100 req {2}2 err/);
    assert.ok(last.endsWith("\u001b[K"), "clears the rest of the line");
    assert.equal(stream.text().split("\n").length, 2, "one line of output");
    progress.update({ task: "http", elapsedMs: 500, requests: 99, errors: 0 });
    progress.done();
    assert.equal(stream.chunks.at(-1), "\n", "nothing after done()");
  });

  it("reports the current rate over the recent window, not the run average", () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress(stream, { now: clock.now, minRedrawIntervalMs: 0 });
    progress.update({ task: "http", elapsedMs: 0, requests: 0, errors: 0 });
    for (let s = 1; s <= 10; s++) {
      clock.advance(1000);
      const requests = s <= 5 ? s * 10 : 50 + (s - 5) * 100;
      progress.update({ task: "http", elapsedMs: s * 1000, requests, errors: 0 });
    }
    assert.match(stream.chunks.at(-1) ?? "", / 100 req\/s/);
  });

  it("never writes a line wider than the terminal", () => {
    const stream = fakeStream(true, 30);
    const progress = createProgress(stream, {});
    progress.update({ task: "a-very-long-task-name", elapsedMs: 1, requests: 1, totalRequests: 10, errors: 0 });
    const drawn = (stream.chunks[0] ?? "").replace("\r", "").replace("\u001b[K", "");
    assert.ok(drawn.length <= 29, drawn);
  });

  it("ends the line of a task before drawing the next task", () => {
    const stream = fakeStream(true);
    const progress = createProgress(stream, { minRedrawIntervalMs: 0 });
    progress.update({ task: "task 1: http", elapsedMs: 10, requests: 5, errors: 0 });
    progress.update({ task: "task 2: grpc", elapsedMs: 10, requests: 1, errors: 0 });
    progress.done();
    const lines = stream.text().split("\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? "", /task 1: http/);
    assert.match(lines[1] ?? "", /task 2: grpc/);
  });
});

describe("createProgress when not a terminal", () => {
  it("writes only a plain line per task start and finish", () => {
    const stream = fakeStream(false);
    const progress = createProgress(stream, {});
    for (let i = 0; i <= 100; i++) progress.update({ task: "http", elapsedMs: i * 20, requests: i * 4, totalRequests: 400, errors: Math.floor(i / 50) });
    progress.update({ task: "grpc", elapsedMs: 0, requests: 0, errors: 0 });
    progress.update({ task: "grpc", elapsedMs: 500, requests: 10, errors: 0 });
    progress.done();
    assert.deepEqual(stream.text().split("\n"), [
      "http: started",
      "http: finished (400 requests, 2 errors, 2s)",
      "grpc: started",
      "grpc: finished (10 requests, 0 errors, 500ms)",
      "",
    ]);
    assert.ok(!stream.text().includes("\r") && !stream.text().includes("\u001b"));
  });

  it("writes nothing when nothing ran", () => {
    const stream = fakeStream(false);
    createProgress(stream, {}).done();
    assert.equal(stream.text(), "");
  });

  it("can be forced into either mode", () => {
    const stream = fakeStream(false);
    const progress = createProgress(stream, { tty: true });
    progress.update({ task: "http", elapsedMs: 1, requests: 1, errors: 0 });
    assert.ok(stream.text().startsWith("\r"));
  });
});

describe("the final update", () => {
  it("is drawn at once in a terminal and ends at 100% when the load ran to its end", () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress(stream, { now: clock.now });
    progress.update({ task: "task 1 (http)", elapsedMs: 1000, totalMs: 3000, requests: 196, totalRequests: 300, errors: 0 });
    clock.advance(1);
    progress.update({ task: "task 1 (http)", elapsedMs: 1001, totalMs: 3000, requests: 290, totalRequests: 300, errors: 1, final: true, complete: true });
    progress.done();
    const last = stream.text().split("\r").at(-1) ?? "";
    assert.match(last, /100% {2}1s\/3s {2}290\/300 req {2}1 err/, "drawn despite the redraw interval, at 100%");
  });

  it("keeps the measured fraction when the load was interrupted", () => {
    const line = formatProgressLine({ task: "task 1 (http)", elapsedMs: 1000, requests: 150, totalRequests: 300, errors: 0, final: true, complete: false }, 150);
    assert.match(line, / 50% /);
  });
});
