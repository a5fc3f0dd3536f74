/**
 * Entry point of the coordinator's init container in the ha overlay
 * (`node dist/ops/bin/jetstream-setup.js`): creates the reports stream and the state bucket
 * with ASSAY_JS_REPLICAS replicas (or scales them) before the coordinator starts, since the
 * coordinator would create them with one. Retries while a new cluster elects its JetStream leader.
 *
 * Env: NATS_URL (default nats://assay-nats:4222), NATS_USER, ASSAY_NATS_PASSWORD, ASSAY_JS_REPLICAS
 * (default 3).
 */
import { connect } from "nats";
import { closeNatsConnection, createLogger, natsConnectionOptions, retry } from "../../core/index.js";
import { ensureJetStreamAssets } from "../jetstream-setup.js";

const ATTEMPTS = 30;
const RETRY_MS = 2000;

const env = process.env;
const log = createLogger({ name: "jetstream-setup", level: env["ASSAY_LOG_LEVEL"] ?? "info" });
const replicas = Number(env["ASSAY_JS_REPLICAS"] ?? "3");
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
  log.error({ replicas: env["ASSAY_JS_REPLICAS"] }, "ASSAY_JS_REPLICAS must be an integer from 1 to 5");
  process.exit(1);
}
const user = env["NATS_USER"];
const auth = user ? { user, pass: env["ASSAY_NATS_PASSWORD"] ?? "" } : {};
const nc = await connect(await natsConnectionOptions(env["NATS_URL"] ?? "nats://assay-nats:4222", auth, "assay-jetstream-setup"));
try {
  await retry(() => ensureJetStreamAssets(nc, { replicas, logger: log }), {
    attempts: ATTEMPTS,
    baseDelayMs: RETRY_MS,
    maxDelayMs: RETRY_MS,
    jitter: false,
    onRetry: ({ error, attempt }) => log.warn({ err: error, attempt }, `JetStream not ready yet; retrying in ${RETRY_MS} ms`),
  });
} finally {
  await closeNatsConnection(nc);
}
