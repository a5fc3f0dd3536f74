/**
 * The HTTP/1.1 response rules both clients share, in one place: which bytes a field may hold, how a
 * Transfer-Encoding list is read, the head size limit and the parse error type. The fast path's
 * byte parser (engine/http1-parser.ts) applies them incrementally; the undici client
 * (engine/undici-client.ts) applies `transferEncodingFraming` to the fields undici hands it, so a
 * response is framed, or refused, the same way whichever client reads it (docs/reliability.md,
 * "HTTP response forms", lists every decision).
 */

/** A response head (status line and fields, or a trailer section) larger than this is refused. */
export const MAX_HEAD_BYTES = 64 * 1024;

/**
 * A response that does not follow HTTP/1.1. The name and the message shape are undici's
 * (HTTPParserError); `code` is llhttp's (HPE_...), which undici itself leaves out.
 */
export class HttpParseError extends Error {
  readonly code: string;
  constructor(code: string, reason: string) {
    super(`Response does not match the HTTP/1.1 protocol (${reason})`);
    this.name = "HTTPParserError";
    this.code = code;
  }
}

function table(accept: (c: number) => boolean): Uint8Array {
  const out = new Uint8Array(256);
  for (let c = 0; c < 256; c++) out[c] = accept(c) ? 1 : 0;
  return out;
}

const TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

/** tchar (RFC 9110 §5.6.2): the bytes of a field name or a token. */
export const TCHAR = table((c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || TOKEN_SYMBOLS.includes(String.fromCharCode(c)));

/** The bytes of a field value (RFC 9110 §5.5): HTAB, SP, VCHAR, obs-text. No CTL, no DEL. */
export const FIELD_BYTE = table((c) => c === 9 || (c >= 32 && c <= 126) || c >= 128);

/** qdtext and quoted-pair's second byte (RFC 9110 §5.6.4), as llhttp reads chunk extensions. */
export const QDTEXT = table((c) => c === 9 || c === 32 || c === 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || c >= 128);

/**
 * Transfer codings a response may name (the IANA registry: RFC 9112 §7 and RFC 9110 §8.4.1).
 * A name outside this list is refused: the body's framing is then anyone's guess (a server
 * sending `xchunked` usually means chunked).
 */
export const TRANSFER_CODINGS = ["chunked", "gzip", "x-gzip", "deflate", "compress", "x-compress"] as const;

/** How the Transfer-Encoding fields of a response frame its body. */
export type TransferFraming =
  /** The final coding is chunked. */
  | { readonly kind: "chunked" }
  /** Another final coding: the body runs until the server closes the connection (RFC 9112 §6.3). */
  | { readonly kind: "close" }
  /** A list Assay refuses (a protocol error): see `transferEncodingFraming`. */
  | { readonly kind: "invalid"; readonly reason: string };

const SP = 32;
const HT = 9;
const COMMA = 44;

/**
 * Reads the values of every Transfer-Encoding field of a response, in order (RFC 9112 §6.1, the
 * list rules of RFC 9110 §5.6.1). Refused, as ambiguous or unreadable framing:
 * - an element that is not one registered coding name (unknown codings, parameters, quotes,
 *   empty elements such as `,chunked` or `chunked,`, an empty field);
 * - whitespace containing HTAB after the last coding (llhttp then reads `chunked` as not chunked).
 * Otherwise the last coding of the last field decides: chunked, or a body delimited by the close.
 */
export function transferEncodingFraming(values: readonly string[]): TransferFraming {
  let chunked = false;
  for (const value of values) {
    const reading = readCodingList(value);
    if (typeof reading === "string") return { kind: "invalid", reason: reading };
    chunked = reading;
  }
  return chunked ? { kind: "chunked" } : { kind: "close" };
}

/** One field value: whether its last coding is chunked, or why it is refused. */
function readCodingList(value: string): boolean | string {
  let i = 0;
  const n = value.length;
  const skipOws = (): void => {
    while (i < n && (value.charCodeAt(i) === SP || value.charCodeAt(i) === HT)) i++;
  };
  skipOws();
  let last = "";
  for (;;) {
    const from = i;
    while (i < n && value.charCodeAt(i) < 256 && TCHAR[value.charCodeAt(i)] === 1) i++;
    if (i === from) return "Invalid Transfer-Encoding list";
    const coding = value.slice(from, i).toLowerCase();
    if (!(TRANSFER_CODINGS as readonly string[]).includes(coding)) return "Unknown transfer coding";
    last = coding;
    const wsFrom = i;
    skipOws();
    if (i === n) {
      if (value.slice(wsFrom).includes("\t")) return "Invalid Transfer-Encoding list";
      return last === "chunked";
    }
    if (value.charCodeAt(i) !== COMMA) return "Invalid Transfer-Encoding list";
    i++;
    skipOws();
  }
}
