/**
 * The NATS connection flags `assay agent`, `assay run --nats` and `assay coordinator --nats` share,
 * defined once, and what they become: the NatsAuth the NATS links take.
 */
import { readFile } from "node:fs/promises";
import { ErrorCode, ValidationError } from "../core/index.js";
import type { NatsAuth } from "../core/index.js";
import type { FlagDefs, FlagValues } from "./command.js";

const GROUP = "NATS authentication";

export const NATS_AUTH_FLAGS = {
  user: { type: "string", value: "U", description: "NATS user (with --password)", group: GROUP },
  password: { type: "string", value: "P", description: "NATS password (or ASSAY_NATS_PASSWORD)", group: GROUP },
  token: { type: "string", value: "T", description: "NATS token (or ASSAY_NATS_TOKEN)", group: GROUP },
  "nkey-seed": { type: "string", value: "FILE", description: "NATS nkey seed file", group: GROUP },
  creds: { type: "string", value: "FILE", description: "NATS credentials file (JWT + seed)", group: GROUP },
  "tls-ca": { type: "string", value: "FILE", description: "CA certificate to verify the NATS server (implies TLS)", group: GROUP },
  tls: { type: "boolean", description: "require TLS (system trust store)", group: GROUP },
} as const satisfies FlagDefs;

export type NatsAuthValues = FlagValues<typeof NATS_AUTH_FLAGS>;

/** The NatsAuth the flags describe; passwords and tokens may come from the environment instead. */
export async function natsAuthFromFlags(values: NatsAuthValues, env: NodeJS.ProcessEnv): Promise<NatsAuth> {
  const password = values.password ?? env["ASSAY_NATS_PASSWORD"];
  const token = values.token ?? env["ASSAY_NATS_TOKEN"];
  let nkeySeed: string | undefined;
  if (values["nkey-seed"] !== undefined) {
    const file = values["nkey-seed"];
    nkeySeed = await readFile(file, "utf8").catch((cause: unknown) => {
      throw new ValidationError(ErrorCode.FileNotFound, `--nkey-seed: cannot read ${file}`, { cause, field: "--nkey-seed" });
    });
  }
  return {
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(values.user !== undefined && password !== undefined ? { pass: password } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(nkeySeed !== undefined ? { nkeySeed } : {}),
    ...(values.creds !== undefined ? { credsFile: values.creds } : {}),
    ...(values["tls-ca"] !== undefined ? { caFile: values["tls-ca"] } : {}),
    ...(values.tls ? { tls: true } : {}),
  };
}
