/**
 * The live web dashboard (issue 18): its server, data sources and static-report page. Imported by
 * coordinator/index.ts only.
 */
export { startDashboardServer, DEFAULT_UI_LISTEN } from "./server.js";
export type { DashboardServer, DashboardServerOptions } from "./server.js";
export { managerSource } from "./source.js";
export type { DashboardSource } from "./source.js";
export { LocalRunFeed } from "./local.js";
export type { LocalRunFeedOptions } from "./local.js";
export { experimentView, distributionsOf, summaryFromResult } from "./view.js";
export { staticPageHtml, staticReportHtml, servedPageHtml, loadDashboardAssets, SERVED_CSP } from "./assets.js";
export type { DashboardAssets } from "./assets.js";
export { SessionStore, sessionCookie, sessionIdFrom } from "./session.js";
export { sseFrame, sseSink, END_FRAME } from "./sse.js";
