import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseExperimentText, runTimeFetches } from "../../../core/index.js";
import { failure, taskOf } from "./helpers.js";

const grpc = (lines: string): string => `- task: grpc\n  with:\n${lines
  .trim()
  .split("\n")
  .map((line) => `    ${line.trim()}`)
  .join("\n")}\n`;
const parse = (lines: string) => taskOf(parseExperimentText(grpc(lines), "/d/e.yaml"), 0, "grpc");

void describe("grpc task: Iter8's and ghz's inputs", () => {
  it("defaults are ghz's (Iter8 keeps them): 200 calls, concurrency 50, no rate limit, 1 connection, 20s/10s, plaintext", () => {
    const spec = parse("host: h:1\ncall: a.B.C");
    assert.equal(spec.numRequests, 200);
    assert.equal(spec.durationMs, undefined);
    assert.equal(spec.connections, 50);
    assert.equal(spec.qps, 0);
    assert.equal(spec.loadModel, "closed");
    assert.equal(spec.http2Connections, 1);
    assert.equal(spec.timeoutMs, 20_000);
    assert.equal(spec.connectTimeoutMs, 10_000);
    assert.equal(spec.keepaliveMs, 0);
    assert.deepEqual(spec.stream, { intervalMs: 0, callDurationMs: 0, callCount: 0 });
    assert.equal(spec.tls.plaintext, true);
    assert.deepEqual(spec.versions.map((v) => [v.name, v.call.host, v.call.call]), [["default", "h:1", "a.B.C"]]);
  });

  it("ghz load keys: total, rps (open model), concurrency, connections, duration, skipFirst inside total, timeouts, keepalive", () => {
    const spec = parse("host: h:1\ncall: a.B/C\ntotal: 100\nrps: 50\nconcurrency: 8\nconnections: 2\nskipFirst: 10\ntimeout: 2s\ndial-timeout: 3s\nkeepalive: 30s");
    assert.equal(spec.numRequests, 90);
    assert.equal(spec.warmupNumRequests, 10);
    assert.equal(spec.qps, 50);
    assert.equal(spec.loadModel, "open");
    assert.equal(spec.connections, 8);
    assert.equal(spec.http2Connections, 2);
    assert.equal(spec.timeoutMs, 2000);
    assert.equal(spec.connectTimeoutMs, 3000);
    assert.equal(spec.keepaliveMs, 30_000);
    const streaming = parse("host: h:1\ncall: a.B/C\nstream-interval: 100ms\nstream-call-duration: 2s\nstream-call-count: 7");
    assert.deepEqual(streaming.stream, { intervalMs: 100, callDurationMs: 2000, callCount: 7 });
    const timed = parse("host: h:1\ncall: a.B.C\nduration: 5s\nconnect-timeout: 4s");
    assert.equal(timed.numRequests, undefined);
    assert.equal(timed.durationMs, 5000);
    assert.equal(timed.connectTimeoutMs, 4000);
  });

  it("Assay's spellings: numRequests, qps, stages, loadModel, warmupNumRequests (outside the count)", () => {
    const spec = parse("host: h:1\ncall: a.B.C\nnumRequests: 40\nqps: 20\nloadModel: open\nwarmupNumRequests: 5");
    assert.deepEqual([spec.numRequests, spec.qps, spec.loadModel, spec.warmupNumRequests], [40, 20, "open", 5]);
    const staged = parse("host: h:1\ncall: a.B.C\nstages: [{duration: 2s, qps: 10}, {duration: 1s, qps: 30}]");
    assert.deepEqual([staged.numRequests, staged.durationMs, staged.qps, staged.loadModel], [undefined, 3000, 30, "open"]);
  });

  it("TLS and mTLS: insecure false, skipTLS, cacert/cert/key/cname/authority as paths under the file's directory", () => {
    const spec = parse("host: h:1\ncall: a.B.C\ncacert: ca.pem\ncert: c.pem\nkey: k.pem\ncname: svc.test\nauthority: svc\nskipTLS: true");
    assert.deepEqual(spec.tls, { plaintext: false, skipVerify: true, caCertFile: "/d/ca.pem", certFile: "/d/c.pem", keyFile: "/d/k.pem", serverName: "svc.test", authority: "svc" });
    assert.equal(parse("host: h:1\ncall: a.B.C\ninsecure: false").tls.plaintext, false);
  });

  it("call data, files and URLs (ghz keys, Iter8 v0.8 and chart keys)", () => {
    const spec = parse(
      "host: h:1\ncall: a.B.C\nprotoURL: http://x.test/p.proto\ndata: [{name: a}, {name: b}]\ndataURL: http://x.test/d.json\nmetadata: {k: v}\nmetadataURL: http://x.test/m.json\nbinaryDataURL: http://x.test/b.bin\nimport-paths: [inc]\nreflect-metadata: {r: s}",
    );
    const call = spec.versions[0]?.call;
    assert.deepEqual(call?.data, [{ name: "a" }, { name: "b" }]);
    assert.deepEqual(call?.importPaths, ["/d/inc"]);
    assert.deepEqual(call?.reflectMetadata, { r: "s" });
    const urls = runTimeFetches(parseExperimentText(grpc("host: h:1\ncall: a.B.C\nprotoURL: http://x.test/p.proto\nJSONDataURL: http://x.test/d.json\nMetadataURL: http://x.test/m.json"), "e.yaml"));
    assert.deepEqual(
      urls.map((u) => u.field),
      ["spec[0].with.protoURL", "spec[0].with.dataURL", "spec[0].with.metadataURL"],
    );
    // The chart's rendered form: proto (written by a run task) wins over protoURL, which is not fetched.
    const chart = runTimeFetches(parseExperimentText(grpc("host: h:1\ncall: a.B.C\nproto: /tmp/ghz.proto\nprotoURL: http://x.test/p.proto"), "e.yaml"));
    assert.deepEqual(chart, []);
    assert.deepEqual(parse("host: h:1\ncall: a.B.C\nbinaryData: CgNib2I=").versions[0]?.call.binaryData, new Uint8Array(Buffer.from("CgNib2I=", "base64")));
    assert.equal(parse("host: h:1\ncall: a.B.C\ndata-file: d.json\nbinary-file: b.bin\nmetadata-file: m.json").versions[0]?.call.dataFile, "/d/d.json");
  });

  it("v0.8 versionInfo (unnamed versions are v1, v2, ...) and Assay's versions", () => {
    const v08 = taskOf(
      parseExperimentText("- task: gen-load-and-collect-metrics-grpc\n  with:\n    versionInfo:\n    - {call: a.B.C, host: 'h:1'}\n    - {call: a.B.D, host: 'h:2'}\n", "e.yaml"),
      0,
      "grpc",
    );
    assert.deepEqual(v08.versions.map((v) => [v.name, v.call.host, v.call.call]), [["v1", "h:1", "a.B.C"], ["v2", "h:2", "a.B.D"]]);
    const named = parse("call: a.B.C\nversions: [{name: blue, host: 'h:1'}, {name: green, host: 'h:2'}]");
    assert.deepEqual(named.versions.map((v) => [v.name, v.call.host, v.call.call]), [["blue", "h:1", "a.B.C"], ["green", "h:2", "a.B.C"]]);
  });

  it("endpoints: call fields over the task's, their own total/concurrency/rps", () => {
    const spec = parse("host: h:1\nconcurrency: 5\nendpoints: {again: {call: a.B.Again, total: 10}, hello: {call: a.B.Hello, host: 'h:2', rps: 7}}");
    assert.deepEqual(spec.endpointOrder, ["again", "hello"]);
    const again = spec.versions[0]?.endpoints["again"];
    const hello = spec.versions[0]?.endpoints["hello"];
    assert.deepEqual([again?.call.host, again?.call.call, again?.load.numRequests, again?.load.connections, again?.loadOverrides], ["h:1", "a.B.Again", 10, 5, ["total"]]);
    assert.deepEqual([hello?.call.host, hello?.load.numRequests, hello?.load.qps, hello?.load.loadModel], ["h:2", 200, 7, "open"]);
  });

  it("Iter8's ignored keys are accepted (count-errors, the connect-timeeout typo)", () => {
    const spec = parse("host: h:1\ncall: a.B.C\ncount-errors: true\nconnect-timeeout: 5s");
    assert.equal(spec.connectTimeoutMs, 10_000);
    assert.deepEqual(spec.ignoredFields, ["spec[0].with.connect-timeeout"]);
  });

  it("bad input names the field", () => {
    const cases: [string, RegExp][] = [
      ["call: a.B.C", /spec\[0\]\.with\.host: the grpc task needs host/],
      ["host: h:1\ncall: nodots", /spec\[0\]\.with\.call: expected a fully-qualified method/],
      ["host: h:1\ncall: a.B.C\nconcurrency: 2\nconnections: 3", /connections \(3\) cannot exceed concurrency \(2\)/],
      ["host: h:1\ncall: a.B.C\ntotal: 5\nskipFirst: 5", /skipFirst \(5\) must be below total \(5\)/],
      ["host: h:1\ncall: a.B.C\ntotal: 5\nnumRequests: 5", /write either total \(ghz\) or numRequests/],
      ["host: h:1\ncall: a.B.C\ninsecure: true\nskipTLS: true", /insecure: true means plaintext/],
      ["host: h:1\ncall: a.B.C\ncert: c.pem", /mutual TLS needs both cert and key/],
      ["host: h:1\ncall: a.B.C\ndata: 5", /expected the call data as a map/],
      ["host: h:1\ncall: a.B.C\nstream-interval: often", /spec\[0\]\.with\.stream-interval/],
      ["host: h:1\ncall: a.B.C\nstream-call-count: 2.5", /spec\[0\]\.with\.stream-call-count/],
      ["host: h:1\ncall: a.B.C\nstream-call-count: -1", /spec\[0\]\.with\.stream-call-count/],
      ["host: h:1\ncall: a.B.C\nstream-dynamic-messages: true", /unknown field "stream-dynamic-messages"/],
      ["host: h:1\ncall: a.B.C\nload-schedule: step", /only "const" is supported/],
      ["host: h:1\ncall: a.B.C\nloadModel: open", /the open load model needs a rate > 0/],
    ];
    for (const [lines, message] of cases) assert.match(failure(grpc(lines)).message, message, lines);
  });

  it("SLOs on gRPC metrics: Iter8's names, the dashed form, Assay's extras; unknown ones rejected", () => {
    const assess = (metrics: string): string => `${grpc("host: h:1\ncall: a.B.C\nrps: 10")}- task: assess\n  with:\n    SLOs:\n      upper:\n${metrics}`;
    const ok = parseExperimentText(
      assess(
        ["grpc/latency/p95", "grpc/latency-p95", "grpc/latency/p97.5", "grpc/service-time/p99", "grpc/dropped-count", "grpc/schedule-lag/p99", "grpc/status-count/UNAVAILABLE"]
          .map((m) => `      - {metric: ${m}, limit: 1}\n`)
          .join(""),
      ),
      "e.yaml",
    );
    assert.ok(taskOf(ok, 0, "grpc").percentiles.includes(97.5));
    assert.match(failure(assess("      - {metric: grpc/latency-p95x, limit: 1}\n")).message, /produce no metric/);
  });
});
