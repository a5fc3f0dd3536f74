/**
 * The allow-list of a shared coordinator: which hosts and addresses its outbound requests (load,
 * actions, metrics queries, fetched templates, redirects followed by agents) may reach.
 *
 * Patterns:
 * - names: `api.example.com`, `*.svc.cluster.local` (one or more labels), `*` (every name);
 * - addresses and CIDRs: `127.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`.
 *
 * A connection to `address`, reached through the host written in the URL, is allowed when
 * - `address` lies in an address pattern, or
 * - the host as written matches a name pattern (`*` also matches IP literals),
 * and, for a PROTECTED address (loopback, link-local with the cloud metadata endpoint
 * 169.254.169.254, unspecified, other cloud metadata addresses), only when an address pattern that
 * lies itself inside a protected range names it (`127.0.0.1`, `127.0.0.0/8`, `169.254.169.254`):
 * neither a name pattern nor a broad CIDR such as `0.0.0.0/0` reaches them. Names are resolved
 * and every address they resolve to is checked (egress.ts), at connect time.
 */
import { BlockList, isIP } from "node:net";
import { ConfigurationError, ErrorCode } from "../errors.js";

/** Ranges reachable only through an explicit address pattern inside them. */
export const PROTECTED_RANGES: readonly string[] = [
  "127.0.0.0/8",
  "0.0.0.0/8",
  "169.254.0.0/16",
  "100.100.100.200/32",
  "::1/128",
  "::/128",
  "fe80::/10",
  "fd00:ec2::254/128",
];

export interface AllowList {
  /** The patterns as configured, for messages. */
  readonly patterns: readonly string[];
  /**
   * Whether the host as written (a name, or an IP literal with or without brackets) is allowed
   * before resolution: an IP literal by its address; a name when it matches a name pattern.
   */
  allows(host: string): boolean;
  /** Whether a name may still be allowed through what it resolves to (some address pattern exists). */
  readonly hasAddressPatterns: boolean;
  /** Whether a connection to `address`, reached through `host` as written, is allowed. */
  allowsAddress(address: string, host: string): boolean;
}

type Family = "ipv4" | "ipv6";

/** `[::1]` → `::1`; `::ffff:10.0.0.1` → `10.0.0.1`; lower case. */
export function bareAddress(host: string): string {
  const bare = host.toLowerCase().replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return mapped?.[1] ?? bare;
}

function familyOf(address: string): Family | undefined {
  const family = isIP(address);
  return family === 4 ? "ipv4" : family === 6 ? "ipv6" : undefined;
}

function parseCidr(pattern: string): { address: string; prefix: number; family: Family } | undefined {
  const match = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(pattern);
  if (!match) {
    const family = familyOf(bareAddress(pattern));
    if (family === undefined) return undefined;
    return { address: bareAddress(pattern), prefix: family === "ipv4" ? 32 : 128, family };
  }
  const address = bareAddress(match[1] ?? "");
  const family = familyOf(address);
  const prefix = Number(match[2]);
  if (family === undefined || prefix > (family === "ipv4" ? 32 : 128)) return undefined;
  return { address, prefix, family };
}

const protectedList = new BlockList();
const protectedRanges = PROTECTED_RANGES.map((range) => {
  const cidr = parseCidr(range);
  if (!cidr) throw new Error(`bad protected range ${range}`);
  protectedList.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return cidr;
});

/** Whether `address` is loopback, link-local (cloud metadata), unspecified or another metadata address. */
export function isProtectedAddress(address: string): boolean {
  const bare = bareAddress(address);
  const family = familyOf(bare);
  return family !== undefined && protectedList.check(bare, family);
}

/** Whether the CIDR lies entirely inside one protected range (so it names protected addresses on purpose). */
function insideProtected(cidr: { address: string; prefix: number; family: Family }): boolean {
  return protectedRanges.some((range) => {
    if (range.family !== cidr.family || cidr.prefix < range.prefix) return false;
    const one = new BlockList();
    one.addSubnet(range.address, range.prefix, range.family);
    return one.check(cidr.address, cidr.family);
  });
}

const NAME_PATTERN = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$|^\*$/;

/** Compiles the patterns; throws ConfigurationError (CONFIG_INVALID) naming `source` and the bad pattern. */
export function compileAllowList(patterns: readonly string[], source: string, field = "allowedTargets"): AllowList {
  const open = new BlockList();
  const explicitProtected = new BlockList();
  const names: RegExp[] = [];
  let anyName = false;
  let hasAddressPatterns = false;
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    const numericCidr = /^[0-9a-f:.[\]]+\/\d+$/.test(pattern);
    const cidr = numericCidr || isIP(bareAddress(pattern)) !== 0 ? parseCidr(pattern) : undefined;
    if (cidr) {
      hasAddressPatterns = true;
      open.addSubnet(cidr.address, cidr.prefix, cidr.family);
      if (insideProtected(cidr)) explicitProtected.addSubnet(cidr.address, cidr.prefix, cidr.family);
    } else if (numericCidr) {
      throw new ConfigurationError(ErrorCode.BadConfig, `${source}: ${field}: "${raw}" is not a valid CIDR`, { field });
    } else if (NAME_PATTERN.test(pattern)) {
      if (pattern === "*") anyName = true;
      const escaped = pattern.replace(/\.$/, "").replace(/[.]/g, "\\.").replace(/^\*\\\./, "(?:[a-z0-9_-]+\\.)+");
      if (pattern !== "*") names.push(new RegExp(`^${escaped}\\.?$`));
    } else {
      throw new ConfigurationError(ErrorCode.BadConfig, `${source}: ${field}: "${raw}" is neither a host pattern nor a CIDR`, { field });
    }
  }
  const matchesName = (host: string): boolean => anyName || names.some((name) => name.test(host));
  const allowsAddress = (address: string, host: string): boolean => {
    const bare = bareAddress(address);
    const family = familyOf(bare);
    if (family === undefined) return false;
    if (protectedList.check(bare, family)) return explicitProtected.check(bare, family);
    if (open.check(bare, family)) return true;
    const written = bareAddress(host);
    return isIP(written) === 0 ? matchesName(written) : anyName;
  };
  return {
    patterns,
    hasAddressPatterns,
    allowsAddress,
    allows(host: string): boolean {
      const bare = bareAddress(host);
      return isIP(bare) !== 0 ? allowsAddress(bare, bare) : matchesName(bare);
    },
  };
}
