/**
 * The dashboard page's entry (bundled by scripts/build-ui.mjs into dist/ui/dashboard.js). Served
 * mode: asks the server who is signed in, shows the sign-in form when a token is needed, else the
 * experiments list (/) or one experiment (/experiments/ID). Static mode (`assay report -o html`):
 * draws the experiment embedded in the file.
 */
import type { DashboardStaticData } from "../core/index.js";
import * as server from "./api.js";
import { h, replace } from "./dom.js";
import { ExperimentPage } from "./experiment.js";
import { showList } from "./list.js";

function shell(app: HTMLElement, signedIn: { name?: string | undefined; auth: boolean } | undefined, staticReport: boolean): HTMLElement {
  const main = h("main", { id: "main", tabindex: "-1" });
  const nav = h("nav", { "aria-label": "Main" }, staticReport ? h("span", { class: "muted" }, "static report") : h("a", { href: "/" }, "Experiments"));
  const who = h("div", { class: "who" });
  if (signedIn?.auth && signedIn.name) {
    const button = h("button", { type: "button", id: "sign-out" }, "Sign out");
    button.addEventListener("click", () => void server.signOut().then(() => window.location.assign("/")));
    who.append(h("span", { class: "muted" }, `Signed in as ${signedIn.name} `), button);
  }
  replace(
    app,
    h("a", { class: "skip", href: "#main" }, "Skip to content"),
    h("header", { class: "top" }, h("span", { class: "brand" }, "Assay"), nav, who),
    main,
  );
  return main;
}

function showSignIn(app: HTMLElement, message?: string): void {
  const main = shell(app, undefined, false);
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "current-password", required: true, spellcheck: "false" });
  const error = h("p", { id: "sign-in-error", class: "bad", role: "alert" }, message ?? "");
  const form = h(
    "form",
    { id: "sign-in", class: "sign-in", method: "post", action: "/api/session" },
    h("h1", {}, "Sign in"),
    h("p", {}, "Paste a viewer token from the coordinator's tokens file. It is exchanged for a session cookie and not stored by this page."),
    h("label", { for: "token" }, "Token"),
    input,
    h("button", { type: "submit" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    error.textContent = "";
    server.signIn(input.value).then(
      () => window.location.reload(),
      (e: unknown) => {
        input.value = "";
        error.textContent = (e as Error).message;
        input.focus();
      },
    );
  });
  replace(main, form);
  input.focus();
}

async function start(): Promise<void> {
  const app = document.getElementById("app");
  if (!app) return;
  if (app.dataset["mode"] === "static") {
    const text = document.getElementById("assay-data")?.textContent ?? "{}";
    const data = JSON.parse(text) as DashboardStaticData;
    const main = shell(app, undefined, true);
    new ExperimentPage(main, data.experiment.summary.id ?? "", { data: data.experiment, generatedAt: data.generatedAt, onUnauthorized: () => undefined });
    return;
  }
  const session = await server.session();
  if (session.auth && !session.signedIn) return showSignIn(app);
  const onUnauthorized = (): void => showSignIn(app, "Your session ended; sign in again.");
  const main = shell(app, session, false);
  const match = /^\/experiments\/([^/]+)$/.exec(window.location.pathname);
  if (match?.[1]) {
    new ExperimentPage(main, decodeURIComponent(match[1]), { onUnauthorized });
    return;
  }
  if (session.mode === "run") {
    const only = (await server.experiments()).experiments[0];
    if (only?.id) {
      window.location.replace(`/experiments/${encodeURIComponent(only.id)}`);
      return;
    }
  }
  showList(main, onUnauthorized);
}

void start().catch((error: unknown) => {
  const app = document.getElementById("app");
  if (app) replace(app, h("p", { class: "bad", role: "alert" }, `The dashboard could not start: ${(error as Error).message}`));
});
