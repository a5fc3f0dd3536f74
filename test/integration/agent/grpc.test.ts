/**
 * The grpc task end to end in-process (what `assay run` does: local worker-thread agents, the
 * coordinator's LoadRun) against real grpc-js servers, counting on the server side: unary calls,
 * each streaming kind, server reflection, TLS, deadlines, a method that fails every Nth call, the
 * open model.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import protobuf from "protobufjs";
import { startLocalAgents } from "../../../agent/index.js";
import { runExperiment } from "../../../coordinator/index.js";
import { parseExperimentText, silentLogger } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { ECHO_PROTO, TEST_TLS_CERT, cleanupAll, makeTempDir, startGrpcTarget, teardown } from "../../harness/index.js";
import type { GrpcTarget, GrpcTargetOptions } from "../../harness/index.js";

after(cleanupAll);

async function target(t: Parameters<typeof teardown>[0], options: GrpcTargetOptions = {}): Promise<GrpcTarget> {
  const started = await startGrpcTarget(options);
  teardown(t).defer(() => started.close());
  return started;
}

/** Runs one grpc task (the `with:` lines given) on two local agents. */
async function runGrpc(t: Parameters<typeof teardown>[0], withLines: readonly string[], agents = 2): Promise<ResultDocument> {
  const link = await startLocalAgents({ count: agents });
  teardown(t).defer(() => link.close());
  const yaml = ["spec:", "- task: grpc", "  with:", ...withLines.map((line) => `    ${line}`)].join("\n");
  const experiment = parseExperimentText(`${yaml}\n`, "/tmp/grpc-test.yaml");
  return runExperiment(experiment, { link, logger: silentLogger(), reportIntervalMs: 200 });
}

function metricsOf(result: ResultDocument, version = "default"): Record<string, number> {
  assert.equal(result.failure, null, JSON.stringify(result.tasks));
  const load = result["load" as keyof ResultDocument] as { conservation?: { ok: boolean; mismatches: string[] } } | undefined;
  assert.equal(load?.conservation?.ok, true, JSON.stringify(load?.conservation));
  const metrics = result.metrics[version];
  assert.ok(metrics, `metrics of ${version}: ${JSON.stringify(result.metrics)}`);
  return metrics;
}

void describe("grpc task in-process against grpc-js servers", () => {
  it("unary: 120 calls over 2 agents, counted on the server, metadata sent, Iter8's metrics", async (t) => {
    const server = await target(t, { delayMs: 1 });
    const result = await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo.Say", `proto: ${server.protoPath}`, "total: 120", "concurrency: 6", "connections: 2", "data: {name: bob}", "metadata: {x-assay: yes}"]);
    const m = metricsOf(result);
    assert.equal(server.calls("Say"), 120);
    assert.equal(m["grpc/request-count"], 120);
    assert.equal(m["grpc/error-count"], 0);
    assert.equal(m["grpc/error-rate"], 0);
    assert.equal(m["grpc/status-count/OK"], 120);
    for (const name of ["grpc/latency/mean", "grpc/latency/stddev", "grpc/latency/min", "grpc/latency/max", "grpc/latency/p50", "grpc/latency/p95", "grpc/latency/p99.9"]) {
      assert.equal(typeof m[name], "number", name);
    }
    assert.ok((m["grpc/latency/min"] ?? 0) <= (m["grpc/latency/p50"] ?? 0) && (m["grpc/latency/p50"] ?? 0) <= (m["grpc/latency/max"] ?? 0));
    assert.equal(server.lastMetadata()["x-assay"], "yes");
  });

  it("skipFirst calls are made but not counted (ghz: inside total)", async (t) => {
    const server = await target(t);
    const m = metricsOf(await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo/Say", `proto: ${server.protoPath}`, "total: 50", "skipFirst: 10", "concurrency: 4"], 1));
    assert.equal(server.calls("Say"), 50);
    assert.equal(m["grpc/request-count"], 40);
  });

  it("a method failing every 10th call: errors = non-OK statuses, counted per status", async (t) => {
    const server = await target(t, { failEvery: 10 });
    const m = metricsOf(await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo.Fail", `proto: ${server.protoPath}`, "total: 100", "concurrency: 5"]));
    assert.equal(server.calls("Fail"), 100);
    assert.equal(m["grpc/request-count"], 100);
    assert.equal(m["grpc/error-count"], 10);
    assert.equal(m["grpc/error-rate"], 0.1);
    assert.equal(m["grpc/status-count/INTERNAL"], 10);
    assert.equal(m["grpc/status-count/OK"], 90);
  });

  it("server reflection when no proto is given", async (t) => {
    const server = await target(t, { reflection: true });
    const m = metricsOf(await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo.Say", "total: 20", "concurrency: 2", "data: {name: refl}"]));
    assert.equal(server.calls("Say"), 20);
    assert.equal(m["grpc/status-count/OK"], 20);
  });

  it("streaming kinds with ghz's semantics: one call is one request, its messages all sent", async (t) => {
    const server = await target(t);
    const common = [`host: ${server.host}`, `proto: ${server.protoPath}`, "total: 10", "concurrency: 2"];
    const serverStream = metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.ServerStream", "data: {count: 3}"], 1));
    assert.equal(serverStream["grpc/request-count"], 10);
    assert.equal(server.calls("ServerStream"), 10);
    const clientStream = metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.ClientStream", "data: [{name: a}, {name: b}, {name: c}]"], 1));
    assert.equal(clientStream["grpc/request-count"], 10);
    assert.equal(server.calls("ClientStream"), 10);
    assert.equal(server.messages("ClientStream"), 30);
    const bidi = metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.Bidi", "data: [{name: a}, {name: b}]"], 1));
    assert.equal(bidi["grpc/request-count"], 10);
    assert.equal(server.calls("Bidi"), 10);
    assert.equal(server.messages("Bidi"), 20);
    assert.equal(bidi["grpc/error-count"], 0);
  });

  it("TLS with a CA file, and skipTLS; plaintext to a TLS server fails as UNAVAILABLE", async (t) => {
    const server = await target(t, { tls: true });
    const dir = await makeTempDir("grpc-tls");
    const ca = join(dir, "ca.pem");
    await writeFile(ca, TEST_TLS_CERT);
    const common = [`host: ${server.host}`, "call: assay.test.Echo.Say", `proto: ${server.protoPath}`, "total: 20", "concurrency: 2"];
    assert.equal(metricsOf(await runGrpc(t, [...common, `cacert: ${ca}`], 1))["grpc/status-count/OK"], 20);
    assert.equal(metricsOf(await runGrpc(t, [...common, "skipTLS: true"], 1))["grpc/status-count/OK"], 20);
    assert.equal(server.calls("Say"), 40);
    const plain = metricsOf(await runGrpc(t, [...common, "timeout: 2s"], 1));
    assert.equal(plain["grpc/error-count"], 20);
    assert.equal(plain["grpc/status-count/UNAVAILABLE"], 20);
  });

  it("deadlines: calls slower than timeout end DEADLINE_EXCEEDED, at about the timeout", async (t) => {
    const server = await target(t);
    const m = metricsOf(await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo.Slow", `proto: ${server.protoPath}`, "total: 6", "concurrency: 3", "timeout: 150ms", "data: {delay_ms: 2000}"], 1));
    assert.equal(m["grpc/status-count/DEADLINE_EXCEEDED"], 6);
    assert.equal(m["grpc/error-count"], 6);
    assert.ok((m["grpc/latency/min"] ?? 0) >= 140 && (m["grpc/latency/max"] ?? 0) < 1500, `latency ${m["grpc/latency/min"]}..${m["grpc/latency/max"]}`);
  });

  it("the deadline reaches the server as grpc-timeout; a server that ignores it is cut off at the timeout", async (t) => {
    // An HTTP/2 server that takes every call and never answers, and shows the headers it got.
    const timeouts: string[] = [];
    const silent = http2.createServer();
    silent.on("stream", (stream, headers) => {
      timeouts.push(String(headers["grpc-timeout"]));
      stream.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    teardown(t).defer(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const server = await target(t);
    const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const m = metricsOf(await runGrpc(t, [`host: ${host}`, "call: assay.test.Echo.Say", `proto: ${server.protoPath}`, "total: 4", "concurrency: 2", "timeout: 300ms"], 1));
    assert.deepEqual(timeouts, ["300m", "300m", "300m", "300m"]);
    assert.equal(m["grpc/status-count/DEADLINE_EXCEEDED"], 4);
    assert.ok((m["grpc/latency/min"] ?? 0) >= 290 && (m["grpc/latency/max"] ?? 0) < 1000, `latency ${m["grpc/latency/min"]}..${m["grpc/latency/max"]}`);
  });

  it("open model (rps): calls + dropped = total, latency from the intended time, service time and lag reported", async (t) => {
    const server = await target(t);
    const m = metricsOf(await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo.Say", `proto: ${server.protoPath}`, "total: 60", "rps: 200", "concurrency: 4"]));
    assert.equal((m["grpc/request-count"] ?? 0) + (m["grpc/dropped-count"] ?? 0), 60);
    assert.equal(server.calls("Say"), m["grpc/request-count"]);
    for (const name of ["grpc/service-time/mean", "grpc/service-time/p95", "grpc/schedule-lag/p99"]) assert.equal(typeof m[name], "number", name);
  });

  it("endpoints with their own totals; versionInfo versions", async (t) => {
    const server = await target(t);
    const r = await runGrpc(t, [`host: ${server.host}`, `proto: ${server.protoPath}`, "concurrency: 3", "endpoints:", "  a: {call: assay.test.Echo.Say, total: 7}", "  b: {call: assay.test.Echo.Fail, total: 13}"]);
    const m = metricsOf(r);
    assert.deepEqual([m["grpc-a/request-count"], m["grpc-b/request-count"], server.calls("Say"), server.calls("Fail")], [7, 13, 7, 13]);
    const v = await runGrpc(t, [`proto: ${server.protoPath}`, "total: 5", "concurrency: 1", "versionInfo:", `- {host: '${server.host}', call: assay.test.Echo.Say}`, `- {host: '${server.host}', call: assay.test.Echo.Say}`]);
    assert.deepEqual([metricsOf(v, "v1")["grpc/request-count"], metricsOf(v, "v2")["grpc/request-count"]], [5, 5]);
  });

  it("a call that cannot be resolved fails the task before any call, naming the field", async (t) => {
    const server = await target(t);
    const failed = async (lines: readonly string[]): Promise<string> => {
      const result = await runGrpc(t, [`host: ${server.host}`, "total: 5", ...lines], 1);
      assert.equal(result.completed, false);
      return JSON.stringify(result.tasks[0]?.error);
    };
    assert.match(await failed(["call: assay.test.Echo.Nope", `proto: ${server.protoPath}`]), /spec\[0\]\.with\.call: service assay\.test\.Echo has no method Nope/);
    assert.match(await failed(["call: assay.test.Nope.Say", `proto: ${server.protoPath}`]), /no service assay\.test\.Nope/);
    assert.match(await failed(["call: assay.test.Echo.Say", "proto: /nonexistent/echo.proto"]), /spec\[0\]\.with\.proto: cannot read \/nonexistent\/echo\.proto/);
    assert.match(await failed(["call: assay.test.Echo.Say"]), /could not resolve assay\.test\.Echo\.Say by server reflection/);
    assert.equal(server.totalCalls(), 0);
  });

  it("protoURL, dataURL and metadataURL are fetched when the task runs", async (t) => {
    const server = await target(t);
    const files: Record<string, string> = { "/echo.proto": ECHO_PROTO, "/data.json": JSON.stringify({ name: "fetched" }), "/metadata.json": JSON.stringify({ "x-from-url": "yes" }) };
    const assets = createServer((req, res) => {
      const body = files[req.url ?? ""];
      res.writeHead(body === undefined ? 404 : 200).end(body);
    });
    await new Promise<void>((resolve) => assets.listen(0, "127.0.0.1", resolve));
    teardown(t).defer(() => new Promise((resolve) => assets.close(resolve)));
    const base = `http://127.0.0.1:${(assets.address() as AddressInfo).port}`;
    const m = metricsOf(await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo.Say", `protoURL: ${base}/echo.proto`, `dataURL: ${base}/data.json`, `metadataURL: ${base}/metadata.json`, "total: 10", "concurrency: 2"], 1));
    assert.equal(m["grpc/status-count/OK"], 10);
    assert.equal(server.lastMetadata()["x-from-url"], "yes");
    const missing = await runGrpc(t, [`host: ${server.host}`, "call: assay.test.Echo.Say", `protoURL: ${base}/nope.proto`, "total: 10"], 1);
    assert.match(JSON.stringify(missing.tasks[0]?.error), /spec\[0\]\.with\.protoURL: cannot fetch .*404/);
  });
});

void describe("grpc call data and streams as ghz sends them", () => {
  it("ghz's streaming options: stream-call-count, stream-interval, stream-call-duration", async (t) => {
    const server = await target(t);
    const common = [`host: ${server.host}`, `proto: ${server.protoPath}`, "total: 4", "concurrency: 2"];
    // A count above the data's length sends the messages in turn: a, b, a, b, a per call.
    const counted = metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.ClientStream", "data: [{name: a}, {name: b}]", "stream-call-count: 5"], 1));
    assert.equal(counted["grpc/error-count"], 0);
    assert.deepEqual(server.names("ClientStream"), { a: 12, b: 8 });
    // Three messages 100 ms apart: every call takes at least the two intervals.
    const spaced = metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.Bidi", "data: [{name: x}, {name: y}, {name: z}]", "stream-interval: 100ms"], 1));
    assert.equal(spaced["grpc/error-count"], 0);
    assert.equal(server.messages("Bidi"), 12);
    assert.ok((spaced["grpc/latency/min"] ?? 0) >= 190, `latency min ${spaced["grpc/latency/min"]} ms`);
    // Sending stops at the call's duration: messages at 0, 100, 200, 300 ms of the 100 asked for, then the end.
    const before = server.messages("ClientStream");
    const cut = metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.ClientStream", "data: {name: c}", "stream-interval: 100ms", "stream-call-count: 100", "stream-call-duration: 350ms"], 1));
    assert.equal(cut["grpc/error-count"], 0);
    const perCall = (server.messages("ClientStream") - before) / 4;
    assert.ok(perCall >= 3 && perCall <= 5, `${perCall} messages per call`);
    assert.ok((cut["grpc/latency/min"] ?? 0) >= 340 && (cut["grpc/latency/max"] ?? Infinity) < 2000, JSON.stringify(cut));
  });

  it("a server stream ended by the client at stream-call-count or stream-call-duration is an OK call", async (t) => {
    const slow = await target(t, { delayMs: 3000 });
    const common = [`host: ${slow.host}`, `proto: ${slow.protoPath}`, "total: 4", "concurrency: 2", "call: assay.test.Echo.ServerStream", "data: {count: 50}"];
    const timed = metricsOf(await runGrpc(t, [...common, "stream-call-duration: 300ms"], 1));
    assert.equal(timed["grpc/error-count"], 0, JSON.stringify(timed));
    assert.equal(timed["grpc/status-count/OK"], 4);
    assert.ok((timed["grpc/latency/max"] ?? Infinity) < 2000, `ended at the duration, not the server's 3 s: ${JSON.stringify(timed)}`);
    const fast = await target(t);
    const counted = metricsOf(await runGrpc(t, [`host: ${fast.host}`, `proto: ${fast.protoPath}`, "total: 4", "concurrency: 2", "call: assay.test.Echo.ServerStream", "data: {count: 50}", "stream-call-count: 3"], 1));
    assert.equal(counted["grpc/error-count"], 0, JSON.stringify(counted));
    assert.equal(counted["grpc/status-count/OK"], 4);
  });

  it("binary data as ghz reads it: a stream of length-delimited messages, or one serialized message", async (t) => {
    const server = await target(t);
    const request = protobuf.parse(ECHO_PROTO).root.lookupType("assay.test.EchoRequest");
    const dir = await makeTempDir("grpc-binary");
    const streamFile = join(dir, "stream.bin");
    // What protobuf's writeDelimitedTo (and ghz's count-prefixed input) is: varint length, message, ...
    await writeFile(streamFile, Buffer.concat(["a", "b", "c"].map((name) => request.encodeDelimited({ name }).finish())));
    const single = Buffer.from(request.encode({ name: "solo" }).finish()).toString("base64");
    const common = [`host: ${server.host}`, `proto: ${server.protoPath}`, "total: 12", "concurrency: 3"];

    // Unary: the messages in turn, one per call.
    assert.equal(metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.Say", `binary-file: ${streamFile}`], 1))["grpc/error-count"], 0);
    assert.deepEqual(server.names("Say"), { a: 4, b: 4, c: 4 });
    // One serialized message, not delimited (its first byte read as a length runs past the end).
    assert.equal(metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.Say", `binaryData: ${single}`], 1))["grpc/request-count"], 12);
    assert.equal(server.names("Say")["solo"], 12);
    // Client streaming: every call sends the whole stream.
    assert.equal(metricsOf(await runGrpc(t, [...common, "call: assay.test.Echo.ClientStream", `binary-file: ${streamFile}`], 1))["grpc/request-count"], 12);
    assert.deepEqual(server.names("ClientStream"), { a: 12, b: 12, c: 12 });

    // Neither form: the task fails before any call, naming the field.
    const before = server.totalCalls();
    const garbage = Buffer.from([0x02, 0x0f, 0xff, 0xff, 0xff]).toString("base64");
    const failed = await runGrpc(t, [...common, "call: assay.test.Echo.Say", `binaryData: ${garbage}`], 1);
    assert.equal(failed.completed, false);
    assert.match(JSON.stringify(failed.tasks[0]?.error), /spec\[0\]\.with\.binaryData: not a serialized \/assay\.test\.Echo\/Say request message, nor a stream of length-delimited ones/);
    assert.equal(server.totalCalls(), before);
  });
});
