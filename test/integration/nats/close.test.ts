/**
 * closeNatsConnection (core/nats-close.ts) against a real nats-server: a healthy connection is
 * drained (what was published arrives), and a connection reconnecting forever to a server that
 * died is closed within the drain deadline, where a plain drain would wait for the server.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Events, connect } from "nats";
import { closeNatsConnection, natsConnectionOptions } from "../../../core/index.js";
import { cleanupAll, startNatsServer, teardown, waitUntil } from "../../harness/index.js";

after(cleanupAll);

void describe("closeNatsConnection", { timeout: 60_000 }, () => {
  void it("drains a healthy connection: a message published just before the close is delivered", async (t) => {
    const fixtures = teardown(t);
    const nats = await startNatsServer({ jetstream: false });
    fixtures.defer(() => nats.stop());
    const receiver = await connect({ servers: nats.url });
    fixtures.defer(() => closeNatsConnection(receiver));
    const received: string[] = [];
    receiver.subscribe("close.test", { callback: (_err, msg) => received.push(msg.string()) });
    await receiver.flush();
    const sender = await connect(await natsConnectionOptions(nats.url, {}, "close-test-sender"));
    fixtures.defer(() => closeNatsConnection(sender));
    sender.publish("close.test", "last words");
    await closeNatsConnection(sender);
    assert.equal(sender.isClosed(), true);
    await waitUntil(() => received.length === 1, { timeoutMs: 5000, what: "the message published before the close" });
    assert.deepEqual(received, ["last words"]);
  });

  void it("closes a connection reconnecting forever to a dead server, within the drain deadline", async (t) => {
    const fixtures = teardown(t);
    const nats = await startNatsServer({ jetstream: false });
    fixtures.defer(() => nats.stop());
    // Reconnect forever, as every Assay connection does.
    const nc = await connect(await natsConnectionOptions(nats.url, {}, "close-test-orphan"));
    fixtures.defer(() => nc.close());
    nc.subscribe("close.test");
    let disconnected = false;
    void (async () => {
      for await (const status of nc.status()) if (status.type === Events.Disconnect) disconnected = true;
    })();
    nats.kill();
    await nats.process().exited;
    await waitUntil(() => disconnected, { timeoutMs: 10_000, what: "the client to notice the server is gone" });

    const startedMs = Date.now();
    await closeNatsConnection(nc, { drainTimeoutMs: 500 });
    const tookMs = Date.now() - startedMs;
    assert.equal(nc.isClosed(), true, "the connection is closed, so no reconnect timer keeps the process alive");
    assert.ok(tookMs < 5000, `closed in ${tookMs} ms`);
  });
});
