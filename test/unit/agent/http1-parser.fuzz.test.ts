/**
 * Property tests (fast-check, seeded) of the fast client's HTTP/1.1 response parser: random and
 * mutated responses, fed whole, byte by byte and cut at random places, must never throw, never
 * stall, always end in a typed outcome (a response, "need more" or an HttpParseError with an
 * llhttp code), and give the same outcome however the bytes are split. Generated valid responses
 * must parse to exactly what was generated, and the parser's reading of Transfer-Encoding must
 * equal the string-level rule the undici client applies (engine/http1-framing.ts).
 *
 * Each property runs in a worker thread watched from the test: a parser stuck in a loop is a
 * failure after HANG_MS, not a test run that never ends. The seed is printed; rerun a failure with
 * ASSAY_FUZZ_SEED=<seed> (ASSAY_FUZZ_RUNS scales the number of cases per property).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import fc from "fast-check";
import { transferEncodingFraming } from "../../../agent/engine/http1-framing.js";
import { COMPLETE, HttpParseError, NEED_MORE, PARSE_ERROR, ResponseParser } from "../../../agent/engine/http1-parser.js";

const SEED = Number(process.env["ASSAY_FUZZ_SEED"] ?? 1_302_513);
const RUNS = Number(process.env["ASSAY_FUZZ_RUNS"] ?? 2000);
/** A property that has not finished after this long is a hang. */
const HANG_MS = 120_000;

interface Parsed {
  status: number;
  bodyBytes: number;
  keepAlive: boolean;
}

interface Outcome {
  responses: Parsed[];
  error: string | null;
  /** A response was still being read when the input ended (before the close completed it). */
  open: boolean;
}

/** Feeds `input` cut at `cuts` (then closes the connection), as the fast client does. */
function parse(input: Uint8Array, cuts: readonly number[], head = false): Outcome {
  const parser = new ResponseParser();
  const responses: Parsed[] = [];
  parser.begin(head);
  const bounds = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < input.length).sort((a, b) => a - b), input.length];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const from = bounds[k] as number;
    const to = bounds[k + 1] as number;
    // A copy inside a larger buffer whose other bytes are line ends: the parser must stay in range.
    const piece = new Uint8Array(to - from + 6).fill(10);
    piece.set(input.subarray(from, to), 3);
    let pos = 3;
    const end = 3 + (to - from);
    let calls = 0;
    while (pos < end) {
      calls += 1;
      assert.ok(calls <= end - 3 + 1, "execute makes progress on every call");
      const result = parser.execute(piece, pos, end);
      assert.ok(result === NEED_MORE || result === COMPLETE || result === PARSE_ERROR, `a typed result, not ${String(result)}`);
      assert.ok(parser.offset >= pos && parser.offset <= end, "offset stays within the input");
      if (result === PARSE_ERROR) {
        const error = parser.error();
        assert.ok(error instanceof HttpParseError);
        assert.match(error.code, /^HPE_[A-Z_]+$/);
        assert.match(error.message, /^Response does not match the HTTP\/1\.1 protocol \(.+\)$/);
        return { responses, error: error.code, open: false };
      }
      if (result === COMPLETE) {
        assert.ok(parser.offset > pos, "a complete response consumed bytes");
        assert.ok(parser.statusCode >= 100 && parser.statusCode <= 999, `status ${parser.statusCode}`);
        assert.ok(parser.bodyBytes >= 0 && parser.bodyBytes <= input.length);
        responses.push({ status: parser.statusCode, bodyBytes: parser.bodyBytes, keepAlive: parser.keepAlive });
        parser.begin(head);
        pos = parser.offset;
      } else {
        assert.equal(parser.offset, end, "NEED_MORE consumed the whole piece");
        pos = end;
      }
    }
  }
  const open = parser.inMessage;
  if (parser.finishAtEof()) responses.push({ status: parser.statusCode, bodyBytes: parser.bodyBytes, keepAlive: parser.keepAlive });
  return { responses, error: null, open };
}

/** Every outcome of `input` is the same at once, byte by byte and at the given cuts. */
function assertSplitInvariant(input: Uint8Array, cuts: readonly number[]): Outcome {
  const whole = parse(input, []);
  assert.deepEqual(parse(input, cuts), whole, `cut at ${JSON.stringify(cuts)}`);
  assert.deepEqual(
    parse(
      input,
      Array.from({ length: input.length }, (_, i) => i),
    ),
    whole,
    "byte by byte",
  );
  return whole;
}

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);

// Valid responses, generated with the outcome they must parse to.
const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const token = fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 12 });
const fieldValue = fc.string({ unit: fc.constantFrom(..."abc XYZ 019 ,;=/\"()\t\xe9\x80\xff".split("")), maxLength: 20 }).map((v) => v.trim());
const bodyText = fc.string({ unit: fc.constantFrom(..."ab\r\n0HTTP/1.1 ;:".split("")), maxLength: 40 });
const extension = fc.oneof(fc.constant(""), fc.tuple(token, fc.option(fc.oneof(token, fc.constant('"q;\\"x"')), { nil: undefined })).map(([n, v]) => `;${n}${v === undefined ? "" : `=${v}`}`));

interface Generated {
  bytes: Uint8Array;
  expected: Parsed;
}

const generatedResponse: fc.Arbitrary<Generated> = fc
  .record({
    leadingLines: fc.integer({ min: 0, max: 2 }),
    interim: fc.array(fc.constantFrom(102, 103, 199), { maxLength: 2 }),
    http10: fc.boolean(),
    status: fc.integer({ min: 200, max: 999 }).filter((s) => s !== 204 && s !== 304),
    reason: fc.string({ unit: fc.constantFrom(..."OK Fine\x01\xe9".split("")), maxLength: 10 }),
    fields: fc.array(fc.tuple(token, fieldValue), { maxLength: 4 }),
    framing: fc.oneof(
      fc.record({ kind: fc.constant("length" as const), body: bodyText, zeros: fc.integer({ min: 0, max: 3 }) }),
      fc.record({
        kind: fc.constant("chunked" as const),
        chunks: fc.array(fc.tuple(bodyText.filter((b) => b.length > 0), extension), { maxLength: 4 }),
        lastExtension: extension,
        trailers: fc.array(fc.tuple(token, fieldValue), { maxLength: 2 }),
        codings: fc.array(fc.constantFrom("gzip", "deflate", "x-gzip", "Compress"), { maxLength: 2 }),
      }),
      fc.record({ kind: fc.constant("close" as const), body: bodyText }),
    ),
  })
  .filter(({ fields }) => fields.every(([name]) => !["content-length", "transfer-encoding", "connection"].includes(name.toLowerCase())))
  .map((r) => {
    let text = "\r\n".repeat(r.leadingLines);
    for (const code of r.interim) text += `HTTP/1.1 ${code} Interim\r\nX-I: 1\r\n\r\n`;
    text += `HTTP/1.${r.http10 ? 0 : 1} ${r.status} ${r.reason}\r\n`;
    for (const [name, value] of r.fields) text += `${name}: ${value}\r\n`;
    const f = r.framing;
    let bodyBytes = 0;
    let persistent = !r.http10;
    if (f.kind === "length") {
      text += `Content-Length: ${"0".repeat(f.zeros)}${f.body.length}\r\n\r\n${f.body}`;
      bodyBytes = f.body.length;
    } else if (f.kind === "chunked") {
      text += `Transfer-Encoding: ${[...f.codings, "chunked"].join(", ")}\r\n\r\n`;
      for (const [chunk, ext] of f.chunks) text += `${chunk.length.toString(16)}${ext}\r\n${chunk}\r\n`;
      text += `0${f.lastExtension}\r\n`;
      for (const [name, value] of f.trailers) if (name.toLowerCase() !== "content-length") text += `${name}: ${value}\r\n`;
      text += "\r\n";
      bodyBytes = f.chunks.reduce((n, [chunk]) => n + chunk.length, 0);
    } else {
      text += `\r\n${f.body}`;
      bodyBytes = f.body.length;
      persistent = false;
    }
    return { bytes: latin1(text), expected: { status: r.status, bodyBytes, keepAlive: persistent } };
  });

const cutsFor = (length: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 8 });

// Mutations of valid responses: the bytes an odd or hostile server might send instead.
const SPECIAL = latin1("\r\n \t:;,=\"\x00\x7f\xff0-");
type Mutation = (bytes: Uint8Array) => Uint8Array;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, value]) => (b: Uint8Array) => {
    const out = Uint8Array.from(b);
    if (out.length > 0) out[at % out.length] = value;
    return out;
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...SPECIAL)).map(([at, value]) => (b: Uint8Array) => {
    const k = b.length === 0 ? 0 : at % (b.length + 1);
    return Uint8Array.from([...b.subarray(0, k), value, ...b.subarray(k)]);
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([at, n]) => (b: Uint8Array) => {
    const k = b.length === 0 ? 0 : at % b.length;
    return Uint8Array.from([...b.subarray(0, k), ...b.subarray(k + n)]);
  }),
  fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 30 })).map(([at, from, n]) => (b: Uint8Array) => {
    if (b.length === 0) return b;
    const k = at % b.length;
    const s = from % b.length;
    return Uint8Array.from([...b.subarray(0, k), ...b.subarray(s, s + n), ...b.subarray(k)]);
  }),
  fc.nat().map((at) => (b: Uint8Array) => b.subarray(0, b.length === 0 ? 0 : at % b.length)),
);

function randomBytes(seed: number, runs: number): void {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.array(fc.constantFrom(...latin1("HTTP/1.1 200 OK\r\n:;,-0123456789abcdefxchunkedContent-LengthTransfer-Encoding \t\"")), { maxLength: 300 }).map((a) => Uint8Array.from(a)),
  );
  fc.assert(
    fc.property(bytes, fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
      assertSplitInvariant(input, cuts);
    }),
    { seed, numRuns: runs },
  );
}

function generatedValid(seed: number, runs: number): void {
  fc.assert(
    fc.property(
      generatedResponse.chain((g) => fc.tuple(fc.constant(g), cutsFor(g.bytes.length))),
      ([g, cuts]) => {
        const outcome = assertSplitInvariant(g.bytes, cuts);
        assert.deepEqual(outcome.responses, [g.expected]);
        assert.equal(outcome.error, null);
      },
    ),
    { seed, numRuns: runs },
  );
}

function mutated(seed: number, runs: number): void {
  fc.assert(
    fc.property(
      generatedResponse,
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (g, mutations, cuts) => {
        const input = mutations.reduce((bytes, mutate) => mutate(bytes), g.bytes);
        const outcome = assertSplitInvariant(input, cuts);
        // Two parsers for a HEAD answer: no body is read whatever the framing says.
        const head = parse(input, cuts, true);
        for (const response of head.responses) assert.equal(response.bodyBytes, 0);
        assert.ok(outcome.responses.length <= 3);
      },
    ),
    { seed, numRuns: runs },
  );
}

function codings(seed: number, runs: number): void {
  const piece = fc.constantFrom("chunked", "gzip", "deflate", "x-gzip", "xchunked", "identity", "CHUNKED", ",", ", ", " ", "\t", ";q=1", '"', "a", "");
  fc.assert(
    fc.property(fc.array(fc.array(piece, { maxLength: 6 }).map((parts) => parts.join("")), { minLength: 1, maxLength: 2 }), (values) => {
      const text = `HTTP/1.1 200 OK\r\n${values.map((v) => `Transfer-Encoding: ${v}\r\n`).join("")}\r\n3\r\nabc\r\n0\r\n\r\n`;
      const outcome = parse(latin1(text), []);
      const rule = transferEncodingFraming(values.map((v) => v.replace(/^[ \t]+/, "")));
      if (rule.kind === "invalid") assert.equal(outcome.error, "HPE_INVALID_TRANSFER_ENCODING", JSON.stringify(values));
      else if (rule.kind === "chunked") assert.deepEqual(outcome.responses, [{ status: 200, bodyBytes: 3, keepAlive: true }], JSON.stringify(values));
      else assert.deepEqual(outcome.responses, [{ status: 200, bodyBytes: 13, keepAlive: false }], JSON.stringify(values));
    }),
    { seed, numRuns: runs },
  );
}

const PROPERTIES = {
  randomBytes: "random bytes never throw, never stall, and end typed at every split",
  generatedValid: "generated valid responses parse to what was generated, however they are cut",
  mutated: "mutated responses never throw, never stall, and end typed at every split",
  codings: "the parser reads Transfer-Encoding exactly as the shared rule (the undici client's check)",
} as const;
type PropertyName = keyof typeof PROPERTIES;
const RUNNERS: Record<PropertyName, (seed: number, runs: number) => void> = { randomBytes, generatedValid, mutated, codings };

interface WorkerResult {
  ok: boolean;
  message: string;
}

/** Runs one property in a worker; rejects with its failure, or when it does not finish in HANG_MS. */
function inWorker(name: PropertyName, seed: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = { workerData: { name, seed, runs: RUNS } };
    // Run from sources, the worker registers tsx itself (loader hooks do not reach workers on Node 20).
    const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((api) => { api.register(); return import(${JSON.stringify(import.meta.url)}); });`;
    const worker = import.meta.url.endsWith(".ts") ? new Worker(bootstrap, { eval: true, ...data }) : new Worker(fileURLToPath(import.meta.url), data);
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${name}: no result after ${HANG_MS} ms (seed ${seed}): the parser hangs`));
    }, HANG_MS);
    worker.once("message", (result: WorkerResult) => {
      clearTimeout(timer);
      void worker.terminate();
      if (result.ok) resolve();
      else reject(new Error(result.message));
    });
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

if (isMainThread) {
  Object.entries(PROPERTIES).forEach(([name, description], index) => {
    test(`fuzz: ${description}`, async (t) => {
      const seed = SEED + index;
      t.diagnostic(`fast-check seed ${seed}, ${RUNS} runs (replay all: ASSAY_FUZZ_SEED=${SEED})`);
      await inWorker(name as PropertyName, seed);
    });
  });
} else {
  const { name, seed, runs } = workerData as { name: PropertyName; seed: number; runs: number };
  let result: WorkerResult = { ok: true, message: "" };
  try {
    RUNNERS[name](seed, runs);
  } catch (error) {
    result = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(result);
}
