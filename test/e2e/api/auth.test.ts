import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isAssayError } from "../../../core/index.js";
import { TEST_TLS_CERT, cleanupAll, makeTempDir, startHttpTarget } from "../../harness/index.js";
import type { HttpTarget } from "../../harness/index.js";
import { TEST_TLS_KEY } from "../../harness/tls-fixture.js";
import { assay, startCoordinator, writeExperiment } from "./support.js";
import type { CoordinatorProcess } from "./support.js";

const OPERATOR = "operator-token-for-tests";
const VIEWER = "viewer-token-for-tests";

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (error) {
    assert.ok(isAssayError(error), `expected an AssayError, got ${String(error)}`);
    return error.code;
  }
}

describe("coordinator API auth, TLS and mTLS", { timeout: 90_000 }, () => {
  let dir: string;
  let target: HttpTarget;
  let tokens: CoordinatorProcess;
  let mtls: CoordinatorProcess;
  let certFile: string;
  let keyFile: string;
  let yaml: string;

  before(async () => {
    dir = await makeTempDir("api-auth");
    certFile = join(dir, "cert.pem");
    keyFile = join(dir, "key.pem");
    await writeFile(certFile, TEST_TLS_CERT);
    await writeFile(keyFile, TEST_TLS_KEY);
    const tokensFile = join(dir, "tokens.yaml");
    await writeFile(tokensFile, `tokens:\n  ${OPERATOR}: operator\n  ${VIEWER}: viewer\n`);
    target = await startHttpTarget({});
    yaml = await readFile(await writeExperiment(dir, "auth", target.url, { duration: "1s", qps: 10 }), "utf8");
    [tokens, mtls] = await Promise.all([
      startCoordinator(["--tokens", tokensFile, "--tls-cert", certFile, "--tls-key", keyFile], { localAgents: 1 }),
      startCoordinator(["--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", certFile], { localAgents: 1 }),
    ]);
  });
  after(async () => {
    await Promise.all([tokens?.stop(), mtls?.stop()]);
    await cleanupAll();
  });

  it("needs a valid token; viewers read, operators also submit", async () => {
    const submit = { experimentYaml: yaml, sourceName: "auth.yaml", overrides: [] };
    const anonymous = await tokens.client({ "tls-ca": certFile });
    assert.equal(await codeOf(() => anonymous.list()), "UNAUTHENTICATED");
    const bad = await tokens.client({ "tls-ca": certFile, token: "not-a-known-token" });
    assert.equal(await codeOf(() => bad.list()), "UNAUTHENTICATED");
    const viewer = await tokens.client({ "tls-ca": certFile, token: VIEWER });
    assert.equal(await codeOf(() => viewer.list()), "ok");
    assert.equal(await codeOf(() => viewer.listAgents()), "ok");
    assert.equal(await codeOf(() => viewer.submit(submit)), "PERMISSION_DENIED");
    assert.equal(await codeOf(() => viewer.cancel("x-000000")), "PERMISSION_DENIED");
    const operator = await tokens.client({ "tls-ca": certFile, token: OPERATOR });
    const reply = await operator.submit(submit);
    assert.ok(reply.experiment?.id);
    assert.equal(reply.experiment.submittedBy, "operator");
    assert.equal(await codeOf(() => viewer.get(reply.experiment!.id)), "ok");

    const cli = await assay(["submit", join(dir, "auth.yaml"), "--coordinator", tokens.address, "--tls-ca", certFile, "--token", VIEWER]);
    assert.equal(cli.code, 3, cli.stderr);
    assert.match(cli.stderr, /PERMISSION_DENIED/);
    const envToken = await assay(["list", "--coordinator", tokens.address, "--tls-ca", certFile], { env: { ASSAY_TOKEN: VIEWER } });
    assert.equal(envToken.code, 0, envToken.stderr);
    assert.match(envToken.stdout, /auth/);
  });

  it("serves TLS only: a plaintext client cannot call", async () => {
    const plaintext = await tokens.client({ token: OPERATOR });
    assert.equal(await codeOf(() => plaintext.list()), "LINK_CLOSED");
  });

  it("with mTLS, needs a client certificate signed by the client CA", async () => {
    const withCert = await mtls.client({ "tls-ca": certFile, "tls-cert": certFile, "tls-key": keyFile });
    assert.equal(await codeOf(() => withCert.listAgents()), "ok");
    const withoutCert = await mtls.client({ "tls-ca": certFile });
    assert.equal(await codeOf(() => withoutCert.listAgents()), "LINK_CLOSED");
  });

  it("refuses to listen beyond loopback without TLS and auth", async () => {
    const run = await assay(["coordinator", "--local-agents", "1", "--listen", "0.0.0.0:0", "--state-dir", join(dir, "any")], { timeoutMs: 30_000 });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /refusing to listen on 0\.0\.0\.0/);
  });
});
