/**
 * The dashboard page: its bundled script and style (built from ui/ by scripts/build-ui.mjs into
 * dist/ui/), the HTML shell the server sends, and the single self-contained file of a static
 * report (script, style and data inline, locked down by a Content-Security-Policy with hashes).
 * Nothing is ever loaded from elsewhere: the page works on an air-gapped cluster.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigurationError, ErrorCode } from "../../../core/index.js";
import type { DashboardStaticData, ResultDocument } from "../../../core/index.js";
import { experimentView, summaryFromResult } from "./view.js";

export interface DashboardAssets {
  readonly script: string;
  readonly style: string;
  /** Strong validators for If-None-Match. */
  readonly scriptEtag: string;
  readonly styleEtag: string;
}

const SCRIPT = "dashboard.js";
const STYLE = "dashboard.css";

let cached: DashboardAssets | undefined;

/** The directory holding the built page: dist/ui, found above this module (sources or dist/). */
export function dashboardAssetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    for (const candidate of [join(dir, "ui"), join(dir, "dist", "ui")]) {
      if (existsSync(join(candidate, SCRIPT)) && existsSync(join(candidate, STYLE))) return candidate;
    }
    dir = dirname(dir);
  }
  throw new ConfigurationError(ErrorCode.FileNotFound, "the dashboard page is not built (dist/ui/dashboard.js is missing)", {
    suggestion: "run `npm run build`",
  });
}

export function loadDashboardAssets(): DashboardAssets {
  if (!cached) {
    const dir = dashboardAssetDir();
    const script = readFileSync(join(dir, SCRIPT), "utf8");
    const style = readFileSync(join(dir, STYLE), "utf8");
    const etag = (text: string): string => `"${createHash("sha256").update(text).digest("base64url").slice(0, 22)}"`;
    cached = { script, style, scriptEtag: etag(script), styleEtag: etag(style) };
  }
  return cached;
}

/** The policy of the served page: scripts, styles and connections from this origin only. */
export const SERVED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The HTML shell the server sends for every page route; it holds no data. */
export function servedPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Assay dashboard</title>
<link rel="stylesheet" href="/assets/${STYLE}">
</head>
<body>
<div id="app" data-mode="served"></div>
<script src="/assets/${SCRIPT}"></script>
</body>
</html>
`;
}

/**
 * One self-contained HTML file: the same page, its data embedded as JSON (never executed, `<`
 * escaped), script and style inline and allowed by their hashes only.
 */
export function staticPageHtml(data: DashboardStaticData, assets: DashboardAssets = loadDashboardAssets()): string {
  const script = assets.script.replace(/<\/(script)/gi, "<\\/$1");
  const style = assets.style.replace(/<\/(style)/gi, "<\\/$1");
  const hash = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
  const csp = `default-src 'none'; script-src ${hash(script)}; style-src ${hash(style)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const json = JSON.stringify(data).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
  const title = escapeHtml(`Assay report: ${data.experiment.summary.name ?? data.experiment.result?.name ?? ""}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${style}</style>
</head>
<body>
<div id="app" data-mode="static"></div>
<script type="application/json" id="assay-data">${json}</script>
<script>${script}</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** `assay report -o html`: the dashboard page of a stored result, as one file. */
export function staticReportHtml(result: ResultDocument, generatedAt = new Date()): string {
  return staticPageHtml({ experiment: experimentView(summaryFromResult(result), result), generatedAt: generatedAt.toISOString() });
}
