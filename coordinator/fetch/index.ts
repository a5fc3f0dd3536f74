/**
 * Run-time fetches: what an experiment names by URL and Iter8 downloads when the task runs.
 * `fetchRunTimeResource` is the one GET (timeout, size limit, redirects, an optional undici
 * dispatcher for an allow-list); `resolveRunTimeFetches` fills a task's spec before it runs.
 */
export { fetchRunTimeResource, fetchRunTimeText, RunTimeFetchError, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_FETCH_MAX_BYTES, MAX_REDIRECTS } from "./fetch.js";
export type { RunTimeFetchOptions } from "./fetch.js";
export { resolveRunTimeFetches } from "./resolve.js";
export type { FetchSettings } from "./resolve.js";
