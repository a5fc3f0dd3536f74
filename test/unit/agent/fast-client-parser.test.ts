import assert from "node:assert/strict";
import { test } from "node:test";
import { COMPLETE, MAX_HEAD_BYTES, NEED_MORE, PARSE_ERROR, ResponseParser } from "../../../agent/engine/http1-parser.js";

interface Parsed {
  status: number;
  bodyBytes: number;
  keepAlive: boolean;
}

interface Outcome {
  responses: Parsed[];
  error: string | null;
  /** Whether the last response was still open when the input ended (before finishAtEof). */
  open: boolean;
}

/**
 * Feeds `input` in the given pieces the way the client does: execute, and after each COMPLETE
 * start the next response on the same bytes. `eof` ends the input like a closed connection.
 */
function feed(input: Buffer, cuts: readonly number[], options: { head?: boolean; eof?: boolean } = {}): Outcome {
  const parser = new ResponseParser();
  const responses: Parsed[] = [];
  parser.begin(options.head ?? false);
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < input.length), input.length];
  let open = false;
  for (let k = 0; k + 1 < bounds.length; k++) {
    // A fresh copy per piece inside a larger buffer whose other bytes are line ends, like the
    // client's reused read buffer: the parser must stay within [start, end) and keep no reference.
    const bytes = input.subarray(bounds[k], bounds[k + 1]);
    const piece = Buffer.alloc(bytes.length + 8, "\n");
    bytes.copy(piece, 3);
    const end = 3 + bytes.length;
    let pos = 3;
    while (pos < end) {
      const result = parser.execute(piece, pos, end);
      if (result === PARSE_ERROR) return { responses, error: parser.error().code, open: false };
      pos = parser.offset;
      if (result === COMPLETE) {
        responses.push({ status: parser.statusCode, bodyBytes: parser.bodyBytes, keepAlive: parser.keepAlive });
        parser.begin(options.head ?? false);
      } else {
        assert.equal(result, NEED_MORE);
        assert.equal(pos, end, "NEED_MORE consumes the whole piece");
      }
    }
  }
  open = parser.inMessage;
  if (options.eof && parser.finishAtEof()) {
    responses.push({ status: parser.statusCode, bodyBytes: parser.bodyBytes, keepAlive: parser.keepAlive });
  }
  return { responses, error: null, open };
}

/** Every way to cut the input in two, plus byte by byte, plus a few random multi-cuts. */
function splits(length: number): number[][] {
  const out: number[][] = [[]];
  for (let i = 1; i < length; i++) out.push([i]);
  out.push(Array.from({ length }, (_, i) => i));
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let n = 0; n < 50; n++) {
    const cuts = new Set<number>();
    const count = 1 + Math.floor(rand() * 6);
    for (let j = 0; j < count; j++) cuts.add(1 + Math.floor(rand() * (length - 1)));
    out.push([...cuts].sort((a, b) => a - b));
  }
  return out;
}

function expectErrorAtEverySplit(text: string, code: string): void {
  const input = Buffer.from(text, "latin1");
  for (const cuts of splits(input.length)) {
    assert.equal(feed(input, cuts).error, code, `${JSON.stringify(text)} cut at ${JSON.stringify(cuts)}`);
  }
}

function expectAtEverySplit(text: string, expected: Parsed[], options: { head?: boolean; eof?: boolean } = {}): void {
  const input = Buffer.from(text, "latin1");
  for (const cuts of splits(input.length)) {
    const outcome = feed(input, cuts, options);
    assert.equal(outcome.error, null, `no error with cuts ${JSON.stringify(cuts)}`);
    assert.deepEqual(outcome.responses, expected, `cuts ${JSON.stringify(cuts)}`);
  }
}

test("content-length body, split at every byte", () => {
  expectAtEverySplit("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\nhello world!", [
    { status: 200, bodyBytes: 12, keepAlive: true },
  ]);
});

test("header names are matched case-insensitively and exactly", () => {
  expectAtEverySplit("HTTP/1.1 404 Not Found\r\ncOnTeNt-LeNgTh: 3\r\nContent-Lengthy: 99\r\nX-Content-Length: 77\r\nConnectionX: close\r\n\r\nabc", [
    { status: 404, bodyBytes: 3, keepAlive: true },
  ]);
});

test("chunked body with chunk extensions and trailers, split at every byte", () => {
  const text =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
    '5;name=value;q="a;b"\r\nhello\r\n' +
    "6;ext\r\n world\r\n" +
    "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
    "0;last=1\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n";
  expectAtEverySplit(text, [{ status: 200, bodyBytes: 5 + 6 + 26, keepAlive: true }]);
});

test("Transfer-Encoding is a list of codings: the last one decides", () => {
  expectAtEverySplit("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n", [{ status: 200, bodyBytes: 3, keepAlive: true }]);
  expectAtEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding:\tdeflate ,chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n", [{ status: 200, bodyBytes: 3, keepAlive: true }]);
  // "chunked, gzip" is not chunked: the body runs until the connection closes (RFC 9112 §6.3).
  expectAtEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc", [{ status: 200, bodyBytes: 6, keepAlive: false }], { eof: true });
  expectAtEverySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x-gzip\r\n\r\nabc", [{ status: 200, bodyBytes: 3, keepAlive: false }], { eof: true });
});

test("Transfer-Encoding lists that are unknown, malformed or ambiguous are refused", () => {
  for (const value of ["xchunked", "chunkedx", "chunked;q=1", "chunked ;q=1", ", chunked", "chunked,", "gzip,,chunked", "", "chun ked", '"chunked"', "chunked\t", "chunked \t", "identity", "gzip chunked", "chunked\x01"]) {
    expectErrorAtEverySplit(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${value}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, "HPE_INVALID_TRANSFER_ENCODING");
  }
});

test("Content-Length: one value, once, never with Transfer-Encoding", () => {
  expectAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 0003 \r\n\r\nabc", [{ status: 200, bodyBytes: 3, keepAlive: true }]);
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc", "HPE_UNEXPECTED_CONTENT_LENGTH");
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "HPE_UNEXPECTED_CONTENT_LENGTH");
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc", "HPE_INVALID_CONTENT_LENGTH");
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "HPE_UNEXPECTED_CONTENT_LENGTH");
  expectErrorAtEverySplit("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "HPE_UNEXPECTED_CONTENT_LENGTH");
  // Up to 2^64 − 1 (what llhttp takes), refused above.
  const parser = new ResponseParser();
  parser.begin(false);
  const huge = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\nabc");
  assert.equal(parser.execute(huge, 0, huge.length), NEED_MORE);
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n", "HPE_INVALID_CONTENT_LENGTH");
});

test("1xx interim responses are skipped, except an unasked-for 100 or 101", () => {
  expectAtEverySplit(
    "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\nContent-Length: 9\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
    [{ status: 201, bodyBytes: 2, keepAlive: true }],
  );
  expectErrorAtEverySplit("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "HPE_UNEXPECTED_STATUS");
  expectErrorAtEverySplit("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "HPE_UNEXPECTED_STATUS");
});

test("empty lines before a status line are skipped", () => {
  expectAtEverySplit("\r\n\n\r\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", [{ status: 200, bodyBytes: 2, keepAlive: true }]);
  expectAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\nHTTP/1.1 204 No Content\r\n\r\n", [
    { status: 200, bodyBytes: 2, keepAlive: true },
    { status: 204, bodyBytes: 0, keepAlive: true },
  ]);
});

test("two responses in one packet (and at every split) are both parsed", () => {
  expectAtEverySplit(
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfail\r\n0\r\n\r\n",
    [
      { status: 200, bodyBytes: 2, keepAlive: true },
      { status: 500, bodyBytes: 4, keepAlive: true },
    ],
  );
});

test("a response without length or chunking ends when the connection closes", () => {
  const input = Buffer.from("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nsome body bytes", "latin1");
  for (const cuts of splits(input.length)) {
    const outcome = feed(input, cuts, { eof: false });
    assert.equal(outcome.responses.length, 0, "not complete before the close");
    assert.equal(outcome.open, true);
  }
  expectAtEverySplit("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nsome body bytes", [{ status: 200, bodyBytes: 15, keepAlive: false }], { eof: true });
});

test("a close before the body is delimited is not a response", () => {
  const parser = new ResponseParser();
  parser.begin(false);
  const input = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  assert.equal(parser.execute(input, 0, input.length), NEED_MORE);
  assert.equal(parser.finishAtEof(), false);
});

test("Connection: close and HTTP/1.0 decide keep-alive", () => {
  expectAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: Close\r\n\r\nx", [{ status: 200, bodyBytes: 1, keepAlive: false }]);
  expectAtEverySplit("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n", [{ status: 200, bodyBytes: 0, keepAlive: false }]);
  expectAtEverySplit("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", [{ status: 200, bodyBytes: 0, keepAlive: true }]);
  expectAtEverySplit("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", [{ status: 200, bodyBytes: 1, keepAlive: false }]);
  expectAtEverySplit("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", [{ status: 200, bodyBytes: 1, keepAlive: true }]);
});

test("HEAD answers, 204 and 304 have no body whatever their headers say", () => {
  expectAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", [{ status: 200, bodyBytes: 0, keepAlive: true }], { head: true });
  expectAtEverySplit("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", [{ status: 204, bodyBytes: 0, keepAlive: true }]);
  expectAtEverySplit("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", [{ status: 304, bodyBytes: 0, keepAlive: true }]);
});

test("a status line without reason is accepted; bare LF line ends are refused (as llhttp does)", () => {
  expectAtEverySplit("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", [{ status: 200, bodyBytes: 2, keepAlive: true }]);
  expectAtEverySplit("HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok", [{ status: 200, bodyBytes: 2, keepAlive: true }]);
  expectErrorAtEverySplit("HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok", "HPE_CR_EXPECTED");
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok", "HPE_INVALID_CONTENT_LENGTH");
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nX-A: 1\n\r\nok", "HPE_INVALID_HEADER_TOKEN");
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\nok", "HPE_INVALID_HEADER_TOKEN");
  expectErrorAtEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\rok", "HPE_LF_EXPECTED");
});

test("a large body split in arbitrary pieces is counted exactly", () => {
  const body = "x".repeat(300_000);
  const input = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`, "latin1");
  for (const cuts of [[], [10, 45, 46, 1000, 65_536, 200_000], [input.length - 1]]) {
    assert.deepEqual(feed(input, cuts).responses, [{ status: 200, bodyBytes: 300_000, keepAlive: true }]);
  }
});

test("malformed responses are errors with llhttp-like codes", () => {
  const cases: Array<[string, string]> = [
    ["HTPP/1.1 200 OK\r\n\r\n", "HPE_INVALID_CONSTANT"],
    ["HTTP/1.1 2x0 OK\r\n\r\n", "HPE_INVALID_STATUS"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", "HPE_INVALID_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", "HPE_INVALID_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "HPE_INVALID_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HPE_INVALID_CHUNK_SIZE"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", "HPE_STRICT"],
    ["HTTP/1.1 200 OK\r\nContent Length: 1\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
    ["HTTP/1.2 200 OK\r\n\r\n", "HPE_INVALID_VERSION"],
    ["HTTP/1.1 099 Low\r\n\r\n", "HPE_INVALID_STATUS"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n", "HPE_INVALID_CHUNK_SIZE"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n", "HPE_INVALID_CHUNK_EXTENSIONS"],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a="b"c\r\nabc\r\n0\r\n\r\n', "HPE_INVALID_CHUNK_EXTENSIONS"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", "HPE_INVALID_CHUNK_SIZE"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", "HPE_INVALID_CHUNK_SIZE"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n", "HPE_LF_EXPECTED"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 3\r\n\r\n", "HPE_UNEXPECTED_CONTENT_LENGTH"],
  ];
  for (const [text, code] of cases) {
    const input = Buffer.from(text, "latin1");
    for (const cuts of splits(input.length)) {
      assert.equal(feed(input, cuts).error, code, `${JSON.stringify(text)} cut at ${JSON.stringify(cuts)}`);
    }
  }
  const parser = new ResponseParser();
  parser.begin(false);
  const error = (() => {
    const input = Buffer.from("nope");
    assert.equal(parser.execute(input, 0, input.length), PARSE_ERROR);
    return parser.error();
  })();
  assert.match(error.message, /does not match the HTTP\/1\.1 protocol/);
});

test("the 64 KiB head limit holds however the head arrives", () => {
  const head = (fillBytes: number): Buffer => Buffer.from(`HTTP/1.1 200 OK\r\nX-Fill: ${"f".repeat(fillBytes)}\r\nContent-Length: 2\r\n\r\nok`, "latin1");
  const over = head(MAX_HEAD_BYTES);
  const under = head(MAX_HEAD_BYTES - 200);
  for (const cuts of [[], [1], [17], [MAX_HEAD_BYTES - 1], [MAX_HEAD_BYTES], [MAX_HEAD_BYTES + 10], [30_000, 60_000], Array.from({ length: 70 }, (_, k) => k * 1000 + 1)]) {
    assert.equal(feed(over, cuts).error, "HPE_HEADER_OVERFLOW", `over the limit, cut at ${cuts.length} places`);
    const { responses, error } = feed(under, cuts);
    assert.deepEqual({ responses, error }, { responses: [{ status: 200, bodyBytes: 2, keepAlive: true }], error: null }, `under the limit, cut at ${cuts.length} places`);
  }
  // Trailers have the same limit; each interim response's head is counted on its own.
  const trailers = Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${"t".repeat(MAX_HEAD_BYTES)}\r\n\r\n`, "latin1");
  assert.equal(feed(trailers, []).error, "HPE_HEADER_OVERFLOW");
  const interim = `HTTP/1.1 103 Early Hints\r\nLink: ${"l".repeat(40_000)}\r\n\r\n`;
  assert.deepEqual(feed(Buffer.from(`${interim}${interim}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`, "latin1"), []).responses, [{ status: 200, bodyBytes: 0, keepAlive: true }]);
});

test("an endless head is refused instead of read forever", () => {
  const parser = new ResponseParser();
  parser.begin(false);
  const line = Buffer.from(`X-Filler: ${"a".repeat(1000)}\r\n`);
  const status = Buffer.from("HTTP/1.1 200 OK\r\n");
  assert.equal(parser.execute(status, 0, status.length), NEED_MORE);
  let result: number = NEED_MORE;
  for (let i = 0; i < 100 && result === NEED_MORE; i++) result = parser.execute(line, 0, line.length);
  assert.equal(result, PARSE_ERROR);
  assert.equal(parser.error().code, "HPE_HEADER_OVERFLOW");
});
