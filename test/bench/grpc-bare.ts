/**
 * The physical limit for the gRPC bench: a tight grpc-js client loop with no measurement at all —
 * `concurrency` calls kept in flight over `connections` channels (each its own HTTP/2 connection),
 * the request encoded once, responses not decoded. Usage:
 *   node grpc-bare.js HOST /package.Service/Method BASE64_MESSAGE CONCURRENCY CONNECTIONS SECONDS
 * Prints `{"calls": N, "errors": E, "seconds": S}`.
 */
import * as grpc from "@grpc/grpc-js";

const [host = "", path = "", message = "", concurrencyText = "50", connectionsText = "1", secondsText = "8"] = process.argv.slice(2);
const request = Buffer.from(message, "base64");
const identity = (value: Buffer): Buffer => value;
const clients = Array.from({ length: Number(connectionsText) }, () => new grpc.Client(host, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 }));
const endAt = Date.now() + Number(secondsText) * 1000;
let calls = 0;
let errors = 0;
let running = 0;
const started = Date.now();

function loop(client: grpc.Client): void {
  if (Date.now() >= endAt) {
    running -= 1;
    if (running === 0) finish();
    return;
  }
  client.makeUnaryRequest(path, identity, identity, request, new grpc.Metadata(), {}, (error) => {
    calls += 1;
    if (error) errors += 1;
    loop(client);
  });
}

function finish(): void {
  process.stdout.write(`${JSON.stringify({ calls, errors, seconds: (Date.now() - started) / 1000 })}\n`);
  for (const client of clients) client.close();
}

const concurrency = Number(concurrencyText);
running = concurrency;
for (let i = 0; i < concurrency; i++) {
  const client = clients[i % clients.length];
  if (client) loop(client);
}
