/**
 * What one experiment document may cost to read, and the largest values a field may hold. A shared
 * coordinator parses what anyone submits: a few hundred bytes of nested YAML aliases, or a few
 * kilobytes of brackets, must be refused in milliseconds with a validation error, never expanded.
 * docs/experiments.md ("Input limits") lists these numbers.
 */

/** Budgets of one parse; ParseOptions.limits overrides any of them. */
export interface ParseLimits {
  /** Size of the YAML text in UTF-8 bytes. Default 1 MiB. */
  readonly maxDocumentBytes: number;
  /**
   * YAML nodes written in the text (scalars, aliases, list items, flow collections), counted
   * before the YAML parser runs. Default 20,000.
   */
  readonly maxYamlNodes: number;
  /** Nesting depth of lists and maps (aliases expanded). Default 64. */
  readonly maxDepth: number;
  /** Nodes created by expanding aliases (`*name`, `<<: *name`), per document. Default 10,000. */
  readonly maxAliasNodes: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxDocumentBytes: 1024 * 1024,
  maxYamlNodes: 20_000,
  maxDepth: 64,
  maxAliasNodes: 10_000,
};

/**
 * Largest values of load fields: beyond any real run and small enough that every later sum and
 * product (shares, rates × seconds) stays an exact integer in a double.
 */
export const VALUE_LIMITS = {
  /** numRequests, warmupNumRequests, grpc total: 10^12. */
  maxRequests: 1e12,
  /** connections, grpc concurrency: 10^6. */
  maxConnections: 1_000_000,
  /** qps, rps, a stage's qps: 10^7 requests per second. */
  maxQps: 10_000_000,
  /**
   * Any duration (duration, warmupDuration, timeout, stages): 7 days. Node's timers cannot wait
   * longer than 24.8 days; a week is beyond any release experiment.
   */
  maxDurationMs: 7 * 24 * 3_600_000,
  /** retries of an action. */
  maxRetries: 1000,
  /** agents: a count of agents. */
  maxAgents: 100_000,
} as const;

/** Length of an `if:` expression in characters, and its nesting depth (parentheses, `not`). */
export const CONDITION_LIMITS = {
  maxLength: 4096,
  maxDepth: 64,
} as const;
