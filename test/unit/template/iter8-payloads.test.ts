/**
 * Iter8's notify data: templates written in the form of Iter8's published Slack and GitHub payload
 * templates (regexReplaceAll over `.Report | toPrettyJson`, `.Summary | toPrettyJson`, walks of
 * `.Result.Insights`) render the text Iter8's Go structs would give. The expected JSON is written
 * by hand from Iter8's struct definitions (field order, JSON tags, omitempty; Insights of v0.15).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHistogram, histogramToBase64, recordMicros, renderTemplate } from "../../../core/index.js";
import type { ResultDocument } from "../../../core/index.js";
import { summaryText, templateData } from "../../../coordinator/actions/index.js";

function realisticResult(): ResultDocument {
  const latency = createHistogram();
  for (const us of [1500, 1500, 1500, 2500, 12500]) recordMicros(latency, us);
  return {
    schemaVersion: 1,
    name: "checkout-ab",
    completed: false,
    failure: null,
    incomplete: false,
    startTime: "2026-11-21T10:00:00.000Z",
    numCompletedTasks: 2,
    versions: ["v1", "v2"],
    metrics: {
      v1: { "http/request-count": 5, "http/error-count": 0, "http/latency-mean": 3.9, "http/latency-p95": 12.5, "http/throughput": 40.5 },
      v2: { "http/request-count": 5, "http/error-count": 1, "http/latency-mean": 2.25, "http/latency-p95": 7.5, "http/throughput": 52 },
    },
    metricsInfo: {
      "http/request-count": { type: "counter", description: "number of requests sent" },
      "http/error-count": { type: "counter", description: "number of responses that were errors" },
      "http/latency-mean": { units: "msec", type: "gauge", description: "mean of observed latency values" },
      "http/latency-p95": { units: "msec", type: "gauge", description: "95-th percentile of observed latency values" },
      "http/latency": { units: "msec", type: "histogram", description: "latency histogram" },
      "http/throughput": { units: "requests/s", type: "gauge", description: "achieved throughput" },
    },
    slos: [
      { metric: "http/latency-mean", direction: "upper", limit: 50, satisfied: { v1: true, v2: true }, value: { v1: 3.9, v2: 2.25 } },
      { metric: "http/error-count", direction: "upper", limit: 0, satisfied: { v1: true, v2: false }, value: { v1: 0, v2: 1 } },
      { metric: "http/throughput", direction: "lower", limit: 10, satisfied: { v1: true, v2: true }, value: { v1: 40.5, v2: 52 } },
    ],
    tasks: [
      { index: 0, task: "http", status: "completed" },
      { index: 1, task: "assess", status: "completed" },
      { index: 2, task: "slack", status: "running", condition: "SLOs()" },
    ],
    histograms: { v1: { http: { latency: histogramToBase64(latency) } }, v2: {} },
    assessment: { winner: "v2", baseline: "v1", weights: { v1: 10, v2: 90 }, rewards: { "http/throughput": { direction: "max" } } },
    source: "checkout.yaml",
  };
}

const clock = { nowMs: Date.UTC(2026, 10, 21, 10, 5, 0, 500), uptimeSeconds: 12.5 };
const TIME_STAMP = "2026-11-21 10:05:00.5 +0000 UTC m=+12.500000000";

/** Iter8's base.Experiment for the result above, in Go's field order with its JSON tags. */
function expectedExperiment(): unknown {
  const bucket = (lower: number, upper: number, count: number): unknown => ({ lower, upper, count });
  return {
    metadata: { name: "checkout-ab", namespace: "default" },
    spec: [{ task: "http" }, { task: "assess" }, { task: "slack", if: "SLOs()" }],
    result: {
      name: "checkout-ab",
      namespace: "default",
      startTime: "2026-11-21T10:00:00Z",
      numLoops: 1,
      numCompletedTasks: 2,
      failure: false,
      insights: {
        numVersions: 2,
        versionNames: [
          { version: "v1", track: "" },
          { version: "v2", track: "" },
        ],
        metricsInfo: {
          "http/error-count": { description: "number of responses that were errors", type: "Counter" },
          "http/latency": { description: "latency histogram", units: "msec", type: "Histogram" },
          "http/latency-mean": { description: "mean of observed latency values", units: "msec", type: "Gauge" },
          "http/latency-p95": { description: "95-th percentile of observed latency values", units: "msec", type: "Gauge" },
          "http/request-count": { description: "number of requests sent", type: "Counter" },
          "http/throughput": { description: "achieved throughput", units: "requests/s", type: "Gauge" },
        },
        nonHistMetricValues: [
          { "http/error-count": [0], "http/latency-mean": [3.9], "http/latency-p95": [12.5], "http/request-count": [5], "http/throughput": [40.5] },
          { "http/error-count": [1], "http/latency-mean": [2.25], "http/latency-p95": [7.5], "http/request-count": [5], "http/throughput": [52] },
        ],
        histMetricValues: [{ "http/latency": [bucket(1, 2, 3), bucket(2, 3, 1), bucket(12, 14, 1)] }, {}],
        SummaryMetricValues: null,
        SLOs: { upper: [{ metric: "http/latency-mean", limit: 50 }, { metric: "http/error-count", limit: 0 }], lower: [{ metric: "http/throughput", limit: 10 }] },
        SLOsSatisfied: { upper: [[true, true], [true, false]], lower: [[true, true]] },
        rewards: { max: ["http/throughput"] },
        rewardsWinners: { max: [1] },
      },
      iter8Version: "v0.15",
    },
  };
}

function expectedReport(): unknown {
  return { timeStamp: TIME_STAMP, completed: false, noTaskFailures: true, numTasks: 3, numCompletedTasks: 2, numLoops: 1, experiment: expectedExperiment() };
}

function render(text: string): string {
  return renderTemplate(text, templateData(realisticResult(), clock));
}

void describe("Iter8's payload templates over Assay's template data", () => {
  void it("renders the Slack form (v0.13–v0.16): the Report as pretty JSON, escaped into a text field", () => {
    const text = '{\n  "text": "Assay report for {{ .Report.Experiment.Metadata.Name }}: {{ regexReplaceAll "\\"" (regexReplaceAll "\\n" (.Report | toPrettyJson) "\\\\n") "\\\\\\"" }}"\n}';
    const pretty = JSON.stringify(expectedReport(), null, 2);
    const escaped = pretty.replaceAll("\n", "\\n").replaceAll('"', '\\"');
    const rendered = render(text);
    assert.equal(rendered, `{\n  "text": "Assay report for checkout-ab: ${escaped}"\n}`);
    assert.equal((JSON.parse(rendered) as { text: string }).text, `Assay report for checkout-ab: ${pretty}`);
  });

  void it("renders the GitHub form (v0.13–v0.16): the Report as client_payload", () => {
    const rendered = render('{\n  "event_type": "assay",\n  "client_payload": {{ .Report | toPrettyJson }}\n}');
    assert.equal(rendered, `{\n  "event_type": "assay",\n  "client_payload": ${JSON.stringify(expectedReport(), null, 2)}\n}`);
  });

  void it("renders the v0.17+ forms: .Summary serializes as Iter8's Summary and prints as Assay's text", () => {
    const summary = { timeStamp: TIME_STAMP, completed: false, noTaskFailures: true, numTasks: 3, numCompletedTasks: 2, experiment: { metadata: { name: "checkout-ab", namespace: "default" }, spec: null, result: null } };
    assert.equal(render('{"event_type": "assay", "client_payload": {{ .Summary | toPrettyJson }}}'), `{"event_type": "assay", "client_payload": ${JSON.stringify(summary, null, 2)}}`);
    assert.equal(render("{{ .Summary }}"), summaryText(realisticResult()));
    assert.equal(render("{{ .Summary.NumTasks }}/{{ .Summary.Experiment.Metadata.Name }}"), "3/checkout-ab");
  });

  void it("walks .Result.Insights as Iter8's templates do", () => {
    const text = [
      "{{- $in := .Result.Insights }}",
      "{{- range $i, $v := $in.VersionNames }}",
      "{{ $v.Version }}:{{ range $j, $slo := $in.SLOs.Upper }} {{ $slo.Metric }}<={{ $slo.Limit }}={{ index $in.SLOsSatisfied.Upper $j $i }}{{ end }}",
      "{{- end }}",
      'mean v2: {{ index (index $in.NonHistMetricValues 1) "http/latency-mean" 0 }} {{ (index $in.MetricsInfo "http/latency-mean").Units }}',
      "winner: {{ index $in.VersionNames (index $in.RewardsWinners.Max 0) | printf \"%+v\" }}",
      "loops {{ .Result.NumLoops }} version {{ .Result.Iter8Version }} failure {{ .Report.Experiment.Result.Failure }} start {{ .Experiment.Result.StartTime }}",
    ].join("\n");
    assert.equal(
      render(text),
      "\nv1: http/latency-mean<=50=true http/error-count<=0=true\nv2: http/latency-mean<=50=true http/error-count<=0=false\nmean v2: 2.25 msec\nwinner: {Version:v2 Track:}\nloops 1 version v0.15 failure false start 2026-11-21 10:00:00 +0000 UTC",
    );
  });

  void it("keeps Assay's own fields: .Result serializes as the result document, camelCase fields at every level", () => {
    const result = realisticResult();
    const json = renderTemplate("{{ .Result | toJson }}", templateData(result, clock));
    assert.deepEqual(JSON.parse(json), result);
    assert.ok(json.startsWith('{"assessment":'), "a map's keys are sorted, as Go writes them");
    assert.equal(render('{{ .Name }} {{ .Winner }} {{ .Weights.v2 }} {{ .SLOs }} {{ index .Result.Metrics "v2" "http/latency-p95" }} {{ .Result.Failure | toJson }} {{ .name }} {{ .Report.NumTasks }}'), "checkout-ab v2 90 false 7.5 null checkout-ab 3");
  });

  void it("hands templates a copy: set and unset cannot change the result", () => {
    const result = realisticResult();
    renderTemplate('{{ $_ := set .Result.metrics.v1 "x" 1 }}{{ $_ := unset .metrics "v2" }}{{ $_ := set . "name" "changed" }}', templateData(result, clock));
    assert.deepEqual(result, { ...realisticResult(), histograms: result.histograms });
    assert.equal(result.metrics.v2?.["http/latency-p95"], 7.5);
  });
});
