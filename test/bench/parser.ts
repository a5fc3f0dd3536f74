/**
 * Micro-benchmark of the fast path's response parser: nanoseconds of CPU per response for the
 * response the throughput bench's nginx sends (`return 200 "ok\n"`), whole and split in two reads,
 * and for a chunked response. Not a test; it prints figures.
 *
 *   npm run build && node dist/test/bench/parser.js [path/to/http1-parser.js]
 *
 * The optional path compares another build of the parser (e.g. a copy of dist from before a change).
 */
import { pathToFileURL } from "node:url";

interface Parser {
  begin(noBody: boolean): void;
  execute(buf: Uint8Array, start: number, end: number): number;
  offset: number;
}

const NGINX =
  "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Dec 2026 11:36:28 GMT\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n";
const CHUNKED = "HTTP/1.1 200 OK\r\nServer: node\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n10\r\n{\"status\":\"up\"}\n\r\n0\r\n\r\n";

function measure(ParserClass: new () => Parser, text: string, split: boolean, rounds: number): number {
  const bytes = Buffer.from(text, "latin1");
  const cut = split ? bytes.indexOf("\r\n\r\n") - 3 : bytes.length;
  const parser = new ParserClass();
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) {
      parser.begin(false);
      if (split) parser.execute(bytes, 0, cut);
      if (parser.execute(bytes, split ? cut : 0, bytes.length) !== 1) throw new Error("the response did not complete");
    }
  };
  run(200_000);
  const best: number[] = [];
  for (let k = 0; k < 15; k++) {
    // CPU time, not wall time: other processes on the machine do not inflate it.
    const cpu = process.cpuUsage();
    run(rounds);
    const used = process.cpuUsage(cpu);
    best.push(((used.user + used.system) * 1e3) / rounds);
  }
  // The fastest round: the others were slowed by whatever else ran on the machine.
  return Math.min(...best);
}

const modulePath = process.argv[2] ?? new URL("../../agent/engine/http1-parser.js", import.meta.url).pathname;
const { ResponseParser } = (await import(pathToFileURL(modulePath).href)) as { ResponseParser: new () => Parser };
const rounds = 300_000;
console.log(`parser: ${modulePath}`);
console.log(`nginx response (${NGINX.length} bytes), one read: ${measure(ResponseParser, NGINX, false, rounds).toFixed(0)} ns of CPU per response (best of 15 × 300k)`);
console.log(`nginx response, split in two reads: ${measure(ResponseParser, NGINX, true, rounds).toFixed(0)} ns per response`);
console.log(`chunked response (${CHUNKED.length} bytes), one read: ${measure(ResponseParser, CHUNKED, false, rounds).toFixed(0)} ns per response`);
