/**
 * Where the coordinator keeps experiments across restarts: spec, status and result. With NATS, a
 * JetStream key-value bucket (SUBJECTS.stateBucket, keys `experiment.<id>` and
 * `experiment.<id>.result`); with local agents, a state directory of JSON files
 * (`<id>.json`, `<id>.result.json`, written atomically).
 */
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KV } from "nats";
import { ConfigurationError, ErrorCode, InternalError } from "../../core/index.js";
import type { ResultDocument, api } from "../../core/index.js";
import type { LoopSettings } from "../runner/schedule.js";

/** What is stored about one experiment (the result is stored apart: it is large). */
export interface ExperimentRecord {
  id: string;
  /** Submission order (queue order across restarts). */
  order: number;
  name: string;
  source: string;
  experimentYaml: string;
  overrides: string[];
  state: api.ExperimentState__Output;
  submittedAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  failure: string;
  submittedBy: string;
  numTasks: number;
  numCompletedTasks: number;
  /** Restarts of the coordinator while it ran (poison.ts); absent = none. */
  restarts?: number;
  /** `--loops`, `--interval`, `--schedule` as submitted; absent = one run. */
  loops?: LoopSettings;
}

export interface ExperimentStore {
  /** Every stored experiment, in no particular order. */
  list(): Promise<ExperimentRecord[]>;
  put(record: ExperimentRecord): Promise<void>;
  putResult(id: string, result: ResultDocument): Promise<void>;
  getResult(id: string): Promise<ResultDocument | undefined>;
  close(): Promise<void>;
}

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new InternalError(ErrorCode.Invariant, `experiment id ${JSON.stringify(id)} is not storable`);
}

/** JSON files in a directory (created when missing). */
export async function openFileStore(dir: string): Promise<ExperimentStore> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new ConfigurationError(ErrorCode.BadConfig, `cannot create the state directory ${dir}`, { cause });
  }
  const writeAtomic = async (name: string, value: unknown): Promise<void> => {
    const path = join(dir, name);
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, path);
  };
  return {
    async list() {
      const names = (await readdir(dir)).filter((name) => name.endsWith(".json") && !name.endsWith(".result.json"));
      const records = await Promise.all(names.map(async (name) => JSON.parse(await readFile(join(dir, name), "utf8")) as ExperimentRecord));
      return records;
    },
    async put(record) {
      checkId(record.id);
      await writeAtomic(`${record.id}.json`, record);
    },
    async putResult(id, result) {
      checkId(id);
      await writeAtomic(`${id}.result.json`, result);
    },
    async getResult(id) {
      checkId(id);
      try {
        return JSON.parse(await readFile(join(dir, `${id}.result.json`), "utf8")) as ResultDocument;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    close: () => Promise.resolve(),
  };
}

const RECORD_PREFIX = "experiment.";
const RESULT_SUFFIX = ".result";

/** A JetStream key-value bucket (the caller owns the connection). */
export function kvStore(kv: KV): ExperimentStore {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const read = async <T>(key: string): Promise<T | undefined> => {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return undefined;
    return JSON.parse(decoder.decode(entry.value)) as T;
  };
  return {
    async list() {
      const keys: string[] = [];
      for await (const key of await kv.keys(`${RECORD_PREFIX}*`)) keys.push(key);
      const records = await Promise.all(keys.map((key) => read<ExperimentRecord>(key)));
      return records.filter((r): r is ExperimentRecord => r !== undefined);
    },
    async put(record) {
      checkId(record.id);
      await kv.put(`${RECORD_PREFIX}${record.id}`, encoder.encode(JSON.stringify(record)));
    },
    async putResult(id, result) {
      checkId(id);
      await kv.put(`${RECORD_PREFIX}${id}${RESULT_SUFFIX}`, encoder.encode(JSON.stringify(result)));
    },
    getResult: (id) => read<ResultDocument>(`${RECORD_PREFIX}${id}${RESULT_SUFFIX}`),
    close: () => Promise.resolve(),
  };
}
