/**
 * Headless Chromium for the dashboard tests, driven by playwright-core (no browser download:
 * Debian's /usr/bin/chromium, or $ASSAY_CHROMIUM), with a fresh profile per launch. Pages record
 * their console errors (CSP violations land there) and every URL they request.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { makeTempDir, waitUntil } from "../../harness/index.js";
import { REPO_ROOT } from "../cli/cli.js";

export const CHROMIUM = process.env["ASSAY_CHROMIUM"] ?? "/usr/bin/chromium";

/** Where screenshots go (printed by the tests): dist/test-output/dashboard. */
export const SCREENSHOT_DIR = join(REPO_ROOT, "dist", "test-output", "dashboard");

export interface Browser {
  readonly context: BrowserContext;
  /** A page of the given size that records console errors and requested URLs. */
  page(width: number, height: number): Promise<TrackedPage>;
  close(): Promise<void>;
}

export interface TrackedPage {
  readonly page: Page;
  readonly errors: string[];
  readonly urls: string[];
}

export async function launchBrowser(): Promise<Browser> {
  const profile = await makeTempDir("chromium-profile");
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async page(width, height) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      const errors: string[] = [];
      const urls: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("request", (request) => urls.push(request.url()));
      return { page, errors, urls };
    },
    close: () => context.close(),
  };
}

/**
 * Polls a page-side expression until it is truthy (no fixed sleeps). Evaluated through the
 * DevTools protocol from here: page.waitForFunction would eval() inside the page, which the
 * dashboard's CSP rightly forbids.
 */
export async function waitForPage(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(async () => Boolean(await page.evaluate(expression)), { timeoutMs, intervalMs: 100, what: `page: ${expression}` });
}

/** True when nothing is wider than the viewport (no horizontal scrolling of the page). */
export async function noHorizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate("({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })");
}

/** The versions table as the page shows it: version -> metric -> {value, text}. */
export async function versionsTable(page: Page): Promise<Record<string, Record<string, { value: string; text: string }>>> {
  // Page-side code as text: the test project's TypeScript has no DOM library.
  return page.evaluate(`(() => {
    const out = {};
    for (const cell of document.querySelectorAll("#versions-table td[data-metric]")) {
      const version = cell.dataset.version;
      (out[version] ??= {})[cell.dataset.metric] = { value: cell.dataset.value, text: cell.textContent };
    }
    return out;
  })()`);
}

/** The SLO matrix: "metric|version" -> satisfied. */
export async function sloMatrix(page: Page): Promise<Record<string, boolean>> {
  return page.evaluate(`(() => {
    const out = {};
    for (const cell of document.querySelectorAll("#slo-matrix td[data-metric]")) out[cell.dataset.metric + "|" + cell.dataset.version] = cell.dataset.satisfied === "true";
    return out;
  })()`);
}
