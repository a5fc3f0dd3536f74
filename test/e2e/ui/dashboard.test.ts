/**
 * The dashboard in a real browser (headless Chromium): a running two-version experiment on the
 * coordinator service (`--ui`, token auth), `assay run --ui`, and the static `report -o html`
 * page. Each checks the numbers the page shows against the JSON result of the same experiment,
 * waits for live updates by polling, and checks the sign-in flow, keyboard navigation and layouts
 * at 1280×800 and 390×844. Screenshots go to dist/test-output/dashboard/.
 */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { cleanupAll, makeTempDir, startHttpTarget, startProcess, waitUntil } from "../../harness/index.js";
import type { HttpTarget, ProcessHandle } from "../../harness/index.js";
import { ASSAY_BIN, REPO_ROOT, assay } from "../cli/cli.js";
import { startCoordinator, waitForState } from "../api/support.js";
import type { CoordinatorProcess } from "../api/support.js";
import { SCREENSHOT_DIR, launchBrowser, noHorizontalOverflow, sloMatrix, versionsTable, waitForPage } from "./browser.js";
import type { Browser, TrackedPage } from "./browser.js";

const VIEWER_TOKEN = "viewer-token-4f9c2a71";
const OPERATOR_TOKEN = "operator-token-8d13e5b0";

interface Result {
  versions: string[];
  metrics: Record<string, Record<string, number>>;
  slos: { metric: string; satisfied: Record<string, boolean> }[];
  assessment?: { winner?: string | null };
}

/** v1 answers 200; v2 answers 500 to every 4th of its requests. */
function targetHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  let v2 = 0;
  return (req, res) => {
    const failing = req.url?.startsWith("/v2") === true && ++v2 % 4 === 0;
    res.writeHead(failing ? 500 : 200, { "content-type": "text/plain" });
    res.end(failing ? "no" : "ok");
  };
}

function experimentYaml(url: string, duration: string): string {
  return `name: checkout-ab
spec:
  - task: http
    with:
      versions:
        - name: v1
          url: ${url}v1
        - name: v2
          url: ${url}v2
      duration: ${duration}
      qps: 20
      connections: 2
  - task: assess
    with:
      SLOs:
        upper:
          - metric: http/error-rate
            limit: 0.1
          - metric: http/latency-p95
            limit: 60000
      rewards:
        min: [http/error-rate]
`;
}

/** The page's numbers equal the result document's (values exactly, texts to their shown precision). */
async function assertNumbersMatch(page: Page, result: Result): Promise<void> {
  const table = await versionsTable(page);
  assert.deepEqual(Object.keys(table).sort(), [...result.versions].sort());
  for (const version of result.versions) {
    const shown = table[version] ?? {};
    const metrics = result.metrics[version] ?? {};
    const pairs: [string, string][] = [["requests", "http/request-count"], ["errors", "http/error-count"], ["error-rate", "http/error-rate"], ["p95", "http/latency-p95"]];
    for (const [column, metric] of pairs) {
      const expected = metrics[metric];
      assert.equal(typeof expected, "number", `${version} ${metric} in the result`);
      assert.equal(Number(shown[column]?.value), expected, `${version} ${column}: data-value vs ${metric}`);
    }
    assert.equal(shown["requests"]?.text.replace(/,/g, ""), String(metrics["http/request-count"]), `${version} requests as shown`);
    const near = (text: string | undefined, expected: number, what: string): void => {
      const number = Number.parseFloat((text ?? "").replace(/,/g, ""));
      assert.ok(Math.abs(number - expected) <= Math.max(1e-9, Math.abs(expected) * 0.006), `${version} ${what}: shown "${text ?? ""}", result ${expected}`);
    };
    near(shown["p95"]?.text, metrics["http/latency-p95"] ?? Number.NaN, "p95");
    near(shown["error-rate"]?.text, (metrics["http/error-rate"] ?? Number.NaN) * 100, "error rate (%)");
  }
  const matrix = await sloMatrix(page);
  for (const slo of result.slos) {
    for (const version of result.versions) assert.equal(matrix[`${slo.metric}|${version}`], slo.satisfied[version], `SLO ${slo.metric} for ${version}`);
  }
  const winner = await page.getAttribute("#winner", "data-value");
  assert.equal(winner, result.assessment?.winner ?? "");
}

async function assertNoOverflow(page: Page, what: string): Promise<void> {
  const { scrollWidth, innerWidth } = await noHorizontalOverflow(page);
  assert.ok(scrollWidth <= innerWidth, `${what}: document is ${scrollWidth}px wide in a ${innerWidth}px viewport`);
}

/** The whole page (`full`) or what the viewport shows. */
async function screenshot(page: Page, name: string, full = true): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: full });
}

/** Live: the total of the requests cells grows while the page stays loaded. */
async function waitForLiveGrowth(page: Page): Promise<void> {
  const total = (): Promise<number> =>
    page.evaluate(`[...document.querySelectorAll('#versions-table td[data-metric="requests"]')].reduce((sum, c) => sum + Number(c.dataset.value || 0), 0)`);
  let first = 0;
  await waitUntil(async () => (first = await total()) > 0, { timeoutMs: 30_000, intervalMs: 100, what: "the first live numbers" });
  await waitUntil(async () => (await total()) > first, { timeoutMs: 30_000, intervalMs: 100, what: "the live numbers to grow without a reload" });
}

// Shared by the suites below; set up once by the outer describe.
let browser: Browser;
let target: HttpTarget;
let dir: string;

describe("dashboard in a browser", { timeout: 240_000 }, () => {
  before(async () => {
    console.log(`screenshots: ${SCREENSHOT_DIR}`);
    dir = await makeTempDir("dashboard-e2e");
    target = await startHttpTarget({ handler: targetHandler() });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await cleanupAll();
  });

  describe("coordinator --ui with token auth", coordinatorUiSuite);
  describe("assay run --ui, and the static report", localRunSuite);
});

function coordinatorUiSuite(): void {
  let coordinator: CoordinatorProcess;
  let url: string;

  before(async () => {
    const tokens = join(dir, "tokens.yaml");
    await writeFile(tokens, `tokens:\n  "${VIEWER_TOKEN}": {role: viewer, name: dana}\n  "${OPERATOR_TOKEN}": {role: operator, name: alice}\n`);
    coordinator = await startCoordinator(["--tokens", tokens, "--ui", "127.0.0.1:0"]);
    url = /dashboard at (\S+)/.exec(coordinator.handle.stdout())?.[1] ?? "";
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  after(async () => {
    await coordinator?.stop();
  });

  it("refuses the API and the stream without a session, and sign-in without the CSRF header", async () => {
    assert.equal((await fetch(`${url}api/experiments`)).status, 401);
    assert.equal((await fetch(`${url}api/experiments/x-000000/events`)).status, 401);
    const noHeader = await fetch(`${url}api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: VIEWER_TOKEN }) });
    assert.equal(noHeader.status, 403);
    assert.equal(noHeader.headers.get("set-cookie"), null);
    const crossSite = await fetch(`${url}api/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-assay-dashboard": "1", origin: "http://evil.example" },
      body: JSON.stringify({ token: VIEWER_TOKEN }),
    });
    assert.equal(crossSite.status, 403);
    const page = await fetch(url);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.doesNotMatch(await page.text(), /<script>|\son\w+=/, "no inline script in the page");
  });

  it("shows a running experiment live after sign-in and ends on the numbers of `assay get -o json`", async () => {
    const tracked: TrackedPage = await browser.page(1280, 800);
    const { page } = tracked;
    await page.goto(url);
    await page.waitForSelector("#sign-in");
    await screenshot(page, "sign-in", false);
    assert.equal((await browser.context.cookies()).length, 0);

    await page.fill("#token", "not-a-valid-token-123");
    await page.click("#sign-in button[type=submit]");
    await waitForPage(page, `document.querySelector("#sign-in-error")?.textContent.includes("not valid")`);
    assert.equal((await browser.context.cookies()).length, 0, "a bad token gets no cookie");

    await page.fill("#token", VIEWER_TOKEN);
    await page.press("#token", "Enter");
    await page.waitForSelector("#experiments");
    const cookies = await browser.context.cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0]?.httpOnly, true);
    assert.equal(cookies[0]?.sameSite, "Strict");

    // Submitted once the page is up: the list picks it up by itself, and its link leads to it live.
    const client = await coordinator.client({ token: OPERATOR_TOKEN });
    const { experiment } = await client.submit({ experimentYaml: experimentYaml(target.url, "12s"), sourceName: "checkout-ab.yaml", overrides: [] });
    const id = experiment?.id ?? "";
    assert.equal(experiment?.submittedBy, "alice");
    await page.click(`#experiments a[href="/experiments/${id}"]`);
    await page.waitForSelector("#versions");
    await waitForPage(page, `document.body.dataset.connection === "live"`);
    await waitForLiveGrowth(page);
    await waitForPage(page, `document.querySelectorAll("#timeseries .plot canvas").length > 0`);
    await screenshot(page, "experiment-live-1280", false);

    await waitForState(client, id, ["EXPERIMENT_STATE_COMPLETED"], 60_000);
    await waitForPage(page, `document.body.dataset.state === "completed" && document.querySelector("#versions-source")?.textContent.includes("result") && document.querySelector("#winner") !== null`);
    const got = await assay(["get", id, "-o", "json", "--coordinator", coordinator.address, "--token", VIEWER_TOKEN]);
    assert.equal(got.code, 0, got.stderr);
    const result = (JSON.parse(got.stdout) as { result: Result }).result;
    assert.equal(result.assessment?.winner, "v1", "the fixture's v1 should win (no errors)");
    await assertNumbersMatch(page, result);
    assert.match(await page.textContent("#summary") ?? "", /alice/, "submitted by the token's name");
    await assertNoOverflow(page, "experiment at 1280×800");
    await screenshot(page, "experiment-finished-1280");
    await page.locator("#slos").screenshot({ path: join(SCREENSHOT_DIR, "slos-1280.png") });
    await page.locator("#rewards").screenshot({ path: join(SCREENSHOT_DIR, "rewards-1280.png") });

    for (const requested of tracked.urls) assert.ok(!requested.includes(VIEWER_TOKEN) && !requested.includes(OPERATOR_TOKEN), `a token in a URL: ${requested}`);
    assert.ok(!(await page.content()).includes(VIEWER_TOKEN), "the token is not in the page");
    // The refused sign-in answered 401, which Chromium logs; anything else is a failure.
    const unexpected = tracked.errors.filter((e) => !/status of 401/.test(e));
    assert.deepEqual(unexpected, [], "no console errors (CSP violations included)");

    const phone = await browser.page(390, 844);
    await phone.page.goto(`${url}experiments/${id}`);
    await waitForPage(phone.page, `document.body.dataset.state === "completed" && document.querySelector("#winner") !== null`);
    await assertNumbersMatch(phone.page, result);
    await assertNoOverflow(phone.page, "experiment at 390×844");
    await screenshot(phone.page, "experiment-390");
    await phone.page.goto(url);
    await phone.page.waitForSelector("#experiments tbody tr");
    await assertNoOverflow(phone.page, "list at 390×844");
    await phone.page.close();
    await page.close();
  });

  it("lists experiments with filters and reaches every control with the keyboard, focus visible", async () => {
    const { page, errors } = await browser.page(1280, 800);
    await page.goto(url);
    await page.waitForSelector("#experiments tbody tr a");
    assert.match(await page.textContent("#experiments tbody") ?? "", /alice/);
    await page.selectOption("#filter-state", "failed");
    await waitForPage(page, `document.querySelectorAll("#experiments tbody tr").length === 0`);
    await page.selectOption("#filter-state", "all");
    await page.waitForSelector("#experiments tbody tr a");
    await assertNoOverflow(page, "list at 1280×800");
    await screenshot(page, "list-1280", false);

    const wanted = ["a.skip", "nav a", "#sign-out", "#filter-state", "#filter-text", "#experiments a"];
    const reached = new Set<string>();
    await page.focus("body");
    for (let i = 0; i < 12 && reached.size < wanted.length; i++) {
      await page.keyboard.press("Tab");
      const focused: { match: string | null; outline: string } = await page.evaluate(`(() => {
        const selectors = ${JSON.stringify(wanted)};
        const active = document.activeElement;
        if (!active || active === document.body) return { match: null, outline: "none" };
        const match = selectors.find((s) => active.matches(s)) ?? null;
        const style = getComputedStyle(active);
        return { match, outline: style.outlineStyle + " " + style.outlineWidth };
      })()`);
      if (focused.match) {
        reached.add(focused.match);
        assert.notEqual(focused.outline.split(" ")[0], "none", `focus on ${focused.match} is visible`);
      }
    }
    assert.deepEqual([...reached].sort(), [...wanted].sort(), "tab order reaches every control");
    assert.deepEqual(errors, []);
    await page.close();
  });
}

function localRunSuite(): void {
  let run: ProcessHandle | undefined;

  after(async () => {
    await run?.stop("SIGKILL", 5000);
  });

  it("serves the local run live and ends on the run's JSON result; report -o html shows the same from file://", async () => {
    const file = join(dir, "local.yaml");
    const out = join(dir, "local-result.json");
    await writeFile(file, experimentYaml(target.url, "8s"));
    run = await startProcess(
      process.execPath,
      [ASSAY_BIN, "run", file, "--ui", "127.0.0.1:0", "-o", "json", "--out", out, "--agents", "2", "--report-interval", "250", "--no-progress"],
      { cwd: REPO_ROOT, env: { ...process.env, ASSAY_LOG_LEVEL: "warn" }, name: "assay run --ui" },
    );
    const handle = run;
    await waitUntil(() => /dashboard: (\S+)/.test(handle.stderr()), { timeoutMs: 30_000, what: "the dashboard URL on stderr" });
    const pageUrl = /dashboard: (\S+)/.exec(handle.stderr())?.[1] ?? "";
    assert.match(pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/experiments\/run-/);

    const { page, errors } = await browser.page(1280, 800);
    await page.goto(pageUrl);
    await waitForPage(page, `document.body.dataset.connection === "live" || document.body.dataset.connection === "ended"`);
    await waitForLiveGrowth(page);
    await screenshot(page, "run-ui-live-1280");
    await waitForPage(page, `document.body.dataset.state === "completed" && document.querySelector("#versions-source")?.textContent.includes("result") && document.querySelector("#winner") !== null`, 60_000);
    await waitUntil(() => handle.stdout().trim().endsWith("}"), { timeoutMs: 30_000, what: "the JSON result on stdout" });
    const result = JSON.parse(handle.stdout()) as Result;
    await assertNumbersMatch(page, result);
    assert.deepEqual(errors, []);
    await page.close();

    assert.equal(await handle.stop("SIGINT", 10_000), 0, "Ctrl-C closes the lingering dashboard; the run's exit code stays");
    run = undefined;

    const html = await assay(["report", out, "-o", "html"]);
    assert.equal(html.code, 0, html.stderr);
    const htmlFile = join(dir, "report.html");
    await writeFile(htmlFile, html.stdout);
    for (const [width, height] of [[1280, 800], [390, 844]] as const) {
      const tracked = await browser.page(width, height);
      await tracked.page.goto(pathToFileURL(htmlFile).href);
      await waitForPage(tracked.page, `document.querySelector("#winner") !== null && document.querySelectorAll("#timeseries .plot canvas").length > 0`);
      await assertNumbersMatch(tracked.page, JSON.parse(await readFile(out, "utf8")) as Result);
      await assertNoOverflow(tracked.page, `static report at ${width}×${height}`);
      assert.deepEqual(tracked.errors, [], "the static page runs under its own CSP without errors");
      assert.ok(tracked.urls.every((u) => u.startsWith("file:") || u.startsWith("data:")), `the static page fetched nothing: ${tracked.urls.join(", ")}`);
      await screenshot(tracked.page, `static-report-${width}`);
      await tracked.page.close();
    }
  });
}

