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
  /** "anonymous" without auth, else the role (tokens themselves are never shown). */
  readonly name: string;
}

export interface Authenticator {
  /** True when calls need a token. */
  readonly enabled: boolean;
  /** The caller of a request, or a ConfigurationError with code UNAUTHENTICATED / PERMISSION_DENIED. */
  authorize(metadata: Metadata, method: MethodName): Caller;
}

/** No tokens file: every caller is an operator (the coordinator then listens on loopback only). */
export function openAuthenticator(): Authenticator {
  return { enabled: false, authorize: () => ({ role: Role.Operator, name: "anonymous" }) };
}

export function tokenAuthenticator(tokens: ReadonlyMap<string, Role>): Authenticator {
  const entries = [...tokens].map(([token, role]) => ({ digest: digest(token), role }));
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
      const given = digest(match[1]);
      let role: Role | undefined;
      for (const entry of entries) if (timingSafeEqual(entry.digest, given)) role = entry.role;
      if (!role) throw new ConfigurationError(ErrorCode.Unauthenticated, `${method}: the token is not valid`);
      const needed = METHOD_ROLES[method];
      if (needed === Role.Operator && role !== Role.Operator) {
        throw new ConfigurationError(ErrorCode.PermissionDenied, `${method} needs the operator role; the token has the ${role} role`);
      }
      return { role, name: role };
    },
  };
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export async function loadTokensFile(path: string): Promise<Map<string, Role>> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, "utf8"));
  } catch (cause) {
    throw new ConfigurationError(ErrorCode.BadConfig, `cannot read the tokens file ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseTokens(raw, path);
}

export function parseTokens(raw: unknown, source: string): Map<string, Role> {
  const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
  if (!isMap(raw)) throw new ConfigurationError(ErrorCode.BadConfig, `${source}: expected a map of token: role`);
  const table = isMap(raw["tokens"]) ? raw["tokens"] : raw;
  const tokens = new Map<string, Role>();
  for (const [token, role] of Object.entries(table)) {
    if (role !== Role.Viewer && role !== Role.Operator) {
      throw new ConfigurationError(ErrorCode.BadConfig, `${source}: a token has role ${JSON.stringify(role)}; roles are viewer and operator`);
    }
    if (token.length < 8) throw new ConfigurationError(ErrorCode.BadConfig, `${source}: tokens must be at least 8 characters long`);
    tokens.set(token, role);
  }
  if (tokens.size === 0) throw new ConfigurationError(ErrorCode.BadConfig, `${source}: no tokens`);
  return tokens;
}
