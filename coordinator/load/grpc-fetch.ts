/**
 * STOPGAP until coordinator/fetch (the run-time fetch module on main) is merged into this branch:
 * the grpc task's URLs (`protoURL`, `protosetURL`, `dataURL`, `binaryDataURL`, `metadataURL`) read
 * with one bounded undici GET (30 s, 16 MiB, no redirects). Replace with `fetchRunTimeResource`
 * from coordinator/fetch when merging; the signature is the UrlReader the grpc runner takes.
 */
import { request } from "undici";
import { ErrorCode, TargetError } from "../../core/index.js";
import type { UrlReader } from "./grpc-resolve.js";

const TIMEOUT_MS = 30_000;
const MAX_BYTES = 16 * 1024 * 1024;

export const readGrpcUrl: UrlReader = async (url, field) => {
  const fail = (reason: string, cause?: unknown): TargetError =>
    new TargetError(ErrorCode.TargetUnreachable, `${field}: cannot fetch ${url}: ${reason}`, { field, ...(cause === undefined ? {} : { cause }) });
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, { method: "GET", signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
  if (response.statusCode < 200 || response.statusCode > 299) {
    await response.body.dump().catch(() => undefined);
    throw fail(`HTTP ${response.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += bytes.length;
    if (size > MAX_BYTES) {
      response.body.destroy();
      throw fail(`larger than ${MAX_BYTES} bytes`);
    }
    chunks.push(bytes);
  }
  return new Uint8Array(Buffer.concat(chunks));
};
