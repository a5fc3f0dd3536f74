import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Pool } from "undici";
import { ValidationError } from "../../../core/index.js";
import { DEMO_V2_FAIL_EVERY, startDemoService } from "../../../cli/demo/index.js";
import type { DemoService } from "../../../cli/demo/index.js";

const REQUESTS = 500;
const CONCURRENCY = 8;

interface Outcome {
  statuses: number[];
  meanMs: number;
}

/** Sends `count` GETs to `url` over `CONCURRENCY` keep-alive connections. */
async function load(url: string, count: number): Promise<Outcome> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: CONCURRENCY });
  const statuses: number[] = [];
  let totalMs = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const started = performance.now();
      const response = await pool.request({ path: target.pathname, method: "GET", headersTimeout: 10_000, bodyTimeout: 10_000 });
      await response.body.text();
      totalMs += performance.now() - started;
      statuses.push(response.statusCode);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await pool.close();
  }
  return { statuses, meanMs: totalMs / count };
}

describe("demo service", () => {
  let service: DemoService;
  before(async () => {
    service = await startDemoService();
  });
  after(async () => {
    await service.close();
  });

  it("listens on 127.0.0.1 with /v1 and /v2", () => {
    assert.match(service.v1Url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    assert.match(service.v2Url, /^http:\/\/127\.0\.0\.1:\d+\/v2$/);
  });

  it("v2 fails exactly 2% of 500 requests, v1 none, and v2 is slower on average", async () => {
    const v1 = await load(service.v1Url, REQUESTS);
    const v2 = await load(service.v2Url, REQUESTS);
    assert.equal(v1.statuses.length, REQUESTS);
    assert.equal(v2.statuses.length, REQUESTS);
    assert.equal(v1.statuses.filter((s) => s !== 200).length, 0);
    const failed = v2.statuses.filter((s) => s === 500).length;
    assert.equal(failed, REQUESTS / DEMO_V2_FAIL_EVERY);
    assert.equal(failed / REQUESTS, 0.02);
    assert.equal(v2.statuses.filter((s) => s === 200).length, REQUESTS - failed);
    // v2 is slower by design: the service puts a longer delay before every v2 answer. Measured
    // means on a busy machine carry contention larger than that difference, so the comparison is
    // made on the delay the service injected; each measured mean must include its delay (less the
    // up to 1 ms a millisecond timer may fire early).
    const injected = service.injectedDelayMs();
    const injectedMeanMs = { v1: injected.v1 / REQUESTS, v2: injected.v2 / REQUESTS };
    assert.ok(injectedMeanMs.v2 >= injectedMeanMs.v1 + 4, `v2 waits ${injectedMeanMs.v2}ms on average, v1 ${injectedMeanMs.v1}ms`);
    assert.ok(v2.meanMs >= injectedMeanMs.v2 - 1, `v2 mean ${v2.meanMs.toFixed(2)}ms includes its ${injectedMeanMs.v2}ms delay`);
    assert.ok(v1.meanMs >= injectedMeanMs.v1 - 1, `v1 mean ${v1.meanMs.toFixed(2)}ms includes its ${injectedMeanMs.v1}ms delay`);
    assert.ok(v1.meanMs >= 2, `v1 answers after at least 2ms (mean ${v1.meanMs.toFixed(2)}ms)`);
    assert.deepEqual(service.served(), { v1: REQUESTS, v2: REQUESTS });
  });

  it("answers JSON, and 404 outside /v1 and /v2", async () => {
    const ok = await fetch(service.v1Url);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "application/json");
    assert.deepEqual(await ok.json(), { version: "v1", request: REQUESTS + 1, message: "hello from v1" });
    const missing = await fetch(service.v1Url.replace("/v1", "/v3"));
    assert.equal(missing.status, 404);
    await missing.text();
  });
});

describe("demo service shutdown", () => {
  it("close() is idempotent and frees the port", async () => {
    const service = await startDemoService();
    const url = service.v1Url;
    await Promise.all([service.close(), service.close()]);
    await service.close();
    await assert.rejects(fetch(url));
  });

  it("close() does not wait for answers still pending", async () => {
    const service = await startDemoService();
    const pending = fetch(service.v2Url).then(
      () => "answered",
      () => "dropped",
    );
    const startedMs = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    await service.close();
    assert.ok(performance.now() - startedMs < 1000);
    assert.match(await pending, /answered|dropped/);
  });

  it("a taken port is a ValidationError naming it", async () => {
    const first = await startDemoService();
    try {
      await assert.rejects(
        startDemoService({ port: first.port }),
        (error: unknown) => error instanceof ValidationError && error.message.includes(`cannot listen on 127.0.0.1:${first.port}`),
      );
    } finally {
      await first.close();
    }
  });
});
