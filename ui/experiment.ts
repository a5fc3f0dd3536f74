/**
 * One experiment: live while it runs (the watch stream over server-sent events), drawn from the
 * stored result once it is finished, and from embedded data in a static report. Sections: summary,
 * versions, time series, latency distribution, SLO matrix, rewards and winner, agents, loops,
 * tasks, event log.
 */
import type { DashboardExperiment, LatencyBucketCount, ResultDocument, api } from "../core/index.js";
import * as server from "./api.js";
import { Chart } from "./charts.js";
import type { SeriesSpec } from "./charts.js";
import { fmtClock, fmtCount, fmtDuration, fmtMs, fmtPercent, fmtRate, fmtSig, fmtTime, h, replace, versionColor } from "./dom.js";
import type { Child } from "./dom.js";
import { addPoint, pointFromMetrics, pointFromTimeline, stateName, TERMINAL_STATES, versionRows } from "./model.js";
import type { Point, PointValues } from "./model.js";

interface LogEntry {
  timeMs: number;
  kind: string;
  text: string;
}

type Connection = "static" | "connecting" | "live" | "reconnecting" | "ended" | "failed";

export interface ExperimentPageOptions {
  /** Embedded data (static report); otherwise fetched and followed live from the server. */
  readonly data?: DashboardExperiment;
  readonly generatedAt?: string;
  readonly onUnauthorized: () => void;
}

const REFETCH_DEBOUNCE_MS = 250;
/** An agent whose last report is older than this is shown as late. */
const LATE_AFTER_MS = 5000;

export class ExperimentPage {
  private experiment: DashboardExperiment | undefined;
  private tasks: api.TaskState[] = [];
  private latest: api.MetricsSnapshot | undefined;
  private points: Point[] = [];
  private readonly log: LogEntry[] = [];
  private readonly lost = new Map<string, string>();
  private knownAgents: api.AgentSummary[] = [];
  private connection: Connection;
  private source: EventSource | undefined;
  private refetchTimer: number | undefined;
  /** Why the experiment could not be loaded (shown in the summary). */
  private loadError = "";
  private drawPending = false;
  private readonly sections: Record<string, HTMLElement> = {};
  private readonly charts: Record<string, Chart> = {};

  constructor(
    private readonly main: HTMLElement,
    private readonly id: string,
    private readonly options: ExperimentPageOptions,
  ) {
    this.connection = options.data ? "static" : "connecting";
    this.layout();
    if (options.data) {
      this.accept(options.data);
    } else {
      void this.refetch();
      void server.agents().then(
        (reply) => {
          this.knownAgents = reply.agents;
          this.schedule();
        },
        () => undefined,
      );
      this.connect();
    }
  }

  // ------------------------------------------------------------------ data

  private accept(experiment: DashboardExperiment): void {
    this.experiment = experiment;
    const result = experiment.result;
    if (result) {
      if (this.tasks.length === 0) this.tasks = result.tasks.map((t) => ({ index: t.index, task: t.task, status: t.status }));
      for (const point of result.timeline ?? []) addPoint(this.points, pointFromTimeline(point));
    }
    this.schedule();
  }

  private async refetch(): Promise<void> {
    try {
      this.accept(await server.experiment(this.id));
      this.loadError = "";
    } catch (error) {
      if (error instanceof server.Unauthorized) return this.options.onUnauthorized();
      this.loadError = `Cannot load experiment ${this.id}: ${(error as Error).message}`;
      this.schedule();
    }
  }

  private refetchSoon(): void {
    window.clearTimeout(this.refetchTimer);
    this.refetchTimer = window.setTimeout(() => void this.refetch(), REFETCH_DEBOUNCE_MS);
  }

  private connect(): void {
    const source = new EventSource(server.eventsUrl(this.id));
    this.source = source;
    source.onopen = () => {
      this.connection = "live";
      this.schedule();
    };
    source.onmessage = (message: MessageEvent<string>) => this.onEvent(JSON.parse(message.data) as api.WatchEvent);
    source.addEventListener("end", () => {
      source.close();
      this.connection = "ended";
      this.refetchSoon();
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        this.connection = "failed";
        void server.session().then(
          (s) => (s.auth && !s.signedIn ? this.options.onUnauthorized() : undefined),
          () => undefined,
        );
      } else {
        this.connection = "reconnecting";
      }
      this.schedule();
    };
  }

  private onEvent(event: api.WatchEvent): void {
    const timeMs = Number(event.timeMs ?? Date.now());
    if (event.snapshot) {
      const snapshot = event.snapshot;
      if (snapshot.tasks) this.tasks = snapshot.tasks;
      if (snapshot.metrics) this.onMetrics(snapshot.metrics);
      if (snapshot.experiment && this.experiment) this.experiment = { ...this.experiment, summary: snapshot.experiment };
      if (snapshot.skipped) this.note("info", "the stream fell behind; continued from a fresh snapshot", timeMs);
    } else if (event.metrics) {
      this.onMetrics(event.metrics);
    } else if (event.stateChanged) {
      this.note("state", `experiment ${stateName(event.stateChanged.state)}`, timeMs);
      this.setState(stateName(event.stateChanged.state));
    } else if (event.taskStarted) {
      this.setTask(event.taskStarted.index, "running", event.taskStarted.task);
      this.note("task", `task ${Number(event.taskStarted.index ?? 0) + 1} (${event.taskStarted.task ?? ""}) started`, timeMs);
    } else if (event.taskFinished) {
      const f = event.taskFinished;
      this.setTask(f.index, f.status ?? "", f.task);
      this.note("task", `task ${Number(f.index ?? 0) + 1} (${f.task ?? ""}) ${f.status ?? ""}${f.error ? `: ${f.error}` : ""}`, timeMs);
      this.refetchSoon();
    } else if (event.agentJoined) {
      this.note("agent", `agent ${event.agentJoined.agent?.id ?? ""} joined`, timeMs);
    } else if (event.agentLost) {
      this.lost.set(event.agentLost.agentId ?? "", event.agentLost.reason ?? "");
      this.note("agent", `agent ${event.agentLost.agentId ?? ""} lost${event.agentLost.reason ? `: ${event.agentLost.reason}` : ""}`, timeMs);
    } else if (event.assessment) {
      const winner = event.assessment.winner;
      this.note("assessment", `assessment: ${(event.assessment.slos ?? []).length} SLOs, ${winner ? `winner ${winner}` : "no winner"}`, timeMs);
      this.refetchSoon();
    } else if (event.completed) {
      const summary = event.completed.experiment;
      this.note("state", `experiment ${stateName(summary?.state)}${summary?.failure ? `: ${summary.failure}` : ""}`, timeMs);
      if (summary && this.experiment) this.experiment = { ...this.experiment, summary };
      this.refetchSoon();
    }
    this.schedule();
  }

  private onMetrics(metrics: api.MetricsSnapshot): void {
    this.latest = metrics;
    addPoint(this.points, pointFromMetrics(metrics));
  }

  private setState(state: string): void {
    if (!this.experiment) return;
    const summary: api.ExperimentSummary = { ...this.experiment.summary, state: `EXPERIMENT_STATE_${state.toUpperCase()}` as api.ExperimentState };
    this.experiment = { ...this.experiment, summary };
  }

  private setTask(index: number | undefined, status: string, task: string | undefined): void {
    const i = Number(index ?? 0);
    const existing = this.tasks.find((t) => t.index === i);
    if (existing) existing.status = status;
    else this.tasks.push({ index: i, task: task ?? "", status });
  }

  private note(kind: string, text: string, timeMs = Date.now()): void {
    this.log.push({ timeMs, kind, text });
    if (this.log.length > 500) this.log.shift();
  }

  // ------------------------------------------------------------------ layout

  private layout(): void {
    const section = (id: string, title: string | null, ...extra: Child[]): HTMLElement => {
      const element = h("section", { id, "aria-labelledby": title ? `${id}-title` : undefined }, title ? h("h2", { id: `${id}-title` }, title) : null, ...extra);
      this.sections[id] = element;
      return element;
    };
    const body = (id: string): HTMLElement => {
      const element = h("div", { class: "section-body" });
      this.sections[`${id}-body`] = element;
      return element;
    };
    this.charts["throughput"] = new Chart({ title: "Throughput", unit: "req/s", x: "seconds" });
    this.charts["errors"] = new Chart({ title: "Error rate", unit: "%", x: "seconds" });
    this.charts["latency"] = new Chart({ title: "Latency p50 / p95 / p99", unit: "ms", x: "seconds" });
    this.charts["service"] = new Chart({ title: "Service time p95 (open model)", unit: "ms", x: "seconds" });
    this.charts["dropped"] = new Chart({ title: "Dropped requests (open model)", unit: "req/s", x: "seconds" });
    this.charts["distribution"] = new Chart({ title: "Latency distribution", unit: "% of requests", x: "log-ms", stepped: true, height: 220 });
    const chartCells = ["throughput", "errors", "latency", "service", "dropped"].map((name) => this.charts[name]?.element ?? null);
    replace(
      this.main,
      section("summary", null, body("summary")),
      section("versions", "Versions", body("versions")),
      section("timeseries", "Over time", h("div", { class: "grid" }, chartCells), body("timeseries")),
      section("distribution", "Latency distribution", this.charts["distribution"]?.element ?? null),
      section("slos", "SLOs", body("slos")),
      section("rewards", "Rewards and winner", body("rewards")),
      section("agents", "Agents", body("agents")),
      section("loops", "Loops", body("loops")),
      section("tasks", "Tasks", body("tasks")),
      section("events", "Event log", body("events")),
    );
  }

  private schedule(): void {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.draw();
    });
  }

  private draw(): void {
    const result = this.experiment?.result ?? null;
    this.drawSummary();
    this.drawVersions();
    this.drawTimeSeries();
    this.drawDistribution();
    this.drawSlos(result);
    this.drawRewards(result);
    this.drawAgents(result);
    this.drawLoops(result);
    this.drawTasks(result);
    this.drawEvents(result);
    document.body.dataset["state"] = stateName(this.experiment?.summary.state);
    document.body.dataset["connection"] = this.connection;
  }

  private body(id: string): HTMLElement {
    const element = this.sections[`${id}-body`];
    if (!element) throw new Error(`no section ${id}`);
    return element;
  }

  private show(id: string, visible: boolean): void {
    const element = this.sections[id];
    if (element) element.hidden = !visible;
  }

  // ------------------------------------------------------------------ sections

  private drawSummary(): void {
    const summary = this.experiment?.summary;
    const result = this.experiment?.result ?? null;
    const state = stateName(summary?.state);
    const name = summary?.name || result?.name || this.id;
    document.title = `${name} · Assay`;
    const started = Number(summary?.startedAtMs ?? 0) || (result?.startTime ? Date.parse(result.startTime) : 0);
    const finished = Number(summary?.finishedAtMs ?? 0) || (result?.endTime ? Date.parse(result.endTime) : 0);
    const durationMs = started > 0 ? (finished > 0 ? finished : Date.now()) - started : undefined;
    const total = Number(summary?.numTasks ?? result?.tasks.length ?? 0);
    const done = Number(summary?.numCompletedTasks ?? result?.numCompletedTasks ?? 0);
    const status: Record<Connection, string> = {
      static: `static report${this.options.generatedAt ? `, written ${fmtTime(Date.parse(this.options.generatedAt))}` : ""}`,
      connecting: "connecting…",
      live: "live",
      reconnecting: "reconnecting…",
      ended: "finished",
      failed: "not connected",
    };
    const failure = this.loadError || summary?.failure || result?.failure || "";
    replace(
      this.body("summary"),
      h("div", { class: "title-row" }, h("h1", {}, name), h("span", { class: `badge state-${state}`, id: "state" }, state), h("span", { class: `live live-${this.connection}`, id: "live-status", role: "status" }, status[this.connection])),
      h(
        "dl",
        { class: "facts" },
        fact("Progress", [h("progress", { max: Math.max(1, total), value: done, "aria-label": `${done} of ${total} tasks` }), ` ${done} of ${total} tasks`]),
        fact("Started", fmtTime(started)),
        fact("Duration", fmtDuration(durationMs)),
        fact("Submitted by", summary?.submittedBy || "—"),
        fact("Source", h("code", {}, summary?.source || result?.source || "—")),
        this.id ? fact("ID", h("code", {}, this.id)) : null,
      ),
      failure ? h("p", { class: "failure", role: "alert" }, failure) : null,
    );
  }

  private drawVersions(): void {
    const rows = versionRows(this.experiment, this.latest, this.tasks);
    const showDropped = rows.some((r) => (r.dropped ?? 0) > 0);
    const source = rows[0]?.source === "live" ? "live, merged across agents" : "from the result document";
    const cell = (row: (typeof rows)[number], metric: string, value: number | null, text: string): HTMLTableCellElement =>
      h("td", { "data-version": row.version, "data-metric": metric, "data-value": value === null ? "" : String(value) }, text);
    replace(
      this.body("versions"),
      rows.length === 0
        ? h("p", { class: "muted" }, "No load measured yet.")
        : [
            h("p", { class: "muted", id: "versions-source" }, `Numbers ${source}.`),
            h(
              "div",
              { class: "scroll" },
              h(
                "table",
                { id: "versions-table" },
                h("thead", {}, h("tr", {}, ["Version", "Requests", "Errors", "Error rate", "Throughput", "p50", "p95", "p99", ...(showDropped ? ["Dropped"] : [])].map((t) => h("th", { scope: "col" }, t)))),
                h(
                  "tbody",
                  {},
                  rows.map((row, i) =>
                    h(
                      "tr",
                      { "data-version": row.version },
                      h("th", { scope: "row" }, h("span", { class: "dot", "data-color": versionColor(i) }), row.version),
                      cell(row, "requests", row.requests, fmtCount(row.requests)),
                      cell(row, "errors", row.errors, fmtCount(row.errors)),
                      cell(row, "error-rate", row.errorRate, fmtPercent(row.errorRate)),
                      cell(row, "throughput", row.throughputQps, fmtRate(row.throughputQps)),
                      cell(row, "p50", row.p50Ms, fmtMs(row.p50Ms)),
                      cell(row, "p95", row.p95Ms, fmtMs(row.p95Ms)),
                      cell(row, "p99", row.p99Ms, fmtMs(row.p99Ms)),
                      showDropped ? cell(row, "dropped", row.dropped, fmtCount(row.dropped)) : null,
                    ),
                  ),
                ),
              ),
            ),
          ],
    );
    paintDots(this.body("versions"));
  }

  /** Versions in a stable order: the result's, then as they appear in the live data. */
  private versionNames(): string[] {
    const names = [...(this.experiment?.result?.versions ?? [])];
    for (const point of this.points) for (const name of point.versions.keys()) if (!names.includes(name)) names.push(name);
    return names;
  }

  private drawTimeSeries(): void {
    const task = this.latest ? Number(this.latest.taskIndex ?? 0) : this.points.at(-1)?.task;
    const points = this.points.filter((p) => p.task === task);
    const versions = this.versionNames();
    this.show("timeseries", points.length > 0);
    this.body("timeseries").textContent = points.length > 1 ? "" : "The charts fill in as interval reports arrive.";
    if (points.length === 0) return;
    const xs = points.map((p) => p.elapsedS);
    const per = (pick: (v: PointValues) => number | null, scale = 1): (number | null)[][] =>
      versions.map((name) => points.map((p) => {
        const v = p.versions.get(name);
        const value = v ? pick(v) : null;
        return value === null ? null : value * scale;
      }));
    const simple = (suffix = ""): SeriesSpec[] => versions.map((name, i) => ({ label: `${name}${suffix}`, color: versionColor(i) }));
    this.charts["throughput"]?.setData(xs, simple(), per((v) => v.throughputQps));
    this.charts["errors"]?.setData(xs, simple(), per((v) => v.errorRate, 100));
    const latencySeries: SeriesSpec[] = [];
    const latencyData: (number | null)[][] = [];
    const dashes: Record<string, number[] | undefined> = { p50: [2, 4], p95: undefined, p99: [8, 4] };
    versions.forEach((name, i) => {
      for (const [label, pick] of [["p50", (v: PointValues) => v.p50Ms], ["p95", (v: PointValues) => v.p95Ms], ["p99", (v: PointValues) => v.p99Ms]] as const) {
        const dash = dashes[label];
        latencySeries.push({ label: `${name} ${label}`, color: versionColor(i), ...(dash ? { dash } : {}) });
        latencyData.push(points.map((p) => {
          const v = p.versions.get(name);
          return v ? pick(v) : null;
        }));
      }
    });
    this.charts["latency"]?.setData(xs, latencySeries, latencyData);
    const hasService = points.some((p) => [...p.versions.values()].some((v) => v.serviceP95Ms !== null));
    const hasDropped = points.some((p) => [...p.versions.values()].some((v) => v.droppedPerSecond > 0));
    const service = this.charts["service"];
    const dropped = this.charts["dropped"];
    if (service) service.element.hidden = !hasService;
    if (dropped) dropped.element.hidden = !hasDropped;
    if (hasService) service?.setData(xs, simple(" p95"), per((v) => v.serviceP95Ms));
    if (hasDropped) dropped?.setData(xs, simple(), per((v) => v.droppedPerSecond));
  }

  private drawDistribution(): void {
    const running = this.latest && this.tasks.find((t) => t.index === this.latest?.taskIndex)?.status === "running";
    const stored = this.experiment?.distributions ?? {};
    const byVersion = new Map<string, LatencyBucketCount[]>();
    if (!running && Object.keys(stored).length > 0) {
      for (const [name, buckets] of Object.entries(stored)) byVersion.set(name, buckets);
    } else {
      for (const v of this.latest?.versions ?? []) byVersion.set(v.version ?? "", (v.latencyBuckets ?? []).map((b) => ({ leMs: Number(b.leMs ?? 0), count: Number(b.count ?? 0) })));
    }
    const versions = this.versionNames().filter((name) => (byVersion.get(name) ?? []).length > 0);
    this.show("distribution", versions.length > 0);
    if (versions.length === 0) return;
    const bounds = [...new Set(versions.flatMap((name) => (byVersion.get(name) ?? []).map((b) => b.leMs)))].sort((a, b) => a - b);
    const data = versions.map((name) => {
      const buckets = byVersion.get(name) ?? [];
      const total = buckets.reduce((sum, b) => sum + b.count, 0);
      const at = new Map(buckets.map((b) => [b.leMs, b.count]));
      return bounds.map((bound) => (total > 0 ? ((at.get(bound) ?? 0) / total) * 100 : null));
    });
    this.charts["distribution"]?.setData(bounds, versions.map((name) => ({ label: name, color: versionColor(this.versionNames().indexOf(name)) })), data);
  }

  private drawSlos(result: ResultDocument | null): void {
    const versions = this.versionNames();
    const slos = result?.slos ?? [];
    this.show("slos", slos.length > 0);
    if (slos.length === 0) return;
    replace(
      this.body("slos"),
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { id: "slo-matrix" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "SLO"), versions.map((v) => h("th", { scope: "col" }, v)))),
          h(
            "tbody",
            {},
            slos.map((slo) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, h("code", {}, slo.metric), ` ${slo.direction === "upper" ? "≤" : "≥"} ${fmtSig(slo.limit, 6)}`),
                versions.map((version) => {
                  const ok = slo.satisfied[version] === true;
                  const value = slo.value[version] ?? null;
                  const probability = slo.probability?.[version] ?? null;
                  return h(
                    "td",
                    { class: ok ? "ok" : "bad", "data-version": version, "data-metric": slo.metric, "data-satisfied": String(ok), "data-value": value === null ? "" : String(value) },
                    h("span", { class: "verdict" }, ok ? "✓ holds" : "✗ fails"),
                    h("span", { class: "value" }, value === null ? " missing" : ` ${fmtSig(value)}`),
                    probability === null ? null : h("span", { class: "probability muted" }, ` P ${fmtSig(probability)}`),
                  );
                }),
              ),
            ),
          ),
        ),
      ),
      h("p", { class: "muted" }, "Value measured, and the posterior probability that the SLO holds (Bayesian assessment)."),
    );
  }

  private drawRewards(result: ResultDocument | null): void {
    const assessment = result?.assessment as AssessmentView | undefined;
    this.show("rewards", assessment !== undefined);
    if (!assessment) return;
    const winner = typeof assessment.winner === "string" ? assessment.winner : null;
    const weights = Object.entries(assessment.weights ?? {});
    const rewards = Object.entries(assessment.rewards ?? {});
    replace(
      this.body("rewards"),
      h("p", { class: "winner" }, "Winner: ", h("strong", { id: "winner", "data-value": winner ?? "" }, winner ?? (this.connection === "live" || this.connection === "connecting" ? "none yet" : "none")), assessment.confidence ? h("span", { class: "muted" }, ` (needs P(best) ≥ ${fmtSig(assessment.confidence)})`) : null),
      rewards.map(([metric, reward]) =>
        h(
          "div",
          { class: "scroll" },
          h(
            "table",
            { class: "reward", "data-metric": metric },
            h("caption", {}, h("code", {}, metric), ` (${reward.direction === "min" ? "lower" : "higher"} is better)`),
            h("thead", {}, h("tr", {}, ["Version", "Mean", "Credible interval", "P(best)", "Expected loss", "Lift"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              Object.entries(reward.versions ?? {}).map(([version, v]) =>
                h(
                  "tr",
                  {},
                  h("th", { scope: "row" }, version),
                  h("td", {}, fmtSig(v.mean)),
                  h("td", {}, v.credibleInterval ? `${fmtSig(v.credibleInterval[0])} – ${fmtSig(v.credibleInterval[1])}` : "—"),
                  h("td", { "data-version": version, "data-metric": "p-best", "data-value": String(v.pBest) }, fmtSig(v.pBest)),
                  h("td", {}, fmtSig(v.expectedLoss)),
                  h("td", {}, v.lift === null || v.lift === undefined ? "—" : fmtPercent(v.lift)),
                ),
              ),
            ),
          ),
        ),
      ),
      weights.length === 0
        ? null
        : h(
            "div",
            { class: "split", id: "split" },
            h("h3", {}, "Recommended traffic split"),
            h(
              "ul",
              {},
              weights.map(([version, weight]) =>
                h("li", {}, h("span", { class: "split-name" }, version), h("meter", { min: 0, max: 100, value: weight, "aria-label": `${version} weight` }), h("span", { "data-version": version, "data-value": String(weight) }, ` ${weight}%`)),
              ),
            ),
          ),
    );
  }

  private drawAgents(result: ResultDocument | null): void {
    const live = this.latest?.agents ?? [];
    const known = new Map(this.knownAgents.map((a) => [a.id ?? "", a]));
    const ids = [...new Set([...live.map((a) => a.agentId ?? ""), ...(result?.load?.agents ?? []), ...this.lost.keys()])];
    this.show("agents", ids.length > 0 || known.size > 0);
    const skew = this.latest?.startSkewMs || result?.load?.startSkewMs;
    const now = Date.now();
    const rows = (ids.length > 0 ? ids : [...known.keys()]).map((id) => {
      const share = live.find((a) => a.agentId === id);
      const shards = Number(share?.shards ?? 0);
      const done = Number(share?.shardsDone ?? 0);
      const lastMs = Number(share?.lastReportMs ?? 0);
      let health = "—";
      if (this.lost.has(id)) health = "lost";
      else if (share && shards > 0 && done === shards) health = "done";
      else if (lastMs > 0) health = now - lastMs <= LATE_AFTER_MS ? "healthy" : "late";
      else if (share) health = "waiting for reports";
      else if (result?.load?.agents.includes(id)) health = "done";
      const agent = known.get(id);
      const labels = Object.entries(agent?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
      return h(
        "tr",
        {},
        h("th", { scope: "row" }, h("code", {}, id)),
        h("td", {}, share ? `${done}/${shards}` : "—"),
        h("td", {}, share ? fmtCount(Number(share.requests ?? 0)) : "—"),
        h("td", {}, share ? fmtCount(Number(share.reportsMerged ?? 0)) : "—"),
        h("td", {}, lastMs > 0 ? fmtClock(lastMs) : "—"),
        h("td", { class: `health health-${health.split(" ")[0] ?? ""}` }, health, this.lost.get(id) ? ` (${this.lost.get(id) ?? ""})` : ""),
        h("td", {}, agent ? `${agent.capacity ?? ""}` : "—", labels ? h("span", { class: "muted" }, ` ${labels}`) : null),
      );
    });
    replace(
      this.body("agents"),
      h("p", { class: "muted" }, `Start skew: ${typeof skew === "number" && skew > 0 ? fmtMs(skew) : "—"}`),
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { id: "agents-table" },
          h("thead", {}, h("tr", {}, ["Agent", "Shards done", "Requests", "Reports", "Last report", "Health", "Capacity, labels"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows),
        ),
      ),
    );
  }

  /** Looped experiments (issue 17): `result.loops`, one entry per loop. Hidden until results carry loops. */
  private drawLoops(result: ResultDocument | null): void {
    const loops = (result as unknown as { loops?: unknown } | null)?.loops;
    const list = Array.isArray(loops) ? (loops as Record<string, unknown>[]) : [];
    this.show("loops", list.length > 0);
    if (list.length === 0) return;
    const keys = [...new Set(list.flatMap((loop) => Object.entries(loop ?? {}).filter(([, v]) => v === null || ["string", "number", "boolean"].includes(typeof v)).map(([k]) => k)))].slice(0, 8);
    replace(
      this.body("loops"),
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { id: "loops-table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Loop"), keys.map((k) => h("th", { scope: "col" }, k)))),
          h("tbody", {}, list.map((loop, i) => h("tr", {}, h("th", { scope: "row" }, String(i + 1)), keys.map((k) => h("td", {}, cellText(loop?.[k])))))),
        ),
      ),
    );
  }

  private drawTasks(result: ResultDocument | null): void {
    const detail = new Map((result?.tasks ?? []).map((t) => [t.index, t]));
    const tasks = [...this.tasks].sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0));
    this.show("tasks", tasks.length > 0);
    replace(
      this.body("tasks"),
      h(
        "ol",
        { class: "tasks" },
        tasks.map((t) => {
          const d = detail.get(Number(t.index ?? 0));
          const status = t.status ?? d?.status ?? "";
          return h(
            "li",
            { class: `task task-${status}` },
            h("span", { class: "task-name" }, t.task ?? ""),
            h("span", { class: `badge task-status-${status}` }, status),
            d?.durationMs !== undefined ? h("span", { class: "muted" }, ` ${fmtDuration(d.durationMs)}`) : null,
            d?.condition ? h("span", { class: "muted" }, " if: ", h("code", {}, d.condition)) : null,
            d?.error ? h("span", { class: "bad" }, ` ${d.error.message}`) : null,
          );
        }),
      ),
    );
  }

  private drawEvents(result: ResultDocument | null): void {
    const entries: LogEntry[] = [...this.log];
    for (const event of result?.load?.events ?? []) {
      if (event.type === "info" && !event.message) continue;
      entries.push({ timeMs: Date.parse(event.time), kind: event.type, text: `${event.agentId ? `agent ${event.agentId}: ` : ""}${event.message}` });
    }
    if (this.log.length === 0 && result) {
      for (const task of result.tasks) {
        if (task.startTime) entries.push({ timeMs: Date.parse(task.startTime), kind: "task", text: `task ${task.index + 1} (${task.task}) ${task.status}${task.error ? `: ${task.error.message}` : ""}` });
      }
    }
    entries.sort((a, b) => b.timeMs - a.timeMs);
    replace(
      this.body("events"),
      entries.length === 0
        ? h("p", { class: "muted" }, "No events yet.")
        : h("ol", { class: "log", reversed: true }, entries.slice(0, 200).map((e) => h("li", {}, h("time", {}, Number.isFinite(e.timeMs) ? fmtClock(e.timeMs) : "—"), h("span", { class: `kind kind-${e.kind}` }, e.kind), h("span", {}, e.text)))),
    );
  }

  close(): void {
    this.source?.close();
    for (const chart of Object.values(this.charts)) chart.destroy();
  }
}

/** The parts of `result.assessment` (coordinator/assessment) the page shows. */
interface AssessmentView {
  confidence?: number;
  winner?: string | null;
  weights?: Record<string, number>;
  rewards?: Record<string, { direction?: string; versions?: Record<string, { pBest: number; expectedLoss: number; credibleInterval?: [number, number]; mean: number; lift?: number | null }> }>;
}

/** A loop field as text (only primitive fields are shown). */
function cellText(value: unknown): string {
  if (typeof value === "number") return fmtSig(value);
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  return "—";
}

function fact(term: string, value: Child): Child {
  return [h("dt", {}, term), h("dd", {}, value)];
}

/** Colour dots take their colour through the CSSOM (allowed by the CSP, unlike style attributes). */
function paintDots(root: HTMLElement): void {
  for (const dot of root.querySelectorAll<HTMLElement>(".dot")) dot.style.backgroundColor = dot.dataset["color"] ?? "";
}

export function isTerminal(state: string): boolean {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}
