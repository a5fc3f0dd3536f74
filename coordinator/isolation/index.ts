/**
 * Work on a submitted experiment that the service runs off its event loop, within a budget: its
 * parse (parse.ts) and its run-time templates (render.ts), each in a worker thread (thread.ts).
 */
export { IsolatedParser, DEFAULT_ISOLATED_PARSE_LIMITS } from "./parse.js";
export type { IsolatedParseLimits } from "./parse.js";
export { IsolatedTemplates, DEFAULT_ISOLATED_TEMPLATE_LIMITS } from "./render.js";
export type { IsolatedTemplateLimits } from "./render.js";
