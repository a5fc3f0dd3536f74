/**
 * Creates (or scales) the JetStream assets of a clustered deployment before the coordinator starts:
 * the reports stream and the state bucket with the wanted replica count. The coordinator creates
 * them with one replica when they are missing and uses them as they are when they exist, so the ha
 * overlay runs this first (deploy/scripts/jetstream-setup.mjs, an init container).
 *
 * The stream settings mirror what the coordinator creates (coordinator/nats/link.ts); only the
 * replica count differs.
 */
import { RetentionPolicy, StorageType, nanos } from "nats";
import type { JetStreamManager, NatsConnection, StreamConfig } from "nats";
import { SUBJECTS } from "../core/index.js";
import type { Logger } from "../core/index.js";

export interface JetStreamSetupOptions {
  /** Replicas for the stream and the bucket (1..5; 3 in a three-node cluster). */
  replicas: number;
  logger: Logger;
  /** Stream max age (ms). Default 24 h, as the coordinator. */
  reportsMaxAgeMs?: number;
}

export type AssetChange = "created" | "scaled" | "unchanged";

export interface JetStreamSetupResult {
  reportsStream: AssetChange;
  stateBucket: AssetChange;
}

/** Idempotent: creates the missing assets, scales existing ones to `replicas`, leaves the rest. */
export async function ensureJetStreamAssets(nc: NatsConnection, options: JetStreamSetupOptions): Promise<JetStreamSetupResult> {
  const jsm = await nc.jetstreamManager({ timeout: 10_000 });
  const reportsStream = await ensureStream(jsm, options.replicas, {
    name: SUBJECTS.reportsStream,
    subjects: [SUBJECTS.runs],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: nanos(options.reportsMaxAgeMs ?? 24 * 3600_000),
    duplicate_window: nanos(120_000),
  });
  const bucketStream = `KV_${SUBJECTS.stateBucket}`;
  let stateBucket: AssetChange;
  if (await streamExists(jsm, bucketStream)) {
    stateBucket = await ensureStream(jsm, options.replicas, { name: bucketStream });
  } else {
    await nc.jetstream().views.kv(SUBJECTS.stateBucket, { history: 1, replicas: options.replicas });
    stateBucket = "created";
  }
  options.logger.info({ reportsStream, stateBucket, replicas: options.replicas }, "JetStream assets ready");
  return { reportsStream, stateBucket };
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (error) {
    if (error instanceof Error && /stream not found/i.test(error.message)) return false;
    throw error;
  }
}

async function ensureStream(jsm: JetStreamManager, replicas: number, wanted: Partial<StreamConfig> & { name: string }): Promise<AssetChange> {
  if (!(await streamExists(jsm, wanted.name))) {
    await jsm.streams.add({ ...wanted, num_replicas: replicas });
    return "created";
  }
  const info = await jsm.streams.info(wanted.name);
  if (info.config.num_replicas === replicas) return "unchanged";
  await jsm.streams.update(wanted.name, { ...info.config, num_replicas: replicas });
  return "scaled";
}
