/**
 * The experiments list: state, progress, start time, who submitted, with filters; refreshed every
 * two seconds while open.
 */
import type { api } from "../core/index.js";
import * as server from "./api.js";
import { fmtTime, h, replace } from "./dom.js";
import { stateName } from "./model.js";

const STATES = ["all", "queued", "running", "completed", "failed", "cancelled"] as const;
const REFRESH_MS = 2000;

export function showList(main: HTMLElement, onUnauthorized: () => void): void {
  const stateFilter = h("select", { id: "filter-state", name: "state" }, STATES.map((s) => h("option", { value: s }, s)));
  const textFilter = h("input", { id: "filter-text", name: "q", type: "search", placeholder: "name, id or submitter", autocomplete: "off" });
  const count = h("p", { class: "muted", id: "list-count", "aria-live": "polite" });
  const body = h("tbody");
  const table = h(
    "table",
    { class: "list", id: "experiments" },
    h("caption", { class: "visually-hidden" }, "Experiments, newest first"),
    h("thead", {}, h("tr", {}, ["Experiment", "State", "Progress", "Started", "Submitted by", "ID"].map((t) => h("th", { scope: "col" }, t)))),
    body,
  );
  replace(
    main,
    h("h1", {}, "Experiments"),
    h(
      "form",
      { class: "filters", role: "search", "aria-label": "Filter experiments" },
      h("label", { for: "filter-state" }, "State"),
      stateFilter,
      h("label", { for: "filter-text" }, "Search"),
      textFilter,
    ),
    count,
    h("div", { class: "scroll" }, table),
  );
  let all: api.ExperimentSummary[] = [];
  const draw = (): void => {
    const wanted = stateFilter.value;
    const text = textFilter.value.trim().toLowerCase();
    const shown = all.filter((e) => (wanted === "all" || stateName(e.state) === wanted) && (!text || [e.name, e.id, e.submittedBy].some((f) => String(f ?? "").toLowerCase().includes(text))));
    count.textContent = `${shown.length} of ${all.length} experiments`;
    replace(body, shown.map(row));
  };
  stateFilter.addEventListener("change", draw);
  textFilter.addEventListener("input", draw);
  main.querySelector("form")?.addEventListener("submit", (event) => event.preventDefault());
  const refresh = async (): Promise<void> => {
    try {
      all = (await server.experiments()).experiments;
      draw();
    } catch (error) {
      if (error instanceof server.Unauthorized) {
        clearInterval(timer);
        onUnauthorized();
      } else {
        count.textContent = `cannot load the experiments: ${(error as Error).message}`;
      }
    }
  };
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  void refresh();
}

function row(e: api.ExperimentSummary): HTMLTableRowElement {
  const state = stateName(e.state);
  const total = Number(e.numTasks ?? 0);
  const done = Number(e.numCompletedTasks ?? 0);
  return h(
    "tr",
    {},
    h("td", {}, h("a", { href: `/experiments/${encodeURIComponent(e.id ?? "")}` }, e.name || e.id || "")),
    h("td", {}, h("span", { class: `badge state-${state}` }, state), e.queuePosition ? ` #${e.queuePosition}` : ""),
    h("td", {}, h("progress", { max: Math.max(total, 1), value: done, "aria-label": `${done} of ${total} tasks` }), ` ${done}/${total}`),
    h("td", {}, fmtTime(Number(e.startedAtMs ?? 0) || Number(e.submittedAtMs ?? 0))),
    h("td", {}, e.submittedBy ?? ""),
    h("td", {}, h("code", {}, e.id ?? "")),
  );
}
