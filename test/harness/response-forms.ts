/**
 * The catalogue of HTTP/1.1 response forms the differential test serves through both HTTP clients
 * (test/integration/agent/response-forms.test.ts), each with the outcome both must report. The
 * same list renders the table in docs/reliability.md ("HTTP response forms"); the test fails when
 * the document and this list differ, so the table cannot drift. Regenerate the table with
 * `ASSAY_WRITE_DOCS=1 npx tsx --test test/integration/agent/response-forms.test.ts`.
 */

/** What a client reports for one request. */
export type FormOutcome = "success" | "target error" | "target error (timeout)" | "protocol error";

export interface ResponseForm {
  /** Short stable name. */
  readonly id: string;
  /** The bytes the target writes in answer to every request. */
  readonly bytes: string;
  /** Written in pieces of this many bytes, one event-loop turn apart (default: at once). */
  readonly pieceBytes?: number;
  /** After the bytes: keep the connection open (default), close it (FIN) or reset it (RST). */
  readonly then?: "keep" | "fin" | "rst";
  /** The request method (default GET). */
  readonly method?: "GET" | "HEAD";
  /** How the table shows the bytes, when they are too long to print. */
  readonly shown?: string;
  readonly expect: FormOutcome;
  /** For a success: the status and the body payload bytes both clients must count. */
  readonly status?: number;
  readonly bodyBytes?: number;
  /** The rule that decides (RFC 9112 / 9110 section, or the decision taken). */
  readonly why: string;
}

const OK = "HTTP/1.1 200 OK\r\n";
const chunked = (body: string, ext = ""): string => `${OK}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}${ext}\r\n${body}\r\n0\r\n\r\n`;
const withTe = (te: string): string => `${OK}Transfer-Encoding: ${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`;
const big = (n: number): string => `${OK}X-Big: ${"a".repeat(n)}\r\nContent-Length: 2\r\n\r\nok`;
const KIB_CHUNKS = Array.from({ length: 4 }, (_, k) => `400\r\n${String.fromCharCode(97 + k).repeat(1024)}\r\n`).join("");

const success = (status: number, bodyBytes: number): Pick<ResponseForm, "expect" | "status" | "bodyBytes"> => ({ expect: "success", status, bodyBytes });
const PROTOCOL = { expect: "protocol error" } as const;
const TARGET = { expect: "target error" } as const;

export const RESPONSE_FORMS: readonly ResponseForm[] = [
  // Length-delimited bodies.
  { id: "length", bytes: `${OK}Content-Length: 5\r\n\r\nhello`, ...success(200, 5), why: "RFC 9112 §6.3 (6)" },
  { id: "length-zero", bytes: `${OK}Content-Length: 0\r\n\r\n`, ...success(200, 0), why: "§6.3 (6)" },
  { id: "length-leading-zeros", bytes: `${OK}Content-Length: 005\r\n\r\nhello`, ...success(200, 5), why: "1*DIGIT (RFC 9110 §8.6)" },
  { id: "length-then-extra-bytes", bytes: `${OK}Content-Length: 3\r\n\r\nabcdef`, then: "fin", ...success(200, 3), why: "§6.3 (6): the extra bytes are not this response; the connection is not reused" },
  { id: "length-huge-valid", bytes: `${OK}Content-Length: 18446744073709551615\r\n\r\nabc`, then: "fin", ...TARGET, why: "2^64−1 is a valid length; the close cuts the body short (§8)" },
  { id: "length-truncated-by-close", bytes: `${OK}Content-Length: 10\r\n\r\nabc`, then: "fin", ...TARGET, why: "§8: incomplete message" },
  { id: "length-truncated-connection-close", bytes: `${OK}Connection: close\r\nContent-Length: 10\r\n\r\nabc`, then: "fin", ...TARGET, why: "§8: incomplete message" },
  { id: "length-reset-mid-body", bytes: `${OK}Content-Length: 10\r\n\r\nabc`, then: "rst", ...TARGET, why: "§8: incomplete message" },
  { id: "length-twice-same", bytes: `${OK}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, ...PROTOCOL, why: "RFC 9110 §8.6 lets a recipient take identical values; llhttp refuses any repeat: so do both" },
  { id: "length-twice-different", bytes: `${OK}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`, ...PROTOCOL, why: "§6.3 (5): invalid length, the framing is unknowable" },
  { id: "length-list", bytes: `${OK}Content-Length: 3, 4\r\n\r\nabcd`, ...PROTOCOL, why: "§6.3 (5)" },
  { id: "length-negative", bytes: `${OK}Content-Length: -1\r\n\r\nabc`, ...PROTOCOL, why: "§6.3 (5)" },
  { id: "length-overflow", bytes: `${OK}Content-Length: 99999999999999999999999\r\n\r\nabc`, ...PROTOCOL, why: "above 2^64−1 (RFC 9110 §8.6: no overflow)" },
  { id: "length-empty", bytes: `${OK}Content-Length: \r\n\r\nabc`, ...PROTOCOL, why: "§6.3 (5)" },
  { id: "length-trailing-tab", bytes: `${OK}Content-Length: 3\t\r\n\r\nabc`, ...PROTOCOL, why: "OWS is allowed by RFC 9110 §5.5; llhttp refuses a tab after the digits: so do both" },
  { id: "length-and-chunked", bytes: `${OK}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, ...PROTOCOL, why: "§6.3 (3): ought to be handled as an error (smuggling)" },
  { id: "chunked-and-length", bytes: `${OK}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, ...PROTOCOL, why: "§6.3 (3)" },

  // Chunked bodies.
  { id: "chunked", bytes: chunked("hello"), ...success(200, 5), why: "§7.1" },
  { id: "chunked-extensions", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n5;a=b;c="d;e"\r\nhello\r\n3;x\r\nabc\r\n0;last=1\r\n\r\n`, ...success(200, 8), why: "§7.1.1: extensions are ignored" },
  { id: "chunked-trailers", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n`, ...success(200, 3), why: "§7.1.2" },
  { id: "chunked-byte-by-byte", bytes: chunked("hello world", ';q="1"'), pieceBytes: 1, ...success(200, 11), why: "any split" },
  { id: "chunked-kib-chunks-in-7-byte-pieces", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n${KIB_CHUNKS}0\r\n\r\n`, pieceBytes: 7, shown: `${OK}Transfer-Encoding: chunked\r\n\r\n400\r\naaa… (4 chunks of 1 KiB) 0\r\n\r\n`, ...success(200, 4096), why: "any split" },
  { id: "chunked-hex-case-and-zeros", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n0A\r\n0123456789\r\n000\r\n\r\n`, ...success(200, 10), why: "chunk-size = 1*HEXDIG" },
  { id: "chunked-no-last-chunk", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`, then: "fin", ...TARGET, why: "§8: incomplete message" },
  { id: "chunked-bad-size", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, ...PROTOCOL, why: "§7.1" },
  { id: "chunked-size-overflow", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc\r\n0\r\n\r\n`, ...PROTOCOL, why: "above 2^64−1 (§7.1: no overflow)" },
  { id: "chunked-size-then-space", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`, ...PROTOCOL, why: "§7.1 grammar" },
  { id: "chunked-extension-with-spaces", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n3 ; a=b\r\nabc\r\n0\r\n\r\n`, ...PROTOCOL, why: "§7.1.1 allows BWS; llhttp refuses it: so do both" },
  { id: "chunked-data-overruns", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n`, ...PROTOCOL, why: "§7.1: CRLF after chunk-data" },
  { id: "chunked-bare-lf", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n`, ...PROTOCOL, why: "§7.1: chunk lines end in CRLF" },
  { id: "chunked-content-length-trailer", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 3\r\n\r\n`, ...PROTOCOL, why: "llhttp refuses Content-Length among trailers: so do both (RFC 9110 §6.5.1 says ignore it)" },

  // Transfer-Encoding lists.
  { id: "te-gzip-chunked", bytes: withTe("gzip, chunked"), ...success(200, 3), why: "§6.1: chunked is final" },
  { id: "te-chunked-gzip", bytes: withTe("chunked, gzip"), then: "fin", ...success(200, 13), why: "§6.3 (4): chunked not final → until the close" },
  { id: "te-gzip-only", bytes: `${OK}Transfer-Encoding: gzip\r\n\r\nabcdef`, then: "fin", ...success(200, 6), why: "§6.3 (4)" },
  { id: "te-two-fields", bytes: `${OK}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, ...success(200, 3), why: "fields combine into one list (RFC 9110 §5.3)" },
  { id: "te-xchunked", bytes: withTe("xchunked"), ...PROTOCOL, why: "unknown coding: refused (the body's framing is a guess)" },
  { id: "te-chunked-parameter", bytes: withTe("chunked;q=1"), ...PROTOCOL, why: "chunked takes no parameters; llhttp would read until the close" },
  { id: "te-empty-element", bytes: withTe(", chunked"), ...PROTOCOL, why: "empty list elements refused (llhttp reads `chunked,` as not chunked)" },
  { id: "te-trailing-tab", bytes: withTe("chunked\t"), ...PROTOCOL, why: "ambiguous: RFC reads chunked, llhttp does not" },
  { id: "te-http10-chunked", bytes: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", ...success(200, 3), why: "§6.1: read, then close the connection" },

  // Bodies delimited by the close.
  { id: "until-close", bytes: `${OK}Content-Type: text/plain\r\n\r\nsome body`, then: "fin", ...success(200, 9), why: "§6.3 (8)" },
  { id: "until-close-connection-close", bytes: `${OK}Connection: close\r\n\r\nsome body`, then: "fin", ...success(200, 9), why: "§6.3 (8)" },
  { id: "http10-until-close", bytes: "HTTP/1.0 200 OK\r\n\r\nsome body", then: "fin", ...success(200, 9), why: "§6.3 (8)" },
  { id: "http10-keep-alive", bytes: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", ...success(200, 2), why: "§9.3 (HTTP/1.0 keep-alive)" },

  // Interim responses.
  { id: "103-then-200", bytes: `HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`, ...success(200, 2), why: "RFC 9110 §15.2: 1xx skipped" },
  { id: "102-103-then-200", bytes: `HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nContent-Length: 9\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`, ...success(200, 2), why: "§15.2; a 1xx has no body" },
  { id: "100-then-200", bytes: `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "no Expect was sent; undici refuses it (`bad response`): so does the fast path (RFC 9110 §15.2 would skip it)" },
  { id: "101-unasked", bytes: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", ...PROTOCOL, why: "RFC 9110 §15.2.2: no Upgrade was asked for" },

  // Statuses and methods without a body.
  { id: "204", bytes: "HTTP/1.1 204 No Content\r\n\r\n", ...success(204, 0), why: "§6.3 (1)" },
  { id: "204-with-length", bytes: "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", ...success(204, 0), why: "§6.3 (1): no body whatever the fields say (undici reports a mismatch: normalised)" },
  { id: "304-with-length", bytes: "HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n", ...success(304, 0), why: "§6.3 (1); RFC 9110 §8.6 allows the length of the 200" },
  { id: "304-chunked", bytes: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", ...success(304, 0), why: "§6.3 (1)" },
  { id: "head-with-length", method: "HEAD", bytes: `${OK}Content-Length: 1000\r\n\r\n`, ...success(200, 0), why: "§6.3 (1)" },
  { id: "head-chunked", method: "HEAD", bytes: `${OK}Transfer-Encoding: chunked\r\n\r\n`, ...success(200, 0), why: "§6.3 (1)" },

  // Status lines.
  { id: "status-no-reason", bytes: "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", ...success(200, 2), why: "§4: reason-phrase is optional" },
  { id: "status-reason-odd-bytes", bytes: "HTTP/1.1 200 \x01\xe9\x7f\r\nContent-Length: 2\r\n\r\nok", ...success(200, 2), why: "§4: a client ignores the reason (llhttp takes any byte but CR/LF)" },
  { id: "status-500", bytes: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail", ...success(500, 4), why: "a complete response (an error status, counted by errorRanges)" },
  { id: "status-600", bytes: "HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nok", ...success(600, 2), why: "RFC 9110 §15: processed as a 5xx" },
  { id: "status-099", bytes: "HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\nok", ...PROTOCOL, why: "below 100 (undici would trip an internal assertion)" },
  { id: "status-two-digits", bytes: "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok", ...PROTOCOL, why: "§4: 3DIGIT" },
  { id: "status-tab", bytes: "HTTP/1.1 200\tOK\r\nContent-Length: 2\r\n\r\nok", ...PROTOCOL, why: "§4: SP" },
  { id: "version-1.2", bytes: "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok", ...PROTOCOL, why: "RFC 9110 §2.5 says process as 1.1; llhttp refuses: so do both" },
  { id: "version-2.0", bytes: "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok", ...success(200, 2), why: "llhttp reads it like HTTP/1.0: so do both" },
  { id: "garbage", bytes: "hello, this is not HTTP\r\n\r\n", ...PROTOCOL, why: "§4" },
  { id: "lowercase-http", bytes: "http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ...PROTOCOL, why: "§2.3: HTTP-name is case-sensitive" },
  { id: "empty-lines-before-status", bytes: `\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`, ...success(200, 2), why: "§2.2: empty lines before the start line are skipped" },
  { id: "crlf-after-body", bytes: `${OK}Content-Length: 2\r\n\r\nok\r\n`, ...success(200, 2), why: "§2.2: a stray CRLF costs no reconnect" },

  // Fields.
  { id: "obs-fold", bytes: `${OK}X-Long: a\r\n  b\r\nContent-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "§5.2 asks a user agent to unfold; undici refuses: so do both" },
  { id: "bare-lf", bytes: "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", ...PROTOCOL, why: "§2.2: a recipient MAY take a bare LF; llhttp does not: neither does either client" },
  { id: "cr-without-lf", bytes: `${OK}X-A: a\rb\r\nContent-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "RFC 9110 §5.5: CR in a value" },
  { id: "space-before-colon", bytes: `${OK}Content-Length : 2\r\n\r\nok`, ...PROTOCOL, why: "§5.1: no whitespace before the colon" },
  { id: "field-without-colon", bytes: `${OK}X-Thing\r\nContent-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "§5.1" },
  { id: "field-name-not-token", bytes: `${OK}X@Y: 1\r\nContent-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "RFC 9110 §5.1: field-name = token" },
  { id: "value-nul", bytes: `${OK}X-A: a\x00b\r\nContent-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "RFC 9110 §5.5: NUL" },
  { id: "value-del", bytes: `${OK}X-A: a\x7fb\r\nContent-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "RFC 9110 §5.5: field-vchar" },
  { id: "value-obs-text", bytes: `${OK}X-A: caf\xe9\r\nContent-Length: 2\r\n\r\nok`, ...success(200, 2), why: "RFC 9110 §5.5: obs-text" },
  { id: "head-60-kib", bytes: big(60_000), shown: `${OK}X-Big: aaa… (60,000 bytes)\r\nContent-Length: 2\r\n\r\nok`, ...success(200, 2), why: "under the 64 KiB head limit" },
  { id: "head-70-kib", bytes: big(70_000), shown: `${OK}X-Big: aaa… (70,000 bytes)\r\nContent-Length: 2\r\n\r\nok`, ...PROTOCOL, why: "over the 64 KiB head limit" },
  { id: "head-1-mib-in-pieces", bytes: big(1024 * 1024), pieceBytes: 16 * 1024, shown: `${OK}X-Big: aaa… (1 MiB, in 16 KiB pieces)`, ...PROTOCOL, why: "the 64 KiB limit holds across packets" },
  { id: "many-fields", bytes: `${OK}${"X-H: v\r\n".repeat(2000)}Content-Length: 2\r\n\r\nok`, shown: `${OK}X-H: v\r\n (2000 times) …Content-Length: 2\r\n\r\nok`, ...success(200, 2), why: "16 KB of fields, under the limit" },
  { id: "connection-close", bytes: `${OK}Connection: close\r\nContent-Length: 2\r\n\r\nok`, then: "fin", ...success(200, 2), why: "§9.6: the next request opens a new connection" },

  // Closes and resets.
  { id: "silent", bytes: "", expect: "target error (timeout)", why: "the request timeout passes" },
  { id: "close-before-response", bytes: "", then: "fin", ...TARGET, why: "nothing received on a fresh connection (not retried)" },
  { id: "reset-before-response", bytes: "", then: "rst", ...TARGET, why: "nothing received on a fresh connection (not retried)" },
  { id: "close-mid-status-line", bytes: "HTTP/1.1 20", then: "fin", ...TARGET, why: "§8: incomplete message" },
  { id: "reset-mid-head", bytes: `${OK}Content-Le`, then: "rst", ...TARGET, why: "§8: incomplete message" },
  { id: "close-after-keep-alive-response", bytes: `${OK}Content-Length: 2\r\n\r\nok`, then: "fin", ...success(200, 2), why: "a request caught by the close is retried on a fresh connection (idempotent methods)" },
];

function escapeBytes(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch === "\r") out += "\\r";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "|") out += "\\|";
    else if (c < 32 || (c >= 127 && c <= 255)) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

const MAX_SHOWN_CHARS = 110;

function shownBytes(form: ResponseForm): string {
  const text = escapeBytes(form.shown ?? form.bytes);
  const clipped = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
  const how = form.pieceBytes ? ` (in ${form.pieceBytes}-byte pieces)` : "";
  const then = form.then === "fin" ? ", then FIN" : form.then === "rst" ? ", then RST" : "";
  const method = form.method && form.method !== "GET" ? ` (to ${form.method})` : "";
  return `${clipped === "" ? "(nothing)" : `\`${clipped}\``}${how}${then}${method}`;
}

/** The markdown table of every form and its outcome, as docs/reliability.md carries it. */
export function renderFormsTable(): string {
  const lines = ["| # | form | the target sends | outcome (both clients) | status | body bytes | why |", "|---:|---|---|---|---:|---:|---|"];
  RESPONSE_FORMS.forEach((form, index) => {
    const status = form.status === undefined ? "" : String(form.status);
    const body = form.bodyBytes === undefined ? "" : String(form.bodyBytes);
    lines.push(`| ${index + 1} | ${form.id} | ${shownBytes(form)} | ${form.expect} | ${status} | ${body} | ${form.why.replaceAll("|", "\\|")} |`);
  });
  return lines.join("\n");
}

export const FORMS_TABLE_BEGIN = "<!-- response-forms:begin (generated from test/harness/response-forms.ts) -->";
export const FORMS_TABLE_END = "<!-- response-forms:end -->";
