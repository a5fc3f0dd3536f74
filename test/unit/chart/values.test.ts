/**
 * How `assay launch` assembles values (core/chart/values.ts): -f files merged in order, then
 * --set, --set-string, --set-file, coalesced over the chart's values.yaml as Helm does.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ErrorCode, ValidationError, coalesceValues, loadUserValues, mergeValues, numericStrings } from "../../../core/index.js";
import { cleanupAll, makeTempDir, startHttpTarget } from "../../harness/index.js";

after(cleanupAll);

void describe("chart values", () => {
  void it("merges maps key by key and replaces lists and scalars (Helm's -f order)", () => {
    const merged = mergeValues({ http: { url: "a", qps: 5, headers: { x: "1" } }, tasks: ["http", "assess"] }, { http: { qps: 10, headers: { y: "2" } }, tasks: ["http"] });
    assert.deepEqual(merged, { http: { url: "a", qps: 10, headers: { x: "1", y: "2" } }, tasks: ["http"] });
  });

  void it("coalesces user values over the chart's, a user null deleting the chart's key", () => {
    const chart = { runner: "none", majorMinor: "v0.14", resources: { requests: { cpu: "250m", memory: "64Mi" } } };
    const out = coalesceValues({ runner: "job", majorMinor: null, resources: { requests: { cpu: "1" } } }, chart);
    assert.deepEqual(out, { runner: "job", resources: { requests: { cpu: "1", memory: "64Mi" } } });
    assert.equal(chart.resources.requests.cpu, "250m", "the chart's values are not modified");
  });

  void it("applies -f files in order, then --set, then --set-string, then --set-file", async () => {
    const dir = await makeTempDir("assay-values-");
    const first = join(dir, "a.yaml");
    const second = join(dir, "b.yaml");
    const body = join(dir, "body.json");
    await writeFile(first, "http:\n  url: http://a/\n  qps: 5\ntasks: [http, assess]\n");
    await writeFile(second, "http:\n  qps: 8\ntasks: [http]\n");
    await writeFile(body, '{"x": 1}');
    const values = await loadUserValues({
      files: [`${first},${second}`],
      set: ["http.qps=9", "http.numRequests=10"],
      setString: ["http.numRequests=11"],
      setFile: [`http.payloadStr=${body}`],
    });
    assert.deepEqual(values, { http: { url: "http://a/", qps: 9, numRequests: "11", payloadStr: '{"x": 1}' }, tasks: ["http"] });
  });

  void it("names the file and line of a values file that is not YAML, and refuses a non-map", async () => {
    const dir = await makeTempDir("assay-values-");
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "http:\n  url: [unclosed\n");
    await assert.rejects(loadUserValues({ files: [bad] }), (error: unknown) => error instanceof ValidationError && error.code === ErrorCode.BadValues && error.message.startsWith(`${bad}:`));
    const list = join(dir, "list.yaml");
    await writeFile(list, "- a\n- b\n");
    await assert.rejects(loadUserValues({ files: [list] }), /must be a map of keys to values, got a list/);
    await assert.rejects(loadUserValues({ files: [join(dir, "missing.yaml")] }), /cannot read values file .*missing\.yaml: no such file/);
    await assert.rejects(loadUserValues({ setFile: [`a=${join(dir, "missing.txt")}`] }), /--set-file: cannot read .*missing\.txt/);
  });

  void it("fetches -f URL values files, and names the URL when the answer is not 2xx", async () => {
    const files = await startHttpTarget({ handler: (req, res) => (req.url === "/values.yaml" ? res.end("http:\n  url: http://app/\n") : ((res.statusCode = 404), res.end())) });
    const base = files.url.replace(/\/$/, "");
    assert.deepEqual(await loadUserValues({ files: [`${base}/values.yaml`], set: ["http.qps=5"] }), { http: { url: "http://app/", qps: 5 } });
    await assert.rejects(loadUserValues({ files: [`${base}/missing.yaml`] }), /cannot fetch values file .*missing\.yaml: HTTP 404/);
  });

  void it("finds values --set made strings although they read as numbers", () => {
    assert.deepEqual(numericStrings({ http: { qps: "15.5", url: "http://x/", numRequests: 10 }, p: ["99.9"] }), ["http.qps=15.5", "p[0]=99.9"]);
  });
});
