import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { request } from "undici";
import { ErrorCode, TargetNotAllowedError, compileAllowList, createEgressGuard, findTargetNotAllowed, isProtectedAddress } from "../../../core/index.js";
import type { ResolveAll } from "../../../core/index.js";
import { teardown } from "../../harness/index.js";

/** A resolver that knows a few test names and nothing else. */
const fakeDns: ResolveAll = (hostname) => {
  const table: Record<string, { address: string; family: number }[]> = {
    "ok.test": [{ address: "127.0.0.1", family: 4 }],
    "metadata.test": [{ address: "169.254.169.254", family: 4 }],
    "mixed.test": [{ address: "127.0.0.1", family: 4 }, { address: "127.0.0.2", family: 4 }],
    "public.test": [{ address: "93.184.216.34", family: 4 }],
    "ten.test": [{ address: "10.1.2.3", family: 4 }],
  };
  const found = table[hostname];
  if (!found) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
  return Promise.resolve(found);
};

describe("allow-list patterns", () => {
  it("protects loopback, link-local and metadata addresses from names and broad CIDRs", () => {
    const list = compileAllowList(["*", "0.0.0.0/0"], "cfg");
    assert.equal(list.allowsAddress("93.184.216.34", "example.com"), true);
    assert.equal(list.allowsAddress("169.254.169.254", "evil.example"), false);
    assert.equal(list.allowsAddress("169.254.169.254", "169.254.169.254"), false);
    assert.equal(list.allowsAddress("127.0.0.1", "localhost"), false);
    assert.equal(list.allowsAddress("::ffff:169.254.169.254", "x"), false);
    assert.equal(list.allowsAddress("fe80::1", "x"), false);
    assert.equal(isProtectedAddress("100.100.100.200"), true);
  });
  it("reaches a protected address only through an address pattern inside its range", () => {
    const list = compileAllowList(["127.0.0.1", "169.254.169.254"], "cfg");
    assert.equal(list.allowsAddress("127.0.0.1", "anything.test"), true);
    assert.equal(list.allowsAddress("127.0.0.2", "127.0.0.2"), false);
    assert.equal(list.allowsAddress("169.254.169.254", "metadata.test"), true);
  });
  it("lets a matching name reach any unprotected address, other names only allowed addresses", () => {
    const list = compileAllowList(["*.svc.cluster.local", "10.0.0.0/8"], "cfg");
    assert.equal(list.allowsAddress("192.168.1.9", "web.prod.svc.cluster.local"), true);
    assert.equal(list.allowsAddress("192.168.1.9", "web.example"), false);
    assert.equal(list.allowsAddress("10.9.9.9", "web.example"), true);
    assert.equal(list.allows("web.example"), false);
    assert.equal(list.hasAddressPatterns, true);
  });
  it("refuses malformed patterns naming the source", () => {
    assert.throws(() => compileAllowList(["10.0.0.0/33"], "cfg.yaml"), /cfg\.yaml: allowedTargets: "10\.0\.0\.0\/33" is not a valid CIDR/);
    assert.throws(() => compileAllowList(["http://x/"], "cfg.yaml"), /neither a host pattern nor a CIDR/);
  });
});

describe("egress guard", () => {
  const guard = createEgressGuard(compileAllowList(["127.0.0.1", "ten.test", "*.example"], "cfg"), { resolve: fakeDns });
  it("checks every resolved address before submit", async () => {
    await guard.check("ok.test");
    await guard.check("127.0.0.1");
    const refused = await guard.check("metadata.test").then(() => undefined, (error: unknown) => error);
    assert.ok(refused instanceof TargetNotAllowedError);
    assert.equal(refused.code, ErrorCode.TargetNotAllowed);
    assert.equal(refused.address, "169.254.169.254");
    assert.match(refused.message, /metadata\.test resolves to 169\.254\.169\.254/);
    await assert.rejects(guard.check("mixed.test"), /resolves to 127\.0\.0\.2/);
    await assert.rejects(guard.check("127.0.0.2"), TargetNotAllowedError);
  });
  it("refuses at connect time through net.connect's lookup", async (t) => {
    const server = createServer((_req, res) => res.end("hi"));
    teardown(t).defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const outcome = (host: string): Promise<Error | "connected"> =>
      new Promise((resolve) => {
        const socket = connect({ host, port, lookup: guard.lookup });
        socket.once("connect", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.once("error", (error) => resolve(error));
      });
    assert.equal(await outcome("ok.test"), "connected");
    const refused = await outcome("metadata.test");
    assert.ok(refused instanceof TargetNotAllowedError, String(refused));
  });
  it("refuses through an undici dispatcher, literals included, and lets allowed hosts through", async (t) => {
    const server = createServer((_req, res) => res.end("hi"));
    const dispatcher = guard.dispatcher();
    teardown(t).defer(() => dispatcher.close());
    teardown(t).defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const ok = await request(`http://ok.test:${port}/`, { dispatcher });
    assert.equal(await ok.body.text(), "hi");
    for (const host of ["127.0.0.2", "mixed.test", "metadata.test"]) {
      const error = await request(`http://${host}:${port}/`, { dispatcher }).then(() => undefined, (e: unknown) => e);
      const refusal = findTargetNotAllowed(error);
      assert.ok(refusal, `${host}: expected a refusal, got ${String(error)}`);
    }
  });
});
