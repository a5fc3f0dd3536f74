/**
 * The differential test of issue 13 (items 10–11): every response form of
 * test/harness/response-forms.ts is served by a raw-socket target, twice per client, through both
 * HTTP clients (the raw-socket fast path and undici). Each request's outcome — success with its
 * status and body bytes, target error, or protocol error (client.ts `failureKind`, the one
 * classification) — must match the catalogue for both clients, and the target must have read
 * exactly the two requests each client counted. The catalogue is also the table of
 * docs/reliability.md: the last test fails when they differ.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { RequestTimeoutError, compileShard, createFastClient, createUndiciClient, failureKind } from "../../../agent/index.js";
import type { HttpClient, HttpClientOptions, RequestPlan } from "../../../agent/index.js";
import { FORMS_TABLE_BEGIN, FORMS_TABLE_END, RESPONSE_FORMS, renderFormsTable, startRawHttpTarget } from "../../harness/index.js";
import type { FormOutcome, RawReply, ResponseForm } from "../../harness/index.js";
import { series } from "./support.js";

interface Observed {
  outcome: FormOutcome;
  status?: number;
  bodyBytes?: number;
  /** The error text, to read a failure (not compared). */
  error?: string;
}

const CLIENTS: Record<string, (request: RequestPlan, options: HttpClientOptions) => HttpClient> = { fast: createFastClient, undici: createUndiciClient };
const REQUESTS_PER_FORM = 2;

function plan(url: string, method: string): RequestPlan {
  const request = compileShard({ series: [series(url, { numRequests: 1, request: { url, method } })] }).series[0]?.request;
  assert.ok(request);
  return request;
}

async function serve(form: ResponseForm, reply: RawReply): Promise<void> {
  if (form.pieceBytes) await reply.dribble(form.bytes, form.pieceBytes);
  else if (form.bytes !== "") reply.write(form.bytes);
  if (form.then === "fin") reply.end();
  else if (form.then === "rst") reply.reset();
}

/** Sends requests one at a time on one exchange, aborting each like the load models' sweeper. */
function driver(client: HttpClient, timeoutMs: number): { send(): Promise<Observed>; retries(): number } {
  let settle: ((observed: Observed) => void) | null = null;
  let timer: NodeJS.Timeout | undefined;
  let retries = 0;
  const done = (observed: Observed): void => {
    clearTimeout(timer);
    settle?.(observed);
  };
  const exchange = client.createExchange({
    onResponse: (status, bodyBytes) => done({ outcome: "success", status, bodyBytes }),
    onFailure: (error) => {
      const kind = failureKind(error);
      const outcome = kind === "protocol" ? "protocol error" : kind === "timeout" ? "target error (timeout)" : "target error";
      done({ outcome, error: `${(error as { code?: string }).code ?? ""} ${error.message}` });
    },
    onRetry: () => {
      retries += 1;
    },
  });
  return {
    send: () =>
      new Promise((resolve) => {
        settle = resolve;
        timer = setTimeout(() => exchange.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
        exchange.send();
      }),
    retries: () => retries,
  };
}

function expected(form: ResponseForm): Observed {
  return form.expect === "success" ? { outcome: "success", status: form.status ?? 0, bodyBytes: form.bodyBytes ?? 0 } : { outcome: form.expect };
}

for (const [index, form] of RESPONSE_FORMS.entries()) {
  test(`form ${index + 1} ${form.id}: both clients report ${form.expect}`, async (t) => {
    const timeoutMs = form.expect === "target error (timeout)" ? 300 : 5000;
    for (const [name, create] of Object.entries(CLIENTS)) {
      const target = await startRawHttpTarget({ respond: (reply) => serve(form, reply) });
      t.after(() => target.close());
      const client = create(plan(target.url, form.method ?? "GET"), { connections: 1, requestTimeoutMs: timeoutMs, insecureSkipVerify: false, maxRedirects: 0 });
      const requests = driver(client, timeoutMs);
      const observed: Observed[] = [];
      try {
        for (let k = 0; k < REQUESTS_PER_FORM; k++) observed.push(await requests.send());
      } finally {
        await client.destroy();
      }
      const want = expected(form);
      for (const [k, got] of observed.entries()) {
        const { error, ...compared } = got;
        assert.deepEqual(compared, want, `${name} client, request ${k + 1}: ${error ?? "no error"}`);
      }
      assert.equal(target.received(), REQUESTS_PER_FORM, `${name} client: the target read exactly the requests counted (retries: ${requests.retries()})`);
      if (!form.pieceBytes || form.expect === "success") {
        for (const record of target.log()) assert.equal(record.sentBytes, Buffer.byteLength(form.bytes, "latin1"), `${name}: the target sent the whole form`);
      }
    }
  });
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

test("docs/reliability.md carries the table of these forms and outcomes", () => {
  const path = join(repoRoot(), "docs", "reliability.md");
  const text = readFileSync(path, "utf8");
  const begin = text.indexOf(FORMS_TABLE_BEGIN);
  const end = text.indexOf(FORMS_TABLE_END);
  assert.ok(begin >= 0 && end > begin, "docs/reliability.md has the response-forms markers");
  const table = `\n${renderFormsTable()}\n`;
  const current = text.slice(begin + FORMS_TABLE_BEGIN.length, end);
  if (current !== table && process.env["ASSAY_WRITE_DOCS"] === "1") {
    writeFileSync(path, text.slice(0, begin + FORMS_TABLE_BEGIN.length) + table + text.slice(end));
    return;
  }
  assert.equal(current, table, "the table in docs/reliability.md is out of date: rerun with ASSAY_WRITE_DOCS=1");
});
