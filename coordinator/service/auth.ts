/**
 * Bearer-token auth for the API: a tokens file maps each token to a role. Viewers may Get, List,
 * Watch and ListAgents; operators may also Submit and Cancel. Tokens are compared by their SHA-256
 * digests in constant time and never logged.
 *
 * ```yaml
 * # tokens.yaml (a bare map also works)
 * tokens:
 *   "s3cr3t-ci-token": operator
 *   "dashboard-token": viewer
 *   "alice-token-123": {role: operator, name: alice}   # the name is shown as "submitted by"
 * ```
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Metadata } from "@grpc/grpc-js";
import { parse as parseYaml } from "yaml";
import { ConfigurationError, ErrorCode } from "../../core/index.js";

export const Role = { Viewer: "viewer", Operator: "operator" } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** The role each method needs. */
export const METHOD_ROLES = {
  Submit: Role.Operator,
  Cancel: Role.Operator,
  Get: Role.Viewer,
  List: Role.Viewer,
  Watch: Role.Viewer,
  ListAgents: Role.Viewer,
} as const satisfies Record<string, Role>;
export type MethodName = keyof typeof METHOD_ROLES;

/** Who made a call. */
export interface Caller {
  readonly role: Role;
  /** "anonymous" without auth, else the token's name, else its role (tokens themselves are never shown). */
  readonly name: string;
}

/** One token of the tokens file: its role and an optional name shown as "submitted by". */
export interface TokenEntry {
  readonly role: Role;
  readonly name?: string;
}

export interface Authenticator {
  /** True when calls need a token. */
  readonly enabled: boolean;
  /** The caller of a request, or a ConfigurationError with code UNAUTHENTICATED / PERMISSION_DENIED. */
  authorize(metadata: Metadata, method: MethodName): Caller;
  /** Who holds this token (any role), or a ConfigurationError UNAUTHENTICATED (the dashboard's sign-in). */
  authenticateToken(token: string): Caller;
}

/** No tokens file: every caller is an operator (the coordinator then listens on loopback only). */
export function openAuthenticator(): Authenticator {
  const anonymous = { role: Role.Operator, name: "anonymous" } as const;
  return { enabled: false, authorize: () => anonymous, authenticateToken: () => anonymous };
}

export function tokenAuthenticator(tokens: ReadonlyMap<string, Role | TokenEntry>): Authenticator {
  const entries = [...tokens].map(([token, value]) => {
    const entry = typeof value === "string" ? { role: value } : value;
    return { digest: digest(token), caller: { role: entry.role, name: entry.name ?? entry.role } satisfies Caller };
  });
  const lookup = (token: string): Caller | undefined => {
    const given = digest(token);
    let caller: Caller | undefined;
    for (const entry of entries) if (timingSafeEqual(entry.digest, given)) caller = entry.caller;
    return caller;
  };
  return {
    enabled: true,
    authorize(metadata, method) {
      const header = metadata.get("authorization")[0];
      const match = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match?.[1]) {
        throw new ConfigurationError(ErrorCode.Unauthenticated, `${method}: no bearer token (send "authorization: Bearer <token>")`, {
          suggestion: "pass a token with --token or ASSAY_TOKEN",
        });
      }
      const caller = lookup(match[1]);
      if (!caller) throw new ConfigurationError(ErrorCode.Unauthenticated, `${method}: the token is not valid`);
      const needed = METHOD_ROLES[method];
      if (needed === Role.Operator && caller.role !== Role.Operator) {
        throw new ConfigurationError(ErrorCode.PermissionDenied, `${method} needs the operator role; the token has the ${caller.role} role`);
      }
      return caller;
    },
    authenticateToken(token) {
      const caller = lookup(token.trim());
      if (!caller) throw new ConfigurationError(ErrorCode.Unauthenticated, "the token is not valid");
      return caller;
    },
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export async function loadTokensFile(path: string): Promise<Map<string, TokenEntry>> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, "utf8"));
  } catch (cause) {
    throw new ConfigurationError(ErrorCode.BadConfig, `cannot read the tokens file ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseTokens(raw, path);
}

/** `token: role` or `token: {role, name}` entries, under `tokens:` or at the top level. */
export function parseTokens(raw: unknown, source: string): Map<string, TokenEntry> {
  const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
  if (!isMap(raw)) throw new ConfigurationError(ErrorCode.BadConfig, `${source}: expected a map of token: role`);
  const table = isMap(raw["tokens"]) ? raw["tokens"] : raw;
  const tokens = new Map<string, TokenEntry>();
  for (const [token, value] of Object.entries(table)) {
    const role = isMap(value) ? value["role"] : value;
    if (role !== Role.Viewer && role !== Role.Operator) {
      throw new ConfigurationError(ErrorCode.BadConfig, `${source}: a token has role ${JSON.stringify(role)}; roles are viewer and operator`);
    }
    if (token.length < 8) throw new ConfigurationError(ErrorCode.BadConfig, `${source}: tokens must be at least 8 characters long`);
    const name = isMap(value) ? value["name"] : undefined;
    if (isMap(value)) {
      const unknown = Object.keys(value).filter((key) => key !== "role" && key !== "name");
      if (unknown.length > 0) throw new ConfigurationError(ErrorCode.BadConfig, `${source}: a token entry has unknown keys ${unknown.join(", ")} (known: role, name)`);
      if (name !== undefined && (typeof name !== "string" || name.trim() === "")) {
        throw new ConfigurationError(ErrorCode.BadConfig, `${source}: a token's name must be a non-empty string`);
      }
    }
    tokens.set(token, { role, ...(typeof name === "string" ? { name: name.trim() } : {}) });
  }
  if (tokens.size === 0) throw new ConfigurationError(ErrorCode.BadConfig, `${source}: no tokens`);
  return tokens;
}
