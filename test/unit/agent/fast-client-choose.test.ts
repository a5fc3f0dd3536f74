import assert from "node:assert/strict";
import { test } from "node:test";
import { compileShard, fastPathRefusal } from "../../../agent/index.js";
import type { HttpClientOptions, RequestPlan } from "../../../agent/index.js";
import { serializeRequest } from "../../../agent/engine/fast-client.js";
import type { SeriesLoadInit } from "../../../core/index.js";

type RequestSpecInit = NonNullable<SeriesLoadInit["request"]>;

function plan(request: RequestSpecInit): RequestPlan {
  const shard = compileShard({ series: [{ version: "v", request, model: { closed: { maxQps: 0 } }, connections: 1, numRequests: 1 }] });
  const compiled = shard.series[0]?.request;
  assert.ok(compiled);
  return compiled;
}

const options: HttpClientOptions = { connections: 1, requestTimeoutMs: 1000, insecureSkipVerify: false, maxRedirects: 0 };

test("the fast path serves plain http keep-alive requests", () => {
  assert.equal(fastPathRefusal(plan({ url: "http://127.0.0.1:8080/x" }), options, {}), null);
  assert.equal(fastPathRefusal(plan({ url: "http://svc/x", method: "post", body: new Uint8Array([1]), headers: [{ name: "Authorization", value: "Bearer t" }] }), options, {}), null);
  assert.equal(fastPathRefusal(plan({ url: "http://[::1]:9/", method: "HEAD" }), options, {}), null);
});

test("everything unusual goes to undici, with the reason", () => {
  assert.match(fastPathRefusal(plan({ url: "https://127.0.0.1/" }), options, {}) ?? "", /https/);
  assert.match(fastPathRefusal(plan({ url: "http://127.0.0.1/" }), { ...options, maxRedirects: 10 }, {}) ?? "", /redirect/);
  assert.match(fastPathRefusal(plan({ url: "http://127.0.0.1/", method: "CONNECT" }), options, {}) ?? "", /method/);
  for (const name of ["Connection", "transfer-encoding", "Content-Length", "Expect", "Upgrade", "TE", "Keep-Alive"]) {
    assert.match(fastPathRefusal(plan({ url: "http://127.0.0.1/", headers: [{ name, value: "x" }] }), options, {}) ?? "", /header/, name);
  }
  assert.match(fastPathRefusal(plan({ url: "http://127.0.0.1/", headers: [{ name: "x-a", value: "a\r\nb: c" }] }), options, {}) ?? "", /control/);
  assert.match(fastPathRefusal(plan({ url: "http://127.0.0.1/", headers: [{ name: "bad name", value: "x" }] }), options, {}) ?? "", /header name/);
  assert.equal(fastPathRefusal(plan({ url: "http://127.0.0.1/" }), options, { ASSAY_HTTP_CLIENT: "undici" }), "ASSAY_HTTP_CLIENT=undici");
});

test("the request is serialised once: request line, Host, headers, Content-Length, body", () => {
  const body = new TextEncoder().encode("hello");
  const bytes = serializeRequest(plan({ url: "http://example.test:8080/a/b?c=1", method: "POST", body, contentType: "text/plain", headers: [{ name: "X-One", value: "1" }] }));
  assert.equal(
    bytes.toString("latin1"),
    "POST /a/b?c=1 HTTP/1.1\r\nhost: example.test:8080\r\nconnection: keep-alive\r\nX-One: 1\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello",
  );
  assert.equal(serializeRequest(plan({ url: "http://h/" })).toString("latin1"), "GET / HTTP/1.1\r\nhost: h\r\nconnection: keep-alive\r\n\r\n");
  assert.equal(serializeRequest(plan({ url: "http://h/", method: "PUT" })).toString("latin1"), "PUT / HTTP/1.1\r\nhost: h\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n");
  assert.equal(
    serializeRequest(plan({ url: "http://h/", headers: [{ name: "Host", value: "virtual" }] })).toString("latin1"),
    "GET / HTTP/1.1\r\nconnection: keep-alive\r\nHost: virtual\r\n\r\n",
  );
});
