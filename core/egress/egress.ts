/**
 * The allow-list enforced where connections are made: names are resolved and EVERY address they
 * resolve to must be allowed, at connect time (a name that resolved to an allowed address at
 * submit and to 169.254.169.254 a second later is refused: no DNS rebinding). One EgressGuard
 * serves node:net (`lookup` option), undici (a connector, an Agent) and checks before submit.
 */
import { lookup as dnsLookup } from "node:dns";
import type { LookupAddress } from "node:dns";
import { isIP } from "node:net";
import type { LookupFunction } from "node:net";
import { Agent, buildConnector } from "undici";
import { ErrorCode, ValidationError } from "../errors.js";
import type { AssayErrorOptions } from "../errors.js";
import { bareAddress } from "./allow-list.js";
import type { AllowList } from "./allow-list.js";

/** Resolves a name to every address it has (default: dns.lookup with `all`, like node:net). */
export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

/**
 * A connection the allow-list refuses (code TARGET_NOT_ALLOWED). `host` is the host as written,
 * `address` the resolved address refused (equal to `host` for an IP literal). Callers that know
 * the task and field rethrow it with `withField`.
 */
export class TargetNotAllowedError extends ValidationError {
  readonly host: string;
  readonly address: string;
  readonly reason: string;

  constructor(host: string, address: string, patterns: readonly string[], options: AssayErrorOptions & { prefix?: string } = {}) {
    const reason =
      host === address
        ? `host ${host} is not on the coordinator's allow-list`
        : `host ${host} resolves to ${address}, which is not on the coordinator's allow-list`;
    const { prefix, ...rest } = options;
    super(ErrorCode.TargetNotAllowed, `${prefix ?? ""}${reason} (allowedTargets: ${patterns.join(", ")})`, {
      suggestion: "ask the coordinator's operator to add the host or its addresses to allowedTargets",
      ...rest,
    });
    this.host = host;
    this.address = address;
    this.reason = reason;
  }

  /** The same refusal naming the task's field, e.g. `spec[2].with.url (notify): host …`. */
  withField(field: string, what: string, patterns: readonly string[]): TargetNotAllowedError {
    return new TargetNotAllowedError(this.host, this.address, patterns, { field, prefix: `${field} (${what}): `, cause: this });
  }
}

/** The refusal inside an error thrown by fetch/undici/net (it wraps its causes), if there is one. */
export function findTargetNotAllowed(error: unknown): TargetNotAllowedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof TargetNotAllowedError) return current;
    current = current.cause;
  }
  return undefined;
}

export interface EgressGuard {
  readonly allowList: AllowList;
  /** `lookup` for net.connect / tls.connect: refuses the connection when any address is not allowed. */
  readonly lookup: LookupFunction;
  /** The refusal for an IP literal host (net.connect does not call `lookup` for them), or undefined. */
  literalRefusal(host: string): TargetNotAllowedError | undefined;
  /** Resolves `host` (unless it is a literal) and checks every address; throws TargetNotAllowedError. */
  check(host: string): Promise<void>;
  /** An undici connector with these checks (pass buildConnector options: timeout, TLS). */
  connector(options?: buildConnector.BuildOptions): buildConnector.connector;
  /** An undici Agent whose every connection is checked (fetch/request `dispatcher`). */
  dispatcher(options?: Agent.Options): Agent;
}

const defaultResolve: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export function createEgressGuard(allowList: AllowList, options: { resolve?: ResolveAll } = {}): EgressGuard {
  const resolveAll = options.resolve ?? defaultResolve;

  const refusalOf = (host: string, addresses: readonly LookupAddress[]): TargetNotAllowedError | undefined => {
    const refused = addresses.find((entry) => !allowList.allowsAddress(entry.address, host));
    return refused ? new TargetNotAllowedError(host, refused.address, allowList.patterns) : undefined;
  };

  const literalRefusal = (host: string): TargetNotAllowedError | undefined => {
    const bare = bareAddress(host);
    if (isIP(bare) === 0) return undefined;
    return allowList.allowsAddress(bare, bare) ? undefined : new TargetNotAllowedError(bare, bare, allowList.patterns);
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolveAll(hostname).then(
      (addresses) => {
        const refusal = addresses.length === 0 ? undefined : refusalOf(hostname, addresses);
        if (refusal) {
          callback(refusal, "", 4);
          return;
        }
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable = addresses.filter((entry) => family === 0 || entry.family === family);
        if (lookupOptions.all) {
          callback(null, usable);
          return;
        }
        const first = usable[0];
        if (!first) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
          callback(error, "", 4);
          return;
        }
        callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), "", 4),
    );
  };

  const connector = (buildOptions: buildConnector.BuildOptions = {}): buildConnector.connector => {
    const base = buildConnector({ ...buildOptions, lookup });
    return (connectOptions, callback) => {
      const refusal = literalRefusal(connectOptions.hostname);
      if (refusal) {
        callback(refusal, null);
        return;
      }
      base(connectOptions, callback);
    };
  };

  return {
    allowList,
    lookup,
    literalRefusal,
    async check(host: string): Promise<void> {
      const bare = bareAddress(host);
      if (isIP(bare) !== 0) {
        const refusal = literalRefusal(bare);
        if (refusal) throw refusal;
        return;
      }
      const refusal = refusalOf(bare, await resolveAll(bare));
      if (refusal) throw refusal;
    },
    connector,
    dispatcher: (agentOptions: Agent.Options = {}) => new Agent({ ...agentOptions, connect: connector() }),
  };
}
