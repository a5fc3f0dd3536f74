/**
 * The incremental HTTP/1.1 response parser of the fast client (engine/fast-client.ts).
 *
 * It reads what a load generator needs — the status code, whether the connection stays open, the
 * body's framing (Content-Length, chunked with extensions and trailers, or until the close) and the
 * body's payload size (no head, no chunk framing: undici's onData meaning) — and checks every byte
 * against the rules undici's parser (llhttp, strict mode) applies, so both clients accept and
 * refuse the same responses (engine/http1-framing.ts holds the shared rules; docs/reliability.md
 * lists the decisions). Nothing is converted to strings and nothing is allocated per response.
 * Input may be split at any byte; `execute` stops right after a complete response so the caller
 * can start the next one on the same bytes.
 *
 * What it accepts and refuses, briefly: empty lines before the status line are skipped; the status
 * line is `HTTP/1.1`, `HTTP/1.0` (or llhttp's `0.9` and `2.0`), a three-digit code ≥ 100 and any
 * reason; every line ends in CRLF; field names are tokens right before the colon; values hold no
 * CTL; obs-fold is refused; 1xx interim responses are skipped except 100 (never asked for) and 101
 * (no upgrade was asked for); Content-Length appears once, up to 2^64−1; Content-Length together
 * with Transfer-Encoding is refused; Transfer-Encoding is a list of registered codings, chunked
 * last for a chunked body, any other last coding meaning a body delimited by the close; a head, or
 * a trailer section, over 64 KiB is refused.
 */
import { FIELD_BYTE as FIELD_BYTE_TABLE, HttpParseError, MAX_HEAD_BYTES, QDTEXT as QDTEXT_TABLE, TCHAR as TCHAR_TABLE, TRANSFER_CODINGS } from "./http1-framing.js";

/** `execute` needs more bytes. */
export const NEED_MORE = 0;
/** `execute` completed a response; `offset` is just after it. */
export const COMPLETE = 1;
/** `execute` found bytes that are not an HTTP/1.x response; see `error()`. */
export const PARSE_ERROR = 2;

export type ExecuteResult = typeof NEED_MORE | typeof COMPLETE | typeof PARSE_ERROR;

export { HttpParseError, MAX_HEAD_BYTES } from "./http1-framing.js";

// Module-local copies of the shared tables: the hot loops read them without import indirection.
const TCHAR: Uint8Array = TCHAR_TABLE.slice();
const FIELD_BYTE: Uint8Array = FIELD_BYTE_TABLE.slice();
const QDTEXT: Uint8Array = QDTEXT_TABLE.slice();

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const SEMI = 59;
const COMMA = 44;
const EQUALS = 61;
const DQUOTE = 34;
const BACKSLASH = 92;

// States, grouped: the head (and trailer section) first, so `state <= ST_LAST_HEAD` tests the group.
const ST_START = 0;
const ST_STATUS = 1;
const ST_REASON = 2;
const ST_LINE_START = 3;
const ST_NAME = 4;
const ST_VALUE = 5;
const ST_VALUE_LENGTH = 6;
const ST_VALUE_CODINGS = 7;
const ST_VALUE_CONNECTION = 8;
const ST_LINE_LF = 9;
const ST_END_LF = 10;
const ST_LAST_HEAD = ST_END_LF;
const ST_BODY_LENGTH = 11;
const ST_BODY_EOF = 12;
const ST_CHUNK_SIZE = 13;
const ST_CHUNK_EXT = 14;
const ST_CHUNK_SIZE_LF = 15;
const ST_CHUNK_DATA = 16;
const ST_CHUNK_DATA_CR = 17;
const ST_CHUNK_DATA_LF = 18;
const ST_DONE = 19;
const ST_ERROR = 20;

const H_OTHER = 0;
const H_CONTENT_LENGTH = 1;
const H_TRANSFER_ENCODING = 2;
const H_CONNECTION = 3;

// Chunk extension sub-states (llhttp's grammar: `;name[=token|"quoted"]`, no whitespace).
const EXT_SEMI = 0;
const EXT_NAME = 1;
const EXT_VALUE_START = 2;
const EXT_VALUE_TOKEN = 3;
const EXT_QUOTED = 4;
const EXT_QUOTED_ESCAPE = 5;
const EXT_AFTER_QUOTE = 6;

// Transfer-Encoding sub-states.
const TE_BEFORE = 0;
const TE_CODING = 1;
const TE_AFTER = 2;

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

const NAME_CONTENT_LENGTH = bytes("content-length");
const NAME_TRANSFER_ENCODING = bytes("transfer-encoding");
const NAME_CONNECTION = bytes("connection");
const TOKEN_CLOSE = bytes("close");
const TOKEN_KEEP_ALIVE = bytes("keep-alive");
const HTTP_SLASH = bytes("HTTP/");
const CODINGS = TRANSFER_CODINGS.map(bytes);
const ALL_CODINGS = (1 << CODINGS.length) - 1;
const CHUNKED_BIT = 1 << TRANSFER_CODINGS.indexOf("chunked");
/** 2^64 − 1, the largest length llhttp takes, digit by digit. */
const MAX_LENGTH_DIGITS = bytes("18446744073709551615").map((c) => c - 48);

/** Whether `buf[at, at + name.length)` is `name` (lowercase letters and '-') in any case. */
function sameLowercase(buf: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let k = 0; k < name.length; k++) {
    if (((buf[at + k] as number) | 0x20) !== name[k]) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lc = c | 0x20;
  if (lc >= 97 && lc <= 102) return lc - 87;
  return -1;
}

/** Whether llhttp's version check takes HTTP/major.minor (it reads 0.9 and 2.0 like 1.0). */
function knownVersion(major: number, minor: number): boolean {
  return major === 1 ? minor <= 1 : (major === 0 && minor === 9) || (major === 2 && minor === 0);
}

export class ResponseParser {
  /** Status code of the response being parsed (or just completed). */
  statusCode = 0;
  /** Body payload bytes of the response so far. */
  bodyBytes = 0;
  /** After COMPLETE: whether the connection may carry the next request. */
  keepAlive = true;
  /** After `execute`: where parsing stopped (just after the response when COMPLETE). */
  offset = 0;

  private state = ST_DONE;
  private noBody = false;
  private inTrailers = false;
  private statusPos = 0;
  private versionMajor = 0;
  private versionMinor = 0;
  private headBytes = 0;
  /** Where the head bytes not yet counted in `headBytes` start, in the current input. */
  private headMark = 0;
  private header = H_OTHER;
  private nameLen = 0;
  private nameMask = 0;
  private valueDigits = 0;
  private valueSeen = false;
  private valueDone = false;
  private lengthOrder = 0;
  private contentLength = -1;
  private hasTransferEncoding = false;
  private chunked = false;
  private teState = TE_BEFORE;
  private teLen = 0;
  private teMask = 0;
  private teTab = false;
  private teLastChunked = false;
  private tokenLen = 0;
  private tokenClose = true;
  private tokenKeepAlive = true;
  private connClose = false;
  private connKeepAlive = false;
  private remaining = 0;
  private chunkDigits = 0;
  private chunkSeen = false;
  private extState = EXT_SEMI;
  private extBytes = 0;
  private errorCode = "";
  private errorReason = "";

  /** Starts a new response; `noBody` for the answer to a HEAD request. */
  begin(noBody: boolean): void {
    this.noBody = noBody;
    this.bodyBytes = 0;
    this.keepAlive = true;
    this.inTrailers = false;
    this.resetHead();
    this.state = ST_START;
  }

  /** Whether a response is being parsed (begun and not complete). */
  get inMessage(): boolean {
    return this.state !== ST_DONE && this.state !== ST_ERROR;
  }

  /** The connection ended: completes a response delimited by the close. */
  finishAtEof(): boolean {
    if (this.state !== ST_BODY_EOF) return false;
    this.state = ST_DONE;
    this.keepAlive = false;
    return true;
  }

  /** The error after PARSE_ERROR. */
  error(): HttpParseError {
    return new HttpParseError(this.errorCode, this.errorReason);
  }

  private resetHead(): void {
    this.state = ST_STATUS;
    this.statusCode = 0;
    this.statusPos = 0;
    this.versionMajor = 0;
    this.versionMinor = 0;
    this.headBytes = 0;
    this.contentLength = -1;
    this.hasTransferEncoding = false;
    this.chunked = false;
    this.connClose = false;
    this.connKeepAlive = false;
  }

  private fail(code: string, reason: string, at: number): number {
    this.state = ST_ERROR;
    this.errorCode = code;
    this.errorReason = reason;
    this.offset = at;
    return at;
  }

  /** Parses `buf[start, end)`. Stops after a complete response, at the end of input, or at an error. */
  execute(buf: Uint8Array, start: number, end: number): ExecuteResult {
    if (this.state === ST_DONE) {
      this.fail("HPE_CLOSED_CONNECTION", "Data after the response", start);
      return PARSE_ERROR;
    }
    let i = start;
    this.headMark = start;
    while (i < end) {
      const state = this.state;
      if (state <= ST_LAST_HEAD) {
        i = this.head(buf, i, end);
        if (this.state > ST_LAST_HEAD) {
          // The head (or trailer section) ended at i: count it, then go on with the body.
          if (this.state === ST_ERROR) return PARSE_ERROR;
          this.headBytes += i - this.headMark;
          if (this.headBytes > MAX_HEAD_BYTES) return this.overflow(i);
          if (this.state === ST_DONE) {
            this.offset = i;
            return COMPLETE;
          }
        }
      } else if (state === ST_BODY_LENGTH) {
        const available = end - i;
        const n = available < this.remaining ? available : this.remaining;
        this.bodyBytes += n;
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) {
          this.state = ST_DONE;
          this.offset = i;
          return COMPLETE;
        }
      } else if (state === ST_BODY_EOF) {
        this.bodyBytes += end - i;
        i = end;
      } else if (state <= ST_CHUNK_DATA_LF) {
        i = this.chunk(buf, i, end);
        if (this.state === ST_ERROR) return PARSE_ERROR;
        if (this.state <= ST_LAST_HEAD) this.headMark = i;
      } else {
        this.fail(this.errorCode, this.errorReason, i);
        return PARSE_ERROR;
      }
    }
    if (this.state <= ST_LAST_HEAD) {
      this.headBytes += i - this.headMark;
      if (this.headBytes > MAX_HEAD_BYTES) return this.overflow(i);
    }
    this.offset = i;
    return NEED_MORE;
  }

  private overflow(at: number): ExecuteResult {
    this.fail("HPE_HEADER_OVERFLOW", "Header overflow", at);
    return PARSE_ERROR;
  }

  /** The status line and the fields (or the trailer section). Returns where it stopped. */
  private head(buf: Uint8Array, i: number, end: number): number {
    while (i < end) {
      switch (this.state) {
        case ST_START: {
          const c = buf[i] as number;
          if (c !== CR && c !== LF) {
            this.state = ST_STATUS;
            break;
          }
          i++;
          break;
        }
        case ST_STATUS:
          i = this.status(buf, i, end);
          break;
        case ST_REASON: {
          while (i < end) {
            const c = buf[i] as number;
            if (c === CR) {
              i++;
              this.state = ST_LINE_LF;
              break;
            }
            if (c === LF) return this.fail("HPE_CR_EXPECTED", "Missing expected CR after response line", i);
            i++;
          }
          break;
        }
        case ST_LINE_START: {
          const c = buf[i] as number;
          if (c === CR) {
            i++;
            this.state = ST_END_LF;
            break;
          }
          if (c === SP || c === HT) return this.fail("HPE_INVALID_HEADER_TOKEN", "Unexpected whitespace after header value", i);
          if (TCHAR[c] !== 1) return this.fail("HPE_INVALID_HEADER_TOKEN", "Invalid header token", i);
          const next = this.wholeField(buf, i, end);
          if (next >= 0) {
            i = next;
            break;
          }
          this.nameLen = 0;
          this.nameMask = 7;
          this.state = ST_NAME;
          break;
        }
        case ST_NAME:
          i = this.name(buf, i, end);
          break;
        case ST_VALUE: {
          while (i < end && FIELD_BYTE[buf[i] as number] === 1) i++;
          if (i < end) {
            if (buf[i] !== CR) return this.fail("HPE_INVALID_HEADER_TOKEN", "Invalid header value char", i);
            i++;
            this.state = ST_LINE_LF;
          }
          break;
        }
        case ST_VALUE_LENGTH:
          i = this.lengthValue(buf, i, end);
          break;
        case ST_VALUE_CODINGS:
          i = this.codingsValue(buf, i, end);
          break;
        case ST_VALUE_CONNECTION:
          i = this.connectionValue(buf, i, end);
          break;
        case ST_LINE_LF: {
          if (buf[i] !== LF) return this.fail("HPE_LF_EXPECTED", "Missing expected LF after header value", i);
          i++;
          this.state = ST_LINE_START;
          break;
        }
        case ST_END_LF: {
          if (buf[i] !== LF) return this.fail("HPE_LF_EXPECTED", "Missing expected LF after headers", i);
          i++;
          if (this.inTrailers) this.state = ST_DONE;
          else this.headersDone(i);
          if (this.state !== ST_STATUS) return i;
          break;
        }
        default:
          return i;
      }
      if (this.state === ST_ERROR) return i;
    }
    return i;
  }

  /** `HTTP/x.y DDD` then SP (a reason follows) or CR. */
  private status(buf: Uint8Array, i: number, end: number): number {
    if (this.statusPos === 0 && end - i >= 13 && this.statusLineAt(buf, i)) {
      this.statusPos = 12;
      i += 12;
    }
    while (i < end) {
      const c = buf[i] as number;
      const pos = this.statusPos;
      if (pos < 5) {
        if (c !== HTTP_SLASH[pos]) return this.fail("HPE_INVALID_CONSTANT", "Expected HTTP/", i);
      } else if (pos === 5 || pos === 7) {
        if (c < 48 || c > 57) return this.fail("HPE_INVALID_VERSION", "Invalid HTTP version", i);
        if (pos === 5) this.versionMajor = c - 48;
        else {
          this.versionMinor = c - 48;
          if (!knownVersion(this.versionMajor, this.versionMinor)) return this.fail("HPE_INVALID_VERSION", "Invalid HTTP version", i);
        }
      } else if (pos === 6) {
        if (c !== 46) return this.fail("HPE_INVALID_VERSION", "Invalid HTTP version", i);
      } else if (pos === 8) {
        if (c !== SP) return this.fail("HPE_INVALID_VERSION", "Expected space after version", i);
      } else if (pos < 12) {
        if (c < 48 || c > 57) return this.fail("HPE_INVALID_STATUS", "Invalid status code", i);
        this.statusCode = this.statusCode * 10 + (c - 48);
        if (pos === 11 && this.statusCode < 100) return this.fail("HPE_INVALID_STATUS", "Invalid status code", i);
      } else {
        this.statusPos = 0;
        if (c === SP) this.state = ST_REASON;
        else if (c === CR) this.state = ST_LINE_LF;
        else return this.fail("HPE_INVALID_STATUS", "Invalid response status", i);
        return i + 1;
      }
      this.statusPos = pos + 1;
      i++;
    }
    return i;
  }

  /** The common case in one go: `HTTP/1.x DDD` entirely inside this buffer. */
  private statusLineAt(buf: Uint8Array, i: number): boolean {
    if (buf[i] !== 72 || buf[i + 1] !== 84 || buf[i + 2] !== 84 || buf[i + 3] !== 80 || buf[i + 4] !== 47) return false;
    const major = (buf[i + 5] as number) - 48;
    const minor = (buf[i + 7] as number) - 48;
    const d0 = (buf[i + 9] as number) - 48;
    const d1 = (buf[i + 10] as number) - 48;
    const d2 = (buf[i + 11] as number) - 48;
    if (major < 0 || major > 9 || buf[i + 6] !== 46 || minor < 0 || minor > 9 || buf[i + 8] !== SP || !knownVersion(major, minor)) return false;
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
    this.versionMajor = major;
    this.versionMinor = minor;
    this.statusCode = d0 * 100 + d1 * 10 + d2;
    return true;
  }

  /** A field name: tokens up to the colon; notes the three fields that matter. */
  /**
   * The common case in one go: a field line whose name and colon are in this buffer (and, for the
   * fields not looked at, its CRLF too). Returns where parsing goes on, with the state set, or −1
   * (nothing changed) to let the byte-by-byte states read the line, and report any error.
   */
  private wholeField(buf: Uint8Array, i: number, end: number): number {
    let k = i;
    while (k < end && TCHAR[buf[k] as number] === 1) k++;
    if (k >= end || buf[k] !== COLON) return -1;
    const len = k - i;
    const header =
      len === 14 && sameLowercase(buf, i, NAME_CONTENT_LENGTH)
        ? H_CONTENT_LENGTH
        : len === 17 && sameLowercase(buf, i, NAME_TRANSFER_ENCODING)
          ? H_TRANSFER_ENCODING
          : len === 10 && sameLowercase(buf, i, NAME_CONNECTION)
            ? H_CONNECTION
            : H_OTHER;
    k += 1;
    if (header !== H_OTHER) return this.beginValue(k, header);
    while (k < end && FIELD_BYTE[buf[k] as number] === 1) k++;
    if (k + 1 >= end || buf[k] !== CR || buf[k + 1] !== LF) return -1;
    this.header = H_OTHER;
    return k + 2;
  }

  private name(buf: Uint8Array, i: number, end: number): number {
    let len = this.nameLen;
    let mask = this.nameMask;
    while (i < end) {
      const c = buf[i] as number;
      if (c === COLON) {
        this.nameLen = len;
        const header =
          (mask & 1) !== 0 && len === 14 ? H_CONTENT_LENGTH : (mask & 2) !== 0 && len === 17 ? H_TRANSFER_ENCODING : (mask & 4) !== 0 && len === 10 ? H_CONNECTION : H_OTHER;
        return this.beginValue(i + 1, header);
      }
      if (TCHAR[c] !== 1) return this.fail("HPE_INVALID_HEADER_TOKEN", "Invalid header field char", i);
      if (mask !== 0) {
        const lc = c | 0x20;
        if ((mask & 1) !== 0 && NAME_CONTENT_LENGTH[len] !== lc) mask &= 6;
        if ((mask & 2) !== 0 && NAME_TRANSFER_ENCODING[len] !== lc) mask &= 5;
        if ((mask & 4) !== 0 && NAME_CONNECTION[len] !== lc) mask &= 3;
      }
      len += 1;
      i++;
    }
    this.nameLen = len;
    this.nameMask = mask;
    return i;
  }

  private beginValue(i: number, header: number): number {
    this.header = header;
    if (header === H_OTHER) {
      this.state = ST_VALUE;
      return i;
    }
    if (this.inTrailers) {
      // llhttp refuses a Content-Length among the trailers of a chunked body; the rest is ignored.
      if (header === H_CONTENT_LENGTH) return this.fail("HPE_UNEXPECTED_CONTENT_LENGTH", "Content-Length can't be present with Transfer-Encoding", i);
      this.state = ST_VALUE;
      return i;
    }
    if (header === H_CONTENT_LENGTH) {
      if (this.contentLength >= 0) return this.fail("HPE_UNEXPECTED_CONTENT_LENGTH", "Duplicate Content-Length", i);
      this.valueDigits = 0;
      this.valueSeen = false;
      this.valueDone = false;
      this.lengthOrder = 0;
      this.contentLength = 0;
      this.state = ST_VALUE_LENGTH;
    } else if (header === H_TRANSFER_ENCODING) {
      this.teState = TE_BEFORE;
      this.teLastChunked = false;
      this.teTab = false;
      this.state = ST_VALUE_CODINGS;
    } else {
      this.tokenLen = 0;
      this.tokenClose = true;
      this.tokenKeepAlive = true;
      this.state = ST_VALUE_CONNECTION;
    }
    return i;
  }

  /** Content-Length: OWS, decimal digits up to 2^64 − 1, then only spaces (llhttp takes no HTAB after). */
  private lengthValue(buf: Uint8Array, i: number, end: number): number {
    while (i < end) {
      const c = buf[i] as number;
      if (c >= 48 && c <= 57) {
        if (this.valueDone) return this.fail("HPE_INVALID_CONTENT_LENGTH", "Invalid character in Content-Length", i);
        const digit = c - 48;
        this.valueSeen = true;
        if (this.valueDigits > 0 || digit > 0) {
          const k = this.valueDigits;
          if (k >= MAX_LENGTH_DIGITS.length) return this.fail("HPE_INVALID_CONTENT_LENGTH", "Content-Length overflow", i);
          if (this.lengthOrder === 0) this.lengthOrder = Math.sign(digit - (MAX_LENGTH_DIGITS[k] as number));
          this.valueDigits = k + 1;
          this.contentLength = this.contentLength * 10 + digit;
        }
      } else if (c === SP || (c === HT && !this.valueSeen)) {
        if (this.valueSeen) this.valueDone = true;
      } else if (c === CR) {
        if (!this.valueSeen) return this.fail("HPE_INVALID_CONTENT_LENGTH", "Empty Content-Length", i);
        if (this.valueDigits === MAX_LENGTH_DIGITS.length && this.lengthOrder > 0) return this.fail("HPE_INVALID_CONTENT_LENGTH", "Content-Length overflow", i);
        this.state = ST_LINE_LF;
        return i + 1;
      } else {
        return this.fail("HPE_INVALID_CONTENT_LENGTH", "Invalid character in Content-Length", i);
      }
      i++;
    }
    return i;
  }

  /** Transfer-Encoding: the rules of http1-framing.ts `transferEncodingFraming`, byte by byte. */
  private codingsValue(buf: Uint8Array, i: number, end: number): number {
    while (i < end) {
      const c = buf[i] as number;
      const st = this.teState;
      if (TCHAR[c] === 1) {
        if (st === TE_AFTER) return this.fail("HPE_INVALID_TRANSFER_ENCODING", "Invalid Transfer-Encoding list", i);
        if (st === TE_BEFORE) {
          this.teState = TE_CODING;
          this.teLen = 0;
          this.teMask = ALL_CODINGS;
        }
        let mask = this.teMask;
        if (mask !== 0) {
          const lc = c >= 65 && c <= 90 ? c | 0x20 : c;
          const len = this.teLen;
          for (let k = 0; k < CODINGS.length; k++) {
            if ((mask & (1 << k)) !== 0 && (CODINGS[k] as Uint8Array)[len] !== lc) mask &= ~(1 << k);
          }
          this.teMask = mask;
        }
        this.teLen += 1;
      } else if (c === SP || c === HT) {
        if (st === TE_CODING && !this.endCoding(i)) return i;
        if (st !== TE_BEFORE) {
          this.teState = TE_AFTER;
          if (c === HT) this.teTab = true;
        }
      } else if (c === COMMA) {
        if (st === TE_BEFORE) return this.fail("HPE_INVALID_TRANSFER_ENCODING", "Invalid Transfer-Encoding list", i);
        if (st === TE_CODING && !this.endCoding(i)) return i;
        this.teState = TE_BEFORE;
        this.teTab = false;
      } else if (c === CR) {
        if (st === TE_BEFORE || this.teTab) return this.fail("HPE_INVALID_TRANSFER_ENCODING", "Invalid Transfer-Encoding list", i);
        if (st === TE_CODING && !this.endCoding(i)) return i;
        this.hasTransferEncoding = true;
        this.chunked = this.teLastChunked;
        this.state = ST_LINE_LF;
        return i + 1;
      } else {
        return this.fail("HPE_INVALID_TRANSFER_ENCODING", "Invalid Transfer-Encoding list", i);
      }
      i++;
    }
    return i;
  }

  /** A coding name ended: it must be a registered one. */
  private endCoding(at: number): boolean {
    let known = 0;
    for (let k = 0; k < CODINGS.length; k++) {
      if ((this.teMask & (1 << k)) !== 0 && (CODINGS[k] as Uint8Array).length === this.teLen) known = 1 << k;
    }
    if (known === 0) {
      this.fail("HPE_INVALID_TRANSFER_ENCODING", "Unknown transfer coding", at);
      return false;
    }
    this.teLastChunked = known === CHUNKED_BIT;
    this.teState = TE_AFTER;
    this.teTab = false;
    return true;
  }

  /** Connection: a token list; `close` and `keep-alive` are noted. */
  private connectionValue(buf: Uint8Array, i: number, end: number): number {
    while (i < end) {
      const c = buf[i] as number;
      if (c === CR) {
        this.endToken();
        this.state = ST_LINE_LF;
        return i + 1;
      }
      if (FIELD_BYTE[c] !== 1) return this.fail("HPE_INVALID_HEADER_TOKEN", "Invalid header value char", i);
      if (c === COMMA) {
        this.endToken();
      } else if (c !== SP && c !== HT) {
        const lc = c | 0x20;
        const len = this.tokenLen;
        if (this.tokenClose && (len >= 5 || TOKEN_CLOSE[len] !== lc)) this.tokenClose = false;
        if (this.tokenKeepAlive && (len >= 10 || TOKEN_KEEP_ALIVE[len] !== lc)) this.tokenKeepAlive = false;
        this.tokenLen = len + 1;
      }
      i++;
    }
    return i;
  }

  private endToken(): void {
    if (this.tokenLen === 5 && this.tokenClose) this.connClose = true;
    else if (this.tokenLen === 10 && this.tokenKeepAlive) this.connKeepAlive = true;
    this.tokenLen = 0;
    this.tokenClose = true;
    this.tokenKeepAlive = true;
  }

  /** The head ended at `at`: decides the body (sets the state; ST_STATUS again after a 1xx). */
  private headersDone(at: number): void {
    const status = this.statusCode;
    if (status < 200) {
      // undici refuses 100 Continue (never asked for: no Expect is sent) and a 101 nobody asked for.
      if (status === 100) this.fail("HPE_UNEXPECTED_STATUS", "100 Continue without Expect", at);
      else if (status === 101) this.fail("HPE_UNEXPECTED_STATUS", "101 Switching Protocols without Upgrade", at);
      else {
        // An interim response: the next head is counted on its own.
        this.resetHead();
        this.headMark = at;
      }
      return;
    }
    if (this.hasTransferEncoding && this.contentLength >= 0) {
      this.fail("HPE_UNEXPECTED_CONTENT_LENGTH", "Content-Length can't be present with Transfer-Encoding", at);
      return;
    }
    const persistent = this.versionMajor === 1 && this.versionMinor === 1;
    this.keepAlive = persistent ? !this.connClose : this.connKeepAlive && !this.connClose;
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing: close after it.
    if (this.hasTransferEncoding && !persistent) this.keepAlive = false;
    if (this.noBody || status === 204 || status === 304) {
      this.state = ST_DONE;
    } else if (this.chunked) {
      this.state = ST_CHUNK_SIZE;
      this.beginChunk();
    } else if (this.hasTransferEncoding || this.contentLength < 0) {
      this.state = ST_BODY_EOF;
      this.keepAlive = false;
    } else if (this.contentLength === 0) {
      this.state = ST_DONE;
    } else {
      this.remaining = this.contentLength;
      this.state = ST_BODY_LENGTH;
    }
  }

  private beginChunk(): void {
    this.remaining = 0;
    this.chunkDigits = 0;
    this.chunkSeen = false;
    this.extBytes = 0;
  }

  /** Chunk framing: size, extensions, data and its CRLF; the last chunk leads to the trailers. */
  private chunk(buf: Uint8Array, i: number, end: number): number {
    while (i < end) {
      switch (this.state) {
        case ST_CHUNK_SIZE: {
          const c = buf[i] as number;
          const v = hexValue(c);
          if (v >= 0) {
            this.chunkSeen = true;
            if (this.chunkDigits > 0 || v > 0) {
              if (this.chunkDigits >= 16) return this.fail("HPE_INVALID_CHUNK_SIZE", "Chunk size overflow", i);
              this.chunkDigits += 1;
              this.remaining = this.remaining * 16 + v;
            }
            i++;
            break;
          }
          if (!this.chunkSeen) return this.fail("HPE_INVALID_CHUNK_SIZE", "Invalid character in chunk size", i);
          if (c === SEMI) {
            this.state = ST_CHUNK_EXT;
            this.extState = EXT_SEMI;
          } else if (c === CR) {
            this.state = ST_CHUNK_SIZE_LF;
          } else {
            return this.fail("HPE_INVALID_CHUNK_SIZE", "Invalid character in chunk size", i);
          }
          i++;
          break;
        }
        case ST_CHUNK_EXT:
          i = this.extension(buf, i, end);
          break;
        case ST_CHUNK_SIZE_LF: {
          if (buf[i] !== LF) return this.fail("HPE_LF_EXPECTED", "Missing expected LF after chunk size", i);
          i++;
          if (this.remaining > 0) {
            this.state = ST_CHUNK_DATA;
            break;
          }
          this.inTrailers = true;
          this.headBytes = 0;
          this.state = ST_LINE_START;
          return i;
        }
        case ST_CHUNK_DATA: {
          const available = end - i;
          const n = available < this.remaining ? available : this.remaining;
          this.bodyBytes += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = ST_CHUNK_DATA_CR;
          break;
        }
        case ST_CHUNK_DATA_CR: {
          if (buf[i] !== CR) return this.fail("HPE_STRICT", "Expected LF after chunk data", i);
          i++;
          this.state = ST_CHUNK_DATA_LF;
          break;
        }
        case ST_CHUNK_DATA_LF: {
          if (buf[i] !== LF) return this.fail("HPE_STRICT", "Expected LF after chunk data", i);
          i++;
          this.state = ST_CHUNK_SIZE;
          this.beginChunk();
          break;
        }
        default:
          return i;
      }
    }
    return i;
  }

  /** A chunk's extensions, as llhttp reads them; at most 64 KiB per chunk line. */
  private extension(buf: Uint8Array, i: number, end: number): number {
    const from = i;
    let st = this.extState;
    while (i < end) {
      const c = buf[i] as number;
      if (st === EXT_QUOTED) {
        if (c === DQUOTE) st = EXT_AFTER_QUOTE;
        else if (c === BACKSLASH) st = EXT_QUOTED_ESCAPE;
        else if (QDTEXT[c] !== 1) return this.fail("HPE_INVALID_CHUNK_EXTENSIONS", "Invalid character in chunk extensions quoted value", i);
      } else if (st === EXT_QUOTED_ESCAPE) {
        if (QDTEXT[c] !== 1 && c !== DQUOTE && c !== BACKSLASH) return this.fail("HPE_INVALID_CHUNK_EXTENSIONS", "Invalid quoted-pair in chunk extensions", i);
        st = EXT_QUOTED;
      } else if (c === SEMI) {
        st = EXT_SEMI;
      } else if (c === CR) {
        if (st === EXT_SEMI) return this.fail("HPE_INVALID_CHUNK_EXTENSIONS", "Invalid character in chunk extensions", i);
        this.state = ST_CHUNK_SIZE_LF;
        this.extBytes += i + 1 - from;
        return i + 1;
      } else if (st === EXT_SEMI || st === EXT_NAME) {
        if (TCHAR[c] === 1) st = EXT_NAME;
        else if (c === EQUALS && st === EXT_NAME) st = EXT_VALUE_START;
        else return this.fail("HPE_INVALID_CHUNK_EXTENSIONS", "Invalid character in chunk extensions", i);
      } else if (st === EXT_VALUE_START || st === EXT_VALUE_TOKEN) {
        if (TCHAR[c] === 1) st = EXT_VALUE_TOKEN;
        else if (c === DQUOTE && st === EXT_VALUE_START) st = EXT_QUOTED;
        else return this.fail("HPE_INVALID_CHUNK_EXTENSIONS", "Invalid character in chunk extensions value", i);
      } else {
        return this.fail("HPE_INVALID_CHUNK_EXTENSIONS", "Invalid character in chunk extensions quote value", i);
      }
      i++;
    }
    this.extState = st;
    this.extBytes += i - from;
    if (this.extBytes > MAX_HEAD_BYTES) return this.fail("HPE_HEADER_OVERFLOW", "Chunk extensions overflow", i);
    return i;
  }
}
