/**
 * The built-in `iter8` chart of `assay launch`: renders, for Iter8 v0.13–v0.14 chart values, the
 * experiment Iter8's `charts/iter8` (tag iter8-0.14.3) renders — the same tasks in the same order
 * with the same fields, quirks included (test/compat/SPEC.md §1.5–1.7 lists them). Written for
 * Assay in Go template syntax and rendered by core/template; none of Iter8's files is copied.
 *
 * Layout: `experiment` checks `tasks` and `runner` and includes `iter8.task.<name>` per task;
 * http and grpc share the download helper (`*URL` values become `curl` run tasks writing /tmp
 * files) and the warm-up helper.
 */
import type { TemplateSource } from "../template/index.js";
import type { ChartValues } from "./strvals.js";

const EXPERIMENT = String.raw`
{{- define "experiment" -}}
{{- $tasks := .Values.tasks }}
{{- if not $tasks }}
{{- fail ".Values.tasks is empty: name the tasks to run, e.g. --set tasks={http,assess}" }}
{{- end }}
{{- if not (kindIs "slice" $tasks) }}
{{- fail (printf "tasks must be a list of task names, e.g. --set tasks={http,assess}; got %v" $tasks) }}
{{- end }}
{{- if not (has .Values.runner (list "job" "cronjob" "none")) }}
{{- fail (printf "runner must be one of job, cronjob, or none; got %v" .Values.runner) }}
{{- end }}
spec:
{{- range $i, $task := $tasks }}
{{- if not (has $task (list "assess" "custommetrics" "grpc" "http" "ready" "slack" "github")) }}
{{- fail (printf "tasks[%d] is %v: task name must be one of assess, custommetrics, grpc, http, ready, github, or slack" $i $task) }}
{{- end }}
{{- if eq $task "ready" }}
{{- include "iter8.task.ready" $ }}
{{- else }}
{{- include (printf "iter8.task.%s" $task) (index $.Values $task) }}
{{- end }}
{{- end }}
result:
  startTime: {{ now | toJson }}
  numCompletedTasks: 0
  failure: false
  iter8Version: {{ .Values.majorMinor }}
{{- end }}
`;

/** Checks shared by the load tasks, and the helpers that turn `*URL` values and warm-up values into tasks. */
const HELPERS = String.raw`
{{- /* (dict "task" NAME "vals" VALUES): VALUES must be a map */ -}}
{{- define "iter8.requireMap" }}
{{- if not .vals }}
{{- fail (printf "%s values object is nil: set its values, e.g. --set %s.url=..." .task .task) }}
{{- end }}
{{- if not (kindIs "map" .vals) }}
{{- fail (printf "%s must be a map of values, got %v" .task .vals) }}
{{- end }}
{{- end }}

{{- /* (dict "vals" VALUES "key" KEY): KEY is set at the top, or in every endpoint */ -}}
{{- define "iter8.requireEach" }}
{{- if not (index .vals .key) }}
{{- if not .vals.endpoints }}
{{- fail (printf "please set the %s parameter or the endpoints parameter" .key) }}
{{- end }}
{{- range $id, $endpoint := .vals.endpoints }}
{{- if or (not (kindIs "map" $endpoint)) (not (index $endpoint $.key)) }}
{{- fail (printf "endpoint %q does not have a %s parameter" (toString $id) $.key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- /* (dict "vals" VALUES "files" [[urlKey fileKey fileName]...] "prefix" PATH):
       a curl run task per URL present, and the file key set in VALUES */ -}}
{{- define "iter8.downloads" }}
{{- $vals := .vals }}
{{- range $file := .files }}
{{- $url := index $vals (index $file 0) }}
{{- if $url }}
{{- $path := printf "%s%s" $.prefix (index $file 2) }}
# download {{ index $file 0 }} before the load starts
- run: |
    curl -o {{ $path }} {{ $url }}
{{- $_ := set $vals (index $file 1) $path }}
{{- end }}
{{- end }}
{{- end }}

{{- /* (dict "task" NAME "vals" VALUES "countKey" KEY): a warm-up task when warm-up values are set */ -}}
{{- define "iter8.warmup" }}
{{- $vals := .vals }}
{{- if or $vals.warmupNumRequests $vals.warmupDuration }}
{{- $warm := mustDeepCopy $vals }}
{{- if $vals.warmupNumRequests }}
{{- $_ := set $warm .countKey $vals.warmupNumRequests }}
{{- else }}
{{- $_ := set $warm "duration" $vals.warmupDuration }}
{{- end }}
{{- $_ := unset $warm "warmupNumRequests" }}
{{- $_ := unset $warm "warmupDuration" }}
{{- $_ := set $warm "warmup" true }}
# warm-up load (not part of the result's metrics)
- task: {{ .task }}
  with:
{{ toYaml $warm | indent 4 }}
{{- end }}
{{- end }}
`;

const HTTP = String.raw`
{{- define "iter8.task.http" }}
{{- include "iter8.requireMap" (dict "task" "http" "vals" .) }}
{{- include "iter8.requireEach" (dict "vals" . "key" "url") }}
{{- $vals := mustDeepCopy . }}
{{- $files := list (list "payloadURL" "payloadFile" "payload.dat") }}
{{- include "iter8.downloads" (dict "vals" $vals "files" $files "prefix" "/tmp/") }}
{{- range $id, $endpoint := $vals.endpoints }}
{{- include "iter8.downloads" (dict "vals" $endpoint "files" $files "prefix" (printf "/tmp/%v_" $id)) }}
{{- end }}
{{- include "iter8.warmup" (dict "task" "http" "vals" $vals "countKey" "numRequests") }}
{{- /* as Iter8's chart: the measured task keeps warmupNumRequests / warmupDuration */}}
# HTTP load and Iter8's built-in HTTP metrics
- task: http
  with:
{{ toYaml $vals | indent 4 }}
{{- end }}
`;

const GRPC = String.raw`
{{- define "iter8.task.grpc" }}
{{- include "iter8.requireMap" (dict "task" "grpc" "vals" .) }}
{{- include "iter8.requireEach" (dict "vals" . "key" "host") }}
{{- include "iter8.requireEach" (dict "vals" . "key" "call") }}
{{- $vals := mustDeepCopy . }}
{{- $files := list (list "protoURL" "proto" "ghz.proto") (list "dataURL" "data-file" "data.json") (list "binaryDataURL" "binary-file" "data.bin") (list "metadataURL" "metadata-file" "metadata.json") }}
{{- include "iter8.downloads" (dict "vals" $vals "files" $files "prefix" "/tmp/") }}
{{- range $id, $endpoint := $vals.endpoints }}
{{- /* as Iter8 v0.14's chart: no slash between /tmp and the endpoint's name */}}
{{- include "iter8.downloads" (dict "vals" $endpoint "files" $files "prefix" (printf "/tmp%v_" $id)) }}
{{- end }}
{{- include "iter8.warmup" (dict "task" "grpc" "vals" $vals "countKey" "total") }}
{{- $_ := unset $vals "warmupNumRequests" }}
{{- $_ := unset $vals "warmupDuration" }}
# gRPC load and Iter8's built-in gRPC metrics
- task: grpc
  with:
{{ toYaml $vals | indent 4 }}
{{- end }}
`;

const ASSESS = String.raw`
{{- define "iter8.task.assess" }}
{{- if . }}
# check the SLOs (and rewards) on the metrics collected by the tasks before
- task: assess
  with:
{{- if .SLOs }}
    SLOs:
{{- range $direction := list "upper" "lower" }}
{{- $limits := index $.SLOs $direction }}
{{- if $limits }}
      {{ $direction }}:
{{- /* a map (metric: limit) in key order; Iter8's chart takes no other form */}}
{{- range $metric, $limit := $limits }}
      - metric: {{ $metric }}
        limit: {{ $limit }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if .rewards }}
    rewards:
{{- range $kind := list "max" "min" }}
{{- $metrics := index $.rewards $kind }}
{{- if $metrics }}
      {{ $kind }}:
{{- range $metric := $metrics }}
      - {{ $metric }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
`;

const CUSTOMMETRICS = String.raw`
{{- define "iter8.task.custommetrics" }}
# metrics from the providers' templates (Prometheus and others)
- task: custommetrics
  with:
{{ toYaml . | indent 4 }}
{{- end }}
`;

const READY = String.raw`
{{- define "iter8.task.ready" }}
{{- $ready := .Values.ready }}
{{- if $ready }}
{{- $args := dict "ready" $ready "namespace" (coalesce $ready.namespace .Release.Namespace) }}
{{- include "iter8.readyTask" (merge (dict "key" "service" "version" "v1" "resource" "services") $args) }}
{{- include "iter8.readyTask" (merge (dict "key" "deploy" "group" "apps" "version" "v1" "resource" "deployments" "condition" "Available") $args) }}
{{- include "iter8.readyTask" (merge (dict "key" "ksvc" "group" "serving.knative.dev" "version" "v1" "resource" "services" "condition" "Ready") $args) }}
{{- include "iter8.readyTask" (merge (dict "key" "isvc" "group" "serving.kserve.io" "version" "v1beta1" "resource" "inferenceservices" "condition" "Ready") $args) }}
{{- include "iter8.readyTask" (merge (dict "key" "chaosengine" "group" "litmuschaos.io" "version" "v1alpha1" "resource" "chaosengines") $args) }}
{{- end }}
{{- end }}

{{- /* one ready task when ready.<key> names an object */ -}}
{{- define "iter8.readyTask" }}
{{- $name := index .ready .key }}
{{- if $name }}
# wait for the {{ .resource }} object named by ready.{{ .key }}
- task: ready
  with:
    name: {{ $name | quote }}
{{- if .group }}
    group: {{ .group }}
{{- end }}
    version: {{ .version }}
    resource: {{ .resource }}
{{- if .condition }}
    condition: {{ .condition }}
{{- end }}
{{- if .namespace }}
    namespace: {{ .namespace }}
{{- end }}
{{- if .ready.timeout }}
    timeout: {{ .ready.timeout }}
{{- end }}
{{- end }}
{{- end }}
`;

const NOTIFY = String.raw`
{{- define "iter8.task.slack" }}
{{- if not . }}
{{- fail "slack notify values object is nil: set slack.url" }}
{{- end }}
{{- if not .url }}
{{- fail "please set a value for the url parameter (slack.url)" }}
{{- end }}
{{- include "iter8.notify" (dict "vals" . "url" .url "payload" "https://raw.githubusercontent.com/iter8-tools/iter8/iter8-0.13.7/templates/notify/_payload-slack.tpl") }}
{{- end }}

{{- define "iter8.task.github" }}
{{- if not . }}
{{- fail "github notify values object is nil: set github.owner, github.repo and github.token" }}
{{- end }}
{{- range $key := list "owner" "repo" "token" }}
{{- if not (index $ $key) }}
{{- fail (printf "please set a value for the %s parameter (github.%s)" $key $key) }}
{{- end }}
{{- end }}
{{- $headers := dict "Authorization" (printf "token %v" .token) "Accept" "application/vnd.github+json" }}
{{- include "iter8.notify" (dict "vals" . "url" (printf "https://api.github.com/repos/%v/%v/dispatches" .owner .repo) "headers" $headers "payload" "https://raw.githubusercontent.com/iter8-tools/iter8/iter8-0.13.7/templates/notify/_payload-github.tpl") }}
{{- end }}

{{- /* a notify task; as Iter8's chart: always POST, softFailure true unless set to a non-empty value */ -}}
{{- define "iter8.notify" }}
# notification with the experiment's report
- task: notify
{{- if .vals.if }}
  if: {{ .vals.if | toString | toJson }}
{{- end }}
  with:
    url: {{ .url | toString | toJson }}
    method: POST
{{- if .headers }}
    headers:
{{ toYaml .headers | indent 6 }}
{{- end }}
    payloadTemplateURL: {{ default .payload .vals.payloadTemplateURL | toString | toJson }}
    softFailure: {{ default true .vals.softFailure }}
{{- end }}
`;

/** The chart's own values.yaml (Iter8 v0.14's defaults; `resources` etc. only matter on Kubernetes). */
export const ITER8_CHART_VALUES: ChartValues = {
  iter8Image: "iter8/iter8:0.14",
  majorMinor: "v0.14",
  runner: "none",
  logLevel: "info",
  resources: { requests: { memory: "64Mi", cpu: "250m" }, limits: { memory: "128Mi", cpu: "500m" } },
};

export const ITER8_CHART_TEMPLATES: readonly TemplateSource[] = [
  { name: "iter8/templates/_experiment.tpl", text: EXPERIMENT },
  { name: "iter8/templates/_helpers.tpl", text: HELPERS },
  { name: "iter8/templates/_task-http.tpl", text: HTTP },
  { name: "iter8/templates/_task-grpc.tpl", text: GRPC },
  { name: "iter8/templates/_task-assess.tpl", text: ASSESS },
  { name: "iter8/templates/_task-custommetrics.tpl", text: CUSTOMMETRICS },
  { name: "iter8/templates/_task-ready.tpl", text: READY },
  { name: "iter8/templates/_task-notify.tpl", text: NOTIFY },
];
