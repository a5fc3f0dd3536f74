import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata, status } from "@grpc/grpc-js";
import {
  defaultConfig,
  checkExperimentSafety,
  compileAllowList,
  compileConfig,
  fromServiceError,
  grpcStatusOf,
  parseTokens,
  tokenAuthenticator,
  toStatusObject,
} from "../../../coordinator/index.js";
import type { Limits } from "../../../coordinator/index.js";
import {
  CancelledError,
  ConfigurationError,
  ErrorCode,
  InternalError,
  TargetError,
  TransportError,
  ValidationError,
  isAssayError,
  parseExperimentText,
} from "../../../core/index.js";

const noLimits: Limits = { maxQps: undefined, maxConnections: undefined, maxDurationMs: undefined, maxRequests: undefined, maxRetries: undefined, maxTaskTimeoutMs: undefined };

function experiment(withBlock: string) {
  return parseExperimentText(`spec:\n  - task: http\n    with:\n${withBlock}`, "exp.yaml");
}

function refusal(fn: () => void): ValidationError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a refusal");
}

describe("allow-list", () => {
  const list = compileAllowList(["*.svc.cluster.local", "127.0.0.1", "10.0.0.0/8", "api.example.com", "::1"], "test");
  it("matches host patterns, exact names, addresses and CIDRs", () => {
    assert.equal(list.allows("web.prod.svc.cluster.local"), true);
    assert.equal(list.allows("svc.cluster.local"), false);
    assert.equal(list.allows("evil-svc.cluster.local.attacker.com"), false);
    assert.equal(list.allows("API.example.com"), true);
    assert.equal(list.allows("www.example.com"), false);
    assert.equal(list.allows("127.0.0.1"), true);
    assert.equal(list.allows("127.0.0.2"), false);
    assert.equal(list.allows("10.200.3.4"), true);
    assert.equal(list.allows("11.0.0.1"), false);
    assert.equal(list.allows("[::1]"), true);
  });
  it("rejects patterns that are neither", () => {
    assert.throws(() => compileAllowList(["10.0.0.0/99"], "cfg"), /not a valid CIDR/);
    assert.throws(() => compileAllowList(["http://x"], "cfg"), /neither a host pattern nor a CIDR/);
  });
});

describe("checkExperimentSafety", () => {
  const loopback = compileAllowList(["127.0.0.1"], "test");
  it("refuses a target off the allow-list, naming the field", () => {
    const exp = experiment("      versions:\n        - name: a\n          url: http://127.0.0.1:1/\n        - name: b\n          url: http://10.1.2.3/\n      numRequests: 10\n");
    const error = refusal(() => checkExperimentSafety(exp, loopback, noLimits));
    assert.equal(error.code, ErrorCode.TargetNotAllowed);
    assert.equal(error.field, "spec[0].with.versions[1].url");
    assert.match(error.message, /10\.1\.2\.3/);
  });
  it("refuses qps over maxQps counting every version, naming the field and the limit", () => {
    const exp = experiment("      versions:\n        - name: a\n          url: http://127.0.0.1:1/\n        - name: b\n          url: http://127.0.0.1:1/\n      qps: 60\n      duration: 1s\n");
    const error = refusal(() => checkExperimentSafety(exp, loopback, { ...noLimits, maxQps: 100 }));
    assert.equal(error.code, ErrorCode.LimitExceeded);
    assert.equal(error.field, "spec[0].with.qps");
    assert.match(error.message, /120 qps/);
    assert.match(error.message, /maxQps 100/);
    checkExperimentSafety(exp, loopback, { ...noLimits, maxQps: 120 });
  });
  it("refuses connections, requests and duration beyond the limits", () => {
    const exp = experiment("      url: http://127.0.0.1:1/\n      qps: 10\n      duration: 2m\n      connections: 8\n");
    assert.equal(refusal(() => checkExperimentSafety(exp, loopback, { ...noLimits, maxConnections: 4 })).field, "spec[0].with.connections");
    const long = refusal(() => checkExperimentSafety(exp, loopback, { ...noLimits, maxDurationMs: 60_000 }));
    assert.equal(long.field, "spec[0].with.duration");
    assert.match(long.message, /maxDuration 1m/);
    const many = experiment("      url: http://127.0.0.1:1/\n      numRequests: 5000\n");
    assert.equal(refusal(() => checkExperimentSafety(many, loopback, { ...noLimits, maxRequests: 1000 })).field, "spec[0].with.numRequests");
  });
});

describe("config and tokens", () => {
  it("compiles limits with durations and rejects unknown settings", () => {
    const config = compileConfig({ allowedTargets: ["*"], limits: { maxQps: 5, maxDuration: "90s" }, concurrency: 2 }, "cfg.yaml", "/tmp");
    assert.equal(config.limits.maxDurationMs, 90_000);
    assert.equal(config.concurrency, 2);
    assert.equal(config.allowList.allows("anything.example"), true);
    assert.throws(() => compileConfig({ limits: { maxQPS: 5 } }, "cfg.yaml", "/tmp"), /limits\.maxQPS is not a known setting/);
  });
  it("defaults to loopback targets only", () => {
    const config = compileConfig({}, "cfg.yaml", "/tmp");
    assert.equal(config.allowList.allows("127.0.0.1"), true);
    assert.equal(config.allowList.allows("example.com"), false);
  });
  it("authorizes by role and refuses missing, bad and under-privileged tokens", () => {
    const auth = tokenAuthenticator(parseTokens({ tokens: { "operator-token-1": "operator", "viewer-token-1": "viewer" } }, "t.yaml"));
    const md = (token?: string): Metadata => {
      const m = new Metadata();
      if (token) m.set("authorization", `Bearer ${token}`);
      return m;
    };
    assert.equal(auth.authorize(md("operator-token-1"), "Submit").role, "operator");
    assert.equal(auth.authorize(md("viewer-token-1"), "Watch").role, "viewer");
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        assert.ok(isAssayError(error));
        return error.code;
      }
      return "none";
    };
    assert.equal(code(() => auth.authorize(md(), "List")), ErrorCode.Unauthenticated);
    assert.equal(code(() => auth.authorize(md("wrong-token-xx"), "List")), ErrorCode.Unauthenticated);
    assert.equal(code(() => auth.authorize(md("viewer-token-1"), "Cancel")), ErrorCode.PermissionDenied);
    assert.throws(() => parseTokens({ abcdefghij: "admin" }, "t.yaml"), /roles are viewer and operator/);
  });
});

describe("gRPC status mapping", () => {
  it("maps every error kind and the API codes to one status each", () => {
    assert.equal(grpcStatusOf(new ValidationError(ErrorCode.WrongType, "x")), status.INVALID_ARGUMENT);
    assert.equal(grpcStatusOf(new ConfigurationError(ErrorCode.NoAgents, "x")), status.FAILED_PRECONDITION);
    assert.equal(grpcStatusOf(new TransportError(ErrorCode.LinkClosed, "x")), status.UNAVAILABLE);
    assert.equal(grpcStatusOf(new TargetError(ErrorCode.TargetUnreachable, "x")), status.ABORTED);
    assert.equal(grpcStatusOf(new CancelledError(ErrorCode.Interrupted, "x")), status.CANCELLED);
    assert.equal(grpcStatusOf(new InternalError(ErrorCode.Invariant, "x")), status.INTERNAL);
    assert.equal(grpcStatusOf(new ValidationError(ErrorCode.NotFound, "x")), status.NOT_FOUND);
    assert.equal(grpcStatusOf(new ConfigurationError(ErrorCode.Unauthenticated, "x")), status.UNAUTHENTICATED);
    assert.equal(grpcStatusOf(new ConfigurationError(ErrorCode.PermissionDenied, "x")), status.PERMISSION_DENIED);
  });
  it("round-trips code and field through metadata", () => {
    const sent = toStatusObject(new ValidationError(ErrorCode.LimitExceeded, "too fast", { field: "spec[0].with.qps" }));
    const received = Object.assign(new Error(sent.details), { code: sent.code, details: sent.details, metadata: sent.metadata });
    const error = fromServiceError(received as never, "127.0.0.1:1");
    assert.ok(error instanceof ValidationError);
    assert.equal(error.code, ErrorCode.LimitExceeded);
    assert.equal(error.field, "spec[0].with.qps");
  });
});

describe("service config: secrets, templateLimits, new limits", () => {
  it("compiles named sources, template limits and caps; refuses malformed ones naming the key", () => {
    const config = compileConfig(
      { secrets: { hook: { env: "HOOK" }, gh: { file: "gh.token" } }, templateLimits: { maxSteps: 10, maxTime: "1s" }, limits: { maxRetries: 2, maxTaskTimeout: "30s" } },
      "cfg.yaml",
      "/etc/assay",
    );
    assert.deepEqual(config.secretSources.get("hook"), { env: "HOOK" });
    assert.deepEqual(config.secretSources.get("gh"), { file: "/etc/assay/gh.token" });
    assert.equal(config.templateLimits.maxSteps, 10);
    assert.equal(config.templateLimits.timeoutMs, 1000);
    assert.equal(config.templateLimits.maxOutputBytes, 1024 * 1024);
    assert.equal(config.limits.maxRetries, 2);
    assert.equal(config.limits.maxTaskTimeoutMs, 30_000);
    assert.throws(() => compileConfig({ secrets: { hook: { env: "A", file: "b" } } }, "cfg.yaml", "/"), /cfg\.yaml: secrets\.hook needs exactly one of env/);
    assert.throws(() => compileConfig({ templateLimits: { maxSteps: 0 } }, "cfg.yaml", "/"), /templateLimits\.maxSteps/);
    assert.throws(() => compileConfig({ templateLimits: { steps: 1 } }, "cfg.yaml", "/"), /templateLimits\.steps is not a known setting/);
    assert.equal(defaultConfigSources(), 0);
  });
});

function defaultConfigSources(): number {
  return defaultConfig().secretSources.size;
}
