/**
 * The NATS users and permissions shipped in deploy/ (the auth.conf of the rendered ConfigMap, not a
 * copy), enforced by a real nats-server: agents publish only their own subjects and read only their
 * orders; the coordinator can do what it needs.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Events, connect } from "nats";
import type { NatsConnection, NatsError, Status } from "nats";
import { SUBJECTS, controlSubject, heartbeatSubject, reportSubject, silentLogger } from "../../../core/index.js";
import { ensureJetStreamAssets } from "../../../ops/index.js";
import { makeTempDir, startNatsServer, waitUntil } from "../../harness/index.js";
import type { NatsServerHandle } from "../../harness/index.js";
import { find, render } from "../../unit/deploy/render.js";
import type { K8sObject } from "../../unit/deploy/render.js";

const PASSWORDS = { coordinator: "coordinator-test-password", agent: "agent-test-password" } as const;
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Watched {
  nc: NatsConnection;
  /** Permission violations the server reported on this connection. */
  violations: { operation: string; subject: string }[];
}

/** Connects and records the permission errors, which nats.js reports asynchronously on status(). */
async function connectAs(url: string, user: keyof typeof PASSWORDS, pass: string = PASSWORDS[user]): Promise<Watched> {
  const nc = await connect({ servers: url, user, pass, reconnect: false, name: `test-${user}` });
  const violations: Watched["violations"] = [];
  void (async () => {
    for await (const status of nc.status() as AsyncIterable<Status & { permissionContext?: { operation: string; subject: string } }>) {
      if (status.type === Events.Error && status.data === "PERMISSIONS_VIOLATION" && status.permissionContext) violations.push(status.permissionContext);
    }
  })();
  return { nc, violations };
}

describe("NATS users and permissions from deploy/base (real nats-server)", () => {
  let server: NatsServerHandle;
  const open: NatsConnection[] = [];
  const as = async (user: keyof typeof PASSWORDS): Promise<Watched> => {
    const w = await connectAs(server.url, user);
    open.push(w.nc);
    return w;
  };

  before(async () => {
    const configMap = find(render("base"), "ConfigMap", "assay-nats-config") as K8sObject & { data: Record<string, string> };
    const authConf = configMap.data["auth.conf"];
    assert.ok(authConf?.includes("authorization"), "the ConfigMap ships auth.conf with an authorization block");
    assert.match(configMap.data["nats.conf"]!, /^include \.\/auth\.conf$/m);
    const dir = await makeTempDir("nats-auth");
    await writeFile(join(dir, "auth.conf"), authConf!);
    await writeFile(join(dir, "nats.conf"), "include ./auth.conf\n");
    // The passwords reach nats-server through its environment, as the StatefulSet sets them from the
    // Secret; host, ports and the JetStream store come from the harness.
    const saved = { ...process.env };
    process.env["ASSAY_NATS_COORDINATOR_PASSWORD"] = PASSWORDS.coordinator;
    process.env["ASSAY_NATS_AGENT_PASSWORD"] = PASSWORDS.agent;
    try {
      server = await startNatsServer({ configFile: join(dir, "nats.conf") });
    } finally {
      delete process.env["ASSAY_NATS_COORDINATOR_PASSWORD"];
      delete process.env["ASSAY_NATS_AGENT_PASSWORD"];
      Object.assign(process.env, saved);
    }
  });

  after(async () => {
    for (const nc of open) await nc.close().catch(() => undefined);
    await server?.stop();
  });

  it("refuses a wrong password and anonymous clients", async () => {
    await assert.rejects(connect({ servers: server.url, user: "agent", pass: "wrong", reconnect: false }), (e: NatsError) => e.code === "AUTHORIZATION_VIOLATION");
    await assert.rejects(connect({ servers: server.url, reconnect: false }), (e: NatsError) => e.code === "AUTHORIZATION_VIOLATION");
  });

  it("refuses an agent's publish on a control subject; the agent it targets hears nothing", async () => {
    const coordinator = await as("coordinator");
    const victim = await as("agent");
    const rogue = await as("agent");
    const heard: string[] = [];
    victim.nc.subscribe(controlSubject("x"), { callback: (_e, m) => heard.push(dec.decode(m.data)) });
    await victim.nc.flush();
    rogue.nc.publish(controlSubject("x"), enc.encode("cancel everything"));
    rogue.nc.publish(SUBJECTS.discover, enc.encode(""));
    await waitUntil(() => rogue.violations.length >= 2, { timeoutMs: 5000, what: "two publish permission violations" });
    assert.deepEqual(rogue.violations, [
      { operation: "publish", subject: "assay.agent.x.control", queue: undefined },
      { operation: "publish", subject: "assay.agent.discover", queue: undefined },
    ]);
    // The coordinator's own control message arrives, so the one from the rogue agent would have too.
    coordinator.nc.publish(controlSubject("x"), enc.encode("from the coordinator"));
    await waitUntil(() => heard.length >= 1, { timeoutMs: 5000, what: "the coordinator's control message" });
    await victim.nc.flush();
    assert.deepEqual(heard, ["from the coordinator"]);
    assert.equal(rogue.nc.isClosed(), false, "a violation does not disconnect the agent");
  });

  it("lets an agent publish hello, heartbeats (answered), reports and done, which the coordinator receives", async () => {
    const coordinator = await as("coordinator");
    const agent = await as("agent");
    const got: string[] = [];
    coordinator.nc.subscribe(SUBJECTS.hello, { callback: (_e, m) => got.push(m.subject) });
    coordinator.nc.subscribe(SUBJECTS.runs, { callback: (_e, m) => got.push(m.subject) });
    coordinator.nc.subscribe(SUBJECTS.heartbeats, { callback: (_e, m) => m.respond(enc.encode("alive")) });
    await coordinator.nc.flush();
    agent.nc.publish(SUBJECTS.hello, enc.encode("a1"));
    agent.nc.publish(reportSubject("r1"), enc.encode("report"));
    agent.nc.publish("assay.run.r1.done", enc.encode("done"));
    const reply = await agent.nc.request(heartbeatSubject("a1"), enc.encode("hb"), { timeout: 5000 });
    assert.equal(dec.decode(reply.data), "alive");
    await waitUntil(() => got.length >= 3, { timeoutMs: 5000, what: "hello, report and done at the coordinator" });
    assert.deepEqual(got.sort(), ["assay.agent.hello", "assay.run.r1.done", "assay.run.r1.report"]);
    await agent.nc.flush();
    assert.deepEqual(agent.violations, []);
  });

  it("lets the coordinator send control requests that the agent answers (allow_responses)", async () => {
    const coordinator = await as("coordinator");
    const agent = await as("agent");
    agent.nc.subscribe(controlSubject("a1"), { callback: (_e, m) => m.respond(enc.encode(`ack ${dec.decode(m.data)}`)) });
    await agent.nc.flush();
    const reply = await coordinator.nc.request(controlSubject("a1"), enc.encode("start"), { timeout: 5000 });
    assert.equal(dec.decode(reply.data), "ack start");
    assert.deepEqual(agent.violations, []);
    assert.deepEqual(coordinator.violations, []);
  });

  it("refuses an agent's subscriptions to other agents' reports and heartbeats, and the JetStream API", async () => {
    const agent = await as("agent");
    const subs = [agent.nc.subscribe(SUBJECTS.runs), agent.nc.subscribe(heartbeatSubject("a2")), agent.nc.subscribe("$KV.assay_state.>")];
    const ended = subs.map(async (sub) => {
      try {
        for await (const _ of sub) {
          // nothing may arrive
        }
        return "ended";
      } catch (error) {
        return (error as NatsError).code;
      }
    });
    assert.deepEqual(await Promise.all(ended), ["PERMISSIONS_VIOLATION", "PERMISSIONS_VIOLATION", "PERMISSIONS_VIOLATION"]);
    agent.nc.publish("$JS.API.STREAM.DELETE.ASSAY_REPORTS");
    await waitUntil(() => agent.violations.some((v) => v.operation === "publish" && v.subject === "$JS.API.STREAM.DELETE.ASSAY_REPORTS"), {
      timeoutMs: 5000,
      what: "the JetStream API publish refused",
    });
    assert.deepEqual(
      agent.violations.filter((v) => v.operation === "subscription").map((v) => v.subject).sort(),
      ["$KV.assay_state.>", "assay.agent.a2.heartbeat", "assay.run.>"],
    );
  });

  it("the coordinator sets up JetStream and consumes reports an agent publishes with PubAck", async () => {
    const coordinator = await as("coordinator");
    const agent = await as("agent");
    const result = await ensureJetStreamAssets(coordinator.nc, { replicas: 1, logger: silentLogger() });
    assert.deepEqual(result, { reportsStream: "created", stateBucket: "created" });
    assert.deepEqual(await ensureJetStreamAssets(coordinator.nc, { replicas: 1, logger: silentLogger() }), {
      reportsStream: "unchanged",
      stateBucket: "unchanged",
    });
    const ack = await agent.nc.jetstream().publish(reportSubject("r2"), enc.encode("interval 1"), { msgID: "a1/s1/1" });
    assert.equal(ack.stream, SUBJECTS.reportsStream);
    const dup = await agent.nc.jetstream().publish(reportSubject("r2"), enc.encode("interval 1"), { msgID: "a1/s1/1" });
    assert.equal(dup.duplicate, true);

    const jsm = await coordinator.nc.jetstreamManager();
    await jsm.consumers.add(SUBJECTS.reportsStream, { durable_name: "test-merger", ack_policy: "explicit" as never, filter_subject: SUBJECTS.runs });
    const consumer = await coordinator.nc.jetstream().consumers.get(SUBJECTS.reportsStream, "test-merger");
    const message = await consumer.next({ expires: 5000 });
    assert.ok(message);
    assert.equal(dec.decode(message.data), "interval 1");
    await message.ackAck();
    const kv = await coordinator.nc.jetstream().views.kv(SUBJECTS.stateBucket);
    await kv.put("run.r2", enc.encode("running"));
    assert.equal(dec.decode((await kv.get("run.r2"))!.value), "running");
    assert.deepEqual(coordinator.violations, []);
    assert.deepEqual(agent.violations, []);
  });
});
