/** The allow-list of outbound connections (patterns → AllowList) and its connect-time guard. */
export { compileAllowList, isProtectedAddress, bareAddress, PROTECTED_RANGES } from "./allow-list.js";
export type { AllowList } from "./allow-list.js";
export { createEgressGuard, findTargetNotAllowed, TargetNotAllowedError } from "./egress.js";
export type { EgressGuard, ResolveAll } from "./egress.js";
