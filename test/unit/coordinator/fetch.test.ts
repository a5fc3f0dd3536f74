/**
 * Run-time fetches (issue 11): `fetchRunTimeResource` against a local file server (redirects,
 * status, size limit, timeout, a dispatcher that refuses), and an experiment whose `payloadURL`
 * and `payloadTemplateURL` are fetched when their tasks run.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Agent } from "undici";
import type { Dispatcher } from "undici";
import { defaultRunners, runExperiment } from "../../../coordinator/index.js";
import { DEFAULT_FETCH_MAX_BYTES, RunTimeFetchError, fetchRunTimeResource, fetchRunTimeText } from "../../../coordinator/fetch/index.js";
import { ErrorCode, parseExperimentText, silentLogger } from "../../../core/index.js";
import { teardown } from "../../harness/index.js";
import { fakeAgents, httpTarget } from "../load-accuracy/support.js";

type Ctx = Parameters<typeof httpTarget>[0];

/** A file server: /body.json, /big, /slow, /moved -> /body.json, /loop, /missing (404). */
async function fileServer(t: Ctx): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const target = await httpTarget(t, {
    handler: (req, res) => {
      hits++;
      const path = req.url ?? "/";
      if (path === "/body.json") return void res.writeHead(200, { "content-type": "application/json" }).end('{"hello":"world"}');
      if (path === "/template.tpl") return void res.writeHead(200).end('{"text": "{{ .Result.Name }} done"}');
      if (path === "/big") return void res.writeHead(200, { "content-length": "2048" }).end("x".repeat(2048));
      if (path === "/chunked-big") {
        res.writeHead(200);
        res.write("y".repeat(1500));
        return void res.end("y".repeat(1500));
      }
      if (path === "/slow") return void setTimeout(() => res.writeHead(200).end("late"), 2_000).unref();
      if (path === "/moved") return void res.writeHead(302, { location: "/body.json" }).end();
      if (path === "/loop") return void res.writeHead(302, { location: "/loop" }).end();
      res.writeHead(404).end("no");
    },
  });
  return { url: target.url.replace(/\/$/, ""), hits: () => hits };
}

const rejectsWith = async (promise: Promise<unknown>, code: ErrorCode, pattern: RegExp): Promise<void> =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RunTimeFetchError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.field, "spec[0].with.payloadURL");
    assert.match(error.message, pattern);
    return true;
  });

void describe("fetchRunTimeResource", () => {
  const field = "spec[0].with.payloadURL";

  void it("returns the body, following redirects", async (t) => {
    const server = await fileServer(t);
    assert.equal(await fetchRunTimeText(`${server.url}/body.json`, { field }), '{"hello":"world"}');
    assert.equal(await fetchRunTimeText(`${server.url}/moved`, { field }), '{"hello":"world"}');
    assert.ok(DEFAULT_FETCH_MAX_BYTES >= 1024 * 1024);
  });

  void it("fails with typed errors naming the field: status, size, time, redirect loop", async (t) => {
    const server = await fileServer(t);
    await rejectsWith(fetchRunTimeResource(`${server.url}/missing`, { field }), ErrorCode.FetchFailed, /^spec\[0\]\.with\.payloadURL: cannot fetch http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404$/);
    await rejectsWith(fetchRunTimeResource(`${server.url}/big`, { field, maxBytes: 1024 }), ErrorCode.FetchTooLarge, /2048 bytes, more than the limit of 1024/);
    await rejectsWith(fetchRunTimeResource(`${server.url}/chunked-big`, { field, maxBytes: 2000 }), ErrorCode.FetchTooLarge, /larger than 2000 bytes/);
    const started = Date.now();
    await rejectsWith(fetchRunTimeResource(`${server.url}/slow`, { field, timeoutMs: 200 }), ErrorCode.FetchFailed, /no answer within 200 ms/);
    assert.ok(Date.now() - started < 1_500, "the timeout bounds the fetch");
    await rejectsWith(fetchRunTimeResource(`${server.url}/loop`, { field }), ErrorCode.FetchFailed, /more than 10 redirects/);
    await assert.rejects(fetchRunTimeResource("ftp://127.0.0.1/x", { field }), /spec\[0\]\.with\.payloadURL: "ftp:\/\/127\.0\.0\.1\/x" is not an http\(s\) URL/);
  });

  void it("sends through the dispatcher it is given (where an allow-list plugs in)", async (t) => {
    const server = await fileServer(t);
    const agent = new Agent();
    teardown(t).defer(() => agent.close());
    const seen: string[] = [];
    const refusing = agent.compose((dispatch: Dispatcher["dispatch"]) => (opts, handler) => {
      seen.push(`${new URL(String(opts.origin)).origin}${opts.path}`);
      if (opts.path === "/body.json") throw new Error("host not in the allow-list");
      return dispatch(opts, handler);
    });
    await rejectsWith(fetchRunTimeResource(`${server.url}/moved`, { field, dispatcher: refusing }), ErrorCode.FetchFailed, /host not in the allow-list/);
    assert.deepEqual(seen, [`${server.url}/moved`, `${server.url}/body.json`], "every redirect hop goes through the dispatcher");
  });
});

void describe("an experiment's URLs are fetched when its tasks run", () => {
  void it("payloadURL becomes the body of every request; payloadTemplateURL the notify body", async (t) => {
    const server = await fileServer(t);
    const received: { path: string; body: string }[] = [];
    const app = await httpTarget(t, {
      handler: (req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          received.push({ path: req.url ?? "", body });
          res.writeHead(200).end("ok");
        });
      },
    });
    const yaml = [
      "spec:",
      "  - task: http",
      `    with: {url: ${app.url}post, payloadURL: ${server.url}/body.json, contentType: application/json, numRequests: 12, qps: 0}`,
      "  - task: notify",
      `    with: {url: ${app.url}hook, method: POST, payloadTemplateURL: ${server.url}/template.tpl}`,
    ].join("\n");
    const link = fakeAgents(t, [{ id: "a1" }]);
    const hitsBefore = server.hits();
    const result = await runExperiment(parseExperimentText(yaml, "exp.yaml"), { link, logger: silentLogger(), reportIntervalMs: 200, runners: defaultRunners() });
    assert.equal(result.failure, null);
    assert.equal(server.hits() - hitsBefore, 2, "each URL fetched once");
    const loads = received.filter((r) => r.path === "/post");
    assert.equal(loads.length, 12);
    assert.ok(loads.every((r) => r.body === '{"hello":"world"}'));
    const hook = received.filter((r) => r.path === "/hook");
    assert.equal(hook.length, 1);
    assert.match(hook[0]?.body ?? "", /^\{"text": ".* done"\}$/);
  });

  void it("a URL that cannot be fetched fails its task, naming the field, before any load", async (t) => {
    const server = await fileServer(t);
    const app = await httpTarget(t);
    const yaml = `spec:\n  - task: http\n    with: {url: ${app.url}, payloadURL: ${server.url}/missing, numRequests: 5}\n`;
    const link = fakeAgents(t, [{ id: "a1" }]);
    const result = await runExperiment(parseExperimentText(yaml, "exp.yaml"), { link, logger: silentLogger(), reportIntervalMs: 200, fetch: { timeoutMs: 2_000 } });
    assert.match(result.failure ?? "", /task 1 \(http\) failed: spec\[0\]\.with\.payloadURL: cannot fetch .*\/missing: HTTP 404/);
    assert.equal(result.tasks[0]?.error?.code, ErrorCode.FetchFailed);
    assert.equal(app.received(), 0);
  });
});
