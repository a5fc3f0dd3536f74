/**
 * Both HTTP clients of the agent check every connection against the allow-list a ShardSpec
 * carries: names through the resolver (every address), IP literals directly.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { compileShard, createFastClient, createUndiciClient } from "../../../agent/index.js";
import type { HttpClient, HttpClientOptions, RequestPlan } from "../../../agent/index.js";
import { ErrorCode, TargetNotAllowedError, compileAllowList, createEgressGuard, isAssayError } from "../../../core/index.js";
import type { ResolveAll } from "../../../core/index.js";
import { teardown } from "../../harness/index.js";

const resolve: ResolveAll = (hostname) => {
  if (hostname === "good.test") return Promise.resolve([{ address: "127.0.0.1", family: 4 }]);
  if (hostname === "evil.test") return Promise.resolve([{ address: "169.254.169.254", family: 4 }]);
  return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
};

function requestPlan(href: string): RequestPlan {
  const url = new URL(href);
  return { url, origin: url.origin, path: url.pathname, method: "GET", headers: [], body: null, bodyBytes: 0 };
}

/** One request through a fresh client: the status, or the failure. */
async function once(factory: (r: RequestPlan, o: HttpClientOptions) => HttpClient, href: string, options: HttpClientOptions): Promise<number | Error> {
  const client = factory(requestPlan(href), options);
  try {
    return await new Promise<number | Error>((done) => {
      const exchange = client.createExchange({ onResponse: (status) => done(status), onFailure: (error) => done(error), onRetry: () => undefined });
      exchange.send();
    });
  } finally {
    await client.destroy();
  }
}

describe("agent clients under an allow-list", () => {
  for (const [name, factory] of [["fast", createFastClient], ["undici", createUndiciClient]] as const) {
    it(`${name}: connects to allowed names, refuses names resolving off the list and literals off it`, async (t) => {
      let served = 0;
      const server = createServer((_req, res) => {
        served += 1;
        res.end("ok");
      });
      teardown(t).defer(() => new Promise<void>((done) => server.close(() => done())));
      await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
      const { port } = server.address() as AddressInfo;
      const egress = createEgressGuard(compileAllowList(["127.0.0.1"], "shard"), { resolve });
      const options: HttpClientOptions = { connections: 1, requestTimeoutMs: 5000, insecureSkipVerify: false, maxRedirects: 0, egress };
      assert.equal(await once(factory, `http://good.test:${port}/`, options), 200);
      for (const host of ["evil.test", "127.0.0.2"]) {
        const outcome = await once(factory, `http://${host}:${port}/`, options);
        assert.ok(outcome instanceof Error, `${host}: expected a failure`);
        let cause: unknown = outcome;
        while (cause instanceof Error && !(cause instanceof TargetNotAllowedError)) cause = cause.cause;
        assert.ok(cause instanceof TargetNotAllowedError, `${host}: ${String(outcome)}`);
      }
      assert.equal(served, 1);
    });
  }

  it("compiles the ShardSpec's allow-list; a bad pattern is an invalid shard", () => {
    const series = [{ request: { url: "http://127.0.0.1:1/" }, numRequests: 1, connections: 1, model: { closed: {} } }];
    assert.equal(compileShard({ series }).egress, undefined);
    assert.ok(compileShard({ series, allowedTargets: ["127.0.0.1"] }).egress);
    assert.throws(
      () => compileShard({ series, allowedTargets: ["10.0.0.0/40"] }),
      (error: unknown) => isAssayError(error) && error.code === ErrorCode.BadShard && /allowedTargets/.test(error.message),
    );
  });
});
