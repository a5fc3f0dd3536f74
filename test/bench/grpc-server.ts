/**
 * The gRPC bench target, run as its own process (pinned to a core by the bench): the harness'
 * Echo server, no delay. Prints `{"host": ..., "protoPath": ...}` once it listens; stops on SIGTERM.
 */
import { startGrpcTarget } from "../harness/grpc-target.js";

const target = await startGrpcTarget();
process.stdout.write(`${JSON.stringify({ host: target.host, protoPath: target.protoPath })}\n`);
process.once("SIGTERM", () => {
  void target.close().then(() => process.exit(0));
});
