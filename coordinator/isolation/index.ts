/**
 * Work on a submitted experiment that the service runs off its event loop, within a budget.
 */
export { IsolatedParser, DEFAULT_ISOLATED_PARSE_LIMITS } from "./parse.js";
export type { IsolatedParseLimits } from "./parse.js";
