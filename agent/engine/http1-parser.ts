/**
 * A small incremental HTTP/1.1 response parser for the fast client (engine/fast-client.ts).
 *
 * It reads only what a load generator needs: the status code, whether the connection stays open,
 * and how the body is delimited (Content-Length, chunked with extensions and trailers, or until the
 * connection closes), counting body bytes (payload only: no head, no chunk framing — the same
 * meaning as undici's onData). Header names are compared byte by byte, case-insensitively, and only
 * Content-Length, Transfer-Encoding and Connection are looked at; nothing is converted to strings
 * and nothing is allocated per response. Input may be split at any byte; `execute` stops right
 * after a complete response so the caller can start the next one on the same bytes. 1xx interim
 * responses (except 101) are skipped. Lenient where it costs nothing: a bare LF ends a line.
 */

/** `execute` needs more bytes. */
export const NEED_MORE = 0;
/** `execute` completed a response; `offset` is just after it. */
export const COMPLETE = 1;
/** `execute` found bytes that are not an HTTP/1.x response; see `error()`. */
export const PARSE_ERROR = 2;

export type ExecuteResult = typeof NEED_MORE | typeof COMPLETE | typeof PARSE_ERROR;

/** A response that does not follow HTTP/1.1 (undici's HTTPParserError has the same message shape). */
export class HttpParseError extends Error {
  readonly code: string;
  constructor(code: string, reason: string) {
    super(`Response does not match the HTTP/1.1 protocol (${reason})`);
    this.name = "HTTPParserError";
    this.code = code;
  }
}

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const SEMI = 59;
const COMMA = 44;

/** A head (status line and headers) larger than this is refused. */
export const MAX_HEAD_BYTES = 64 * 1024;

const ST_STATUS = 0;
const ST_REASON = 1;
const ST_LINE_START = 2;
const ST_NAME = 3;
const ST_VALUE = 4;
const ST_BODY_LENGTH = 5;
const ST_BODY_EOF = 6;
const ST_CHUNK_SIZE = 7;
const ST_CHUNK_EXT = 8;
const ST_CHUNK_DATA = 9;
const ST_CHUNK_DATA_END = 10;
const ST_TRAILER_START = 11;
const ST_TRAILER = 12;
const ST_DONE = 13;
const ST_ERROR = 14;

const H_OTHER = 0;
const H_CONTENT_LENGTH = 1;
const H_TRANSFER_ENCODING = 2;
const H_CONNECTION = 3;

const NAME_CONTENT_LENGTH = bytes("content-length");
const NAME_TRANSFER_ENCODING = bytes("transfer-encoding");
const NAME_CONNECTION = bytes("connection");
const TOKEN_CHUNKED = bytes("chunked");
const TOKEN_CLOSE = bytes("close");
const TOKEN_KEEP_ALIVE = bytes("keep-alive");
const HTTP_SLASH = bytes("HTTP/");

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lc = c | 0x20;
  if (lc >= 97 && lc <= 102) return lc - 87;
  return -1;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

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
  private statusPos = 0;
  private versionMinor = 0;
  private headBytes = 0;
  private header = H_OTHER;
  private nameLen = 0;
  private nameMask = 0;
  private valueDigits = 0;
  private contentLength = -1;
  private hasTransferEncoding = false;
  private chunked = false;
  private tokenLen = 0;
  private tokenClose = true;
  private tokenKeepAlive = true;
  private chunkedMatch = 0;
  private connClose = false;
  private connKeepAlive = false;
  private remaining = 0;
  private chunkDigits = 0;
  private errorCode = "";
  private errorReason = "";

  /** Starts a new response; `noBody` for the answer to a HEAD request. */
  begin(noBody: boolean): void {
    this.noBody = noBody;
    this.bodyBytes = 0;
    this.keepAlive = true;
    this.resetHead();
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
    this.versionMinor = 0;
    this.headBytes = 0;
    this.contentLength = -1;
    this.hasTransferEncoding = false;
    this.chunked = false;
    this.connClose = false;
    this.connKeepAlive = false;
  }

  private fail(code: string, reason: string, at: number): ExecuteResult {
    this.state = ST_ERROR;
    this.errorCode = code;
    this.errorReason = reason;
    this.offset = at;
    return PARSE_ERROR;
  }

  /** Parses `buf[start, end)`. Stops after a complete response, at the end of input, or at an error. */
  execute(buf: Uint8Array, start: number, end: number): ExecuteResult {
    let i = start;
    let headFrom = start;
    while (i < end) {
      switch (this.state) {
        case ST_STATUS: {
          if (this.statusPos === 0 && end - i >= 13 && this.statusLineAt(buf, i)) {
            i += 12;
            this.statusPos = 12;
            break;
          }
          const c = buf[i] as number;
          const pos = this.statusPos;
          if (pos < 5) {
            if (c !== HTTP_SLASH[pos]) return this.fail("HPE_INVALID_CONSTANT", "Expected HTTP/", i);
          } else if (pos === 5 || pos === 7) {
            if (c < 48 || c > 57) return this.fail("HPE_INVALID_VERSION", "Invalid HTTP version", i);
            if (pos === 7) this.versionMinor = c - 48;
          } else if (pos === 6) {
            if (c !== 46) return this.fail("HPE_INVALID_VERSION", "Invalid HTTP version", i);
          } else if (pos === 8) {
            if (c !== SP) return this.fail("HPE_INVALID_STATUS", "Invalid status code", i);
          } else if (pos < 12) {
            if (c < 48 || c > 57) return this.fail("HPE_INVALID_STATUS", "Invalid status code", i);
            this.statusCode = this.statusCode * 10 + (c - 48);
          } else {
            if (c === LF) this.state = ST_LINE_START;
            else if (c === SP || c === CR) this.state = ST_REASON;
            else return this.fail("HPE_INVALID_STATUS", "Invalid status code", i);
          }
          this.statusPos = pos + 1;
          i++;
          break;
        }
        case ST_REASON: {
          while (i < end && buf[i] !== LF) i++;
          if (i < end) {
            i++;
            this.state = ST_LINE_START;
          }
          break;
        }
        case ST_LINE_START: {
          const c = buf[i] as number;
          if (c === CR) {
            i++;
            break;
          }
          if (c === LF) {
            i++;
            this.headBytes += i - headFrom;
            headFrom = i;
            if (this.headersDone()) {
              this.offset = i;
              return COMPLETE;
            }
            break;
          }
          if (c === SP || c === HT) {
            // obs-fold continuation: ignored.
            this.header = H_OTHER;
            this.state = ST_VALUE;
            this.beginValue();
            break;
          }
          const lc = c | 0x20;
          if (lc !== 99 && lc !== 116) {
            // Not c… or t…: none of the three headers we read; skip the line.
            this.header = H_OTHER;
            this.state = ST_VALUE;
            break;
          }
          this.nameLen = 0;
          this.nameMask = 7;
          this.state = ST_NAME;
          break;
        }
        case ST_NAME: {
          let len = this.nameLen;
          let mask = this.nameMask;
          while (i < end) {
            const c = buf[i] as number;
            if (c === COLON) {
              this.header =
                (mask & 1) !== 0 && len === 14
                  ? H_CONTENT_LENGTH
                  : (mask & 2) !== 0 && len === 17
                    ? H_TRANSFER_ENCODING
                    : (mask & 4) !== 0 && len === 10
                      ? H_CONNECTION
                      : H_OTHER;
              i++;
              this.state = ST_VALUE;
              this.beginValue();
              break;
            }
            if (c === CR || c === LF || c === SP || c === HT) return this.fail("HPE_INVALID_HEADER_TOKEN", "Invalid header field char", i);
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
          break;
        }
        case ST_VALUE: {
          const header = this.header;
          if (header === H_OTHER) {
            // indexOf may look past `end` (into stale bytes of a reused buffer): bounded below.
            const lf = buf.indexOf(LF, i);
            if (lf < 0 || lf >= end) {
              i = end;
            } else {
              i = lf + 1;
              this.state = ST_LINE_START;
            }
            break;
          }
          while (i < end) {
            const c = buf[i] as number;
            i++;
            if (c === LF) {
              const bad = this.endValue();
              if (bad !== "") return this.fail(bad === "length" ? "HPE_INVALID_CONTENT_LENGTH" : "HPE_INVALID_HEADER_TOKEN", bad === "length" ? "Invalid character in Content-Length" : "Invalid header value", i - 1);
              this.state = ST_LINE_START;
              break;
            }
            if (c === CR) continue;
            if (header === H_CONTENT_LENGTH) {
              if (c >= 48 && c <= 57) {
                if (this.valueDigits < 0) return this.fail("HPE_INVALID_CONTENT_LENGTH", "Invalid character in Content-Length", i - 1);
                const next = (this.valueDigits === 0 ? 0 : this.contentLength) * 10 + (c - 48);
                if (next > MAX_SAFE) return this.fail("HPE_INVALID_CONTENT_LENGTH", "Content-Length overflow", i - 1);
                this.contentLength = next;
                this.valueDigits += 1;
              } else if (c === SP || c === HT) {
                if (this.valueDigits > 0) this.valueDigits = -this.valueDigits;
              } else {
                return this.fail("HPE_INVALID_CONTENT_LENGTH", "Invalid character in Content-Length", i - 1);
              }
            } else if (header === H_TRANSFER_ENCODING) {
              const lc = c | 0x20;
              if (c === SP || c === HT) {
                if (this.chunkedMatch !== 7) this.chunkedMatch = 0;
              } else if (this.chunkedMatch < 7 && TOKEN_CHUNKED[this.chunkedMatch] === lc) {
                this.chunkedMatch += 1;
              } else {
                this.chunkedMatch = lc === 99 ? 1 : 0;
              }
            } else if (c === COMMA) {
              this.endToken();
            } else if (c !== SP && c !== HT) {
              const lc = c | 0x20;
              const len = this.tokenLen;
              if (this.tokenClose && (len >= 5 || TOKEN_CLOSE[len] !== lc)) this.tokenClose = false;
              if (this.tokenKeepAlive && (len >= 10 || TOKEN_KEEP_ALIVE[len] !== lc)) this.tokenKeepAlive = false;
              this.tokenLen = len + 1;
            }
          }
          break;
        }
        case ST_BODY_LENGTH: {
          const available = end - i;
          const n = available < this.remaining ? available : this.remaining;
          this.bodyBytes += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) return this.complete(i);
          break;
        }
        case ST_BODY_EOF: {
          this.bodyBytes += end - i;
          i = end;
          break;
        }
        case ST_CHUNK_SIZE: {
          const c = buf[i] as number;
          const v = hexValue(c);
          if (v >= 0) {
            const next = this.remaining * 16 + v;
            if (next > MAX_SAFE) return this.fail("HPE_INVALID_CHUNK_SIZE", "Chunk size overflow", i);
            this.remaining = next;
            this.chunkDigits += 1;
            i++;
            break;
          }
          if (this.chunkDigits === 0) return this.fail("HPE_INVALID_CHUNK_SIZE", "Invalid character in chunk size", i);
          if (c === SEMI || c === SP || c === HT) {
            this.state = ST_CHUNK_EXT;
            i++;
            break;
          }
          if (c === CR) {
            i++;
            break;
          }
          if (c === LF) {
            i++;
            this.state = this.remaining === 0 ? ST_TRAILER_START : ST_CHUNK_DATA;
            break;
          }
          return this.fail("HPE_INVALID_CHUNK_SIZE", "Invalid character in chunk size", i);
        }
        case ST_CHUNK_EXT: {
          while (i < end && buf[i] !== LF) i++;
          if (i < end) {
            i++;
            this.state = this.remaining === 0 ? ST_TRAILER_START : ST_CHUNK_DATA;
          }
          break;
        }
        case ST_CHUNK_DATA: {
          const available = end - i;
          const n = available < this.remaining ? available : this.remaining;
          this.bodyBytes += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = ST_CHUNK_DATA_END;
          break;
        }
        case ST_CHUNK_DATA_END: {
          const c = buf[i] as number;
          i++;
          if (c === CR) break;
          if (c !== LF) return this.fail("HPE_STRICT", "Expected LF after chunk data", i - 1);
          this.state = ST_CHUNK_SIZE;
          this.chunkDigits = 0;
          this.remaining = 0;
          break;
        }
        case ST_TRAILER_START: {
          const c = buf[i] as number;
          i++;
          if (c === CR) break;
          if (c === LF) return this.complete(i);
          this.state = ST_TRAILER;
          break;
        }
        case ST_TRAILER: {
          while (i < end && buf[i] !== LF) i++;
          if (i < end) {
            i++;
            this.state = ST_TRAILER_START;
          }
          break;
        }
        case ST_DONE:
          return this.fail("HPE_CLOSED_CONNECTION", "Data after the response", i);
        default:
          return this.fail(this.errorCode, this.errorReason, i);
      }
    }
    if (this.state <= ST_VALUE) {
      this.headBytes += i - headFrom;
      if (this.headBytes > MAX_HEAD_BYTES) return this.fail("HPE_HEADER_OVERFLOW", "Header overflow", i);
    }
    this.offset = i;
    return NEED_MORE;
  }

  /** The common case in one go: `HTTP/1.x DDD` entirely inside this buffer. */
  private statusLineAt(buf: Uint8Array, i: number): boolean {
    if (buf[i] !== 72 || buf[i + 1] !== 84 || buf[i + 2] !== 84 || buf[i + 3] !== 80 || buf[i + 4] !== 47) return false;
    const major = buf[i + 5] as number;
    const minor = buf[i + 7] as number;
    const d0 = (buf[i + 9] as number) - 48;
    const d1 = (buf[i + 10] as number) - 48;
    const d2 = (buf[i + 11] as number) - 48;
    if (major < 48 || major > 57 || buf[i + 6] !== 46 || minor < 48 || minor > 57 || buf[i + 8] !== SP) return false;
    if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
    this.versionMinor = minor - 48;
    this.statusCode = d0 * 100 + d1 * 10 + d2;
    return true;
  }

  private beginValue(): void {
    this.valueDigits = 0;
    this.chunkedMatch = 0;
    this.tokenLen = 0;
    this.tokenClose = true;
    this.tokenKeepAlive = true;
  }

  /** Ends a header value; returns "" or what was wrong. */
  private endValue(): string {
    switch (this.header) {
      case H_CONTENT_LENGTH:
        if (this.valueDigits === 0) return "length";
        return "";
      case H_TRANSFER_ENCODING:
        this.hasTransferEncoding = true;
        // The last coding decides: "gzip, chunked" is chunked, "chunked, gzip" is not.
        this.chunked = this.chunkedMatch === 7;
        return "";
      case H_CONNECTION:
        this.endToken();
        return "";
      default:
        return "";
    }
  }

  private endToken(): void {
    if (this.tokenLen === 5 && this.tokenClose) this.connClose = true;
    else if (this.tokenLen === 10 && this.tokenKeepAlive) this.connKeepAlive = true;
    this.tokenLen = 0;
    this.tokenClose = true;
    this.tokenKeepAlive = true;
  }

  /** The head ended; returns true when the response is complete already (no body). */
  private headersDone(): boolean {
    const status = this.statusCode;
    if (status >= 100 && status < 200 && status !== 101) {
      this.resetHead();
      return false;
    }
    this.keepAlive = this.versionMinor >= 1 ? !this.connClose : this.connKeepAlive && !this.connClose;
    if (status === 101) this.keepAlive = false;
    if (this.noBody || status === 204 || status === 304 || status === 101) {
      this.state = ST_DONE;
      return true;
    }
    if (this.chunked) {
      this.state = ST_CHUNK_SIZE;
      this.remaining = 0;
      this.chunkDigits = 0;
      return false;
    }
    if (this.hasTransferEncoding || this.contentLength < 0) {
      this.state = ST_BODY_EOF;
      this.keepAlive = false;
      return false;
    }
    if (this.contentLength === 0) {
      this.state = ST_DONE;
      return true;
    }
    this.remaining = this.contentLength;
    this.state = ST_BODY_LENGTH;
    return false;
  }

  private complete(at: number): ExecuteResult {
    this.state = ST_DONE;
    this.offset = at;
    return COMPLETE;
  }
}
