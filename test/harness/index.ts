/**
 * The shared test harness: real servers (HTTP targets, nats-server, Prometheus, a Kubernetes API
 * server) and child processes on free 127.0.0.1 ports, readiness by polling, and cleanup that
 * runs even when a test fails or forgets (see registry.ts and docs/testing.md).
 */
export { freePort, waitUntil, waitUntilSteady } from "./wait.js";
export type { WaitUntilOptions } from "./wait.js";
export { cleanupAll, makeTempDir } from "./registry.js";
export { teardown } from "./teardown.js";
export type { Teardown } from "./teardown.js";
export { startHttpTarget } from "./http-target.js";
export type { HttpTarget, HttpTargetOptions, RecordedRequest } from "./http-target.js";
export { startRawHttpTarget } from "./raw-http-target.js";
export type { RawExchangeRecord, RawHttpTarget, RawHttpTargetOptions, RawReply, RawRequest } from "./raw-http-target.js";
export { RELIABILITY_TABLE_BEGIN, RELIABILITY_TABLE_END, SCENARIOS, recordMeasurement, renderReliabilityTable, scenarioRowPrefix } from "./reliability.js";
export type { Scenario, ScenarioKind } from "./reliability.js";
export { FORMS_TABLE_BEGIN, FORMS_TABLE_END, RESPONSE_FORMS, renderFormsTable } from "./response-forms.js";
export type { FormOutcome, ResponseForm } from "./response-forms.js";
export { startProcess } from "./process.js";
export type { ProcessHandle, StartProcessOptions } from "./process.js";
export { TEST_TLS_CERT, TEST_TLS_KEY } from "./tls-fixture.js";
export { ECHO_PROTO, startGrpcTarget } from "./grpc-target.js";
export type { GrpcTarget, GrpcTargetOptions } from "./grpc-target.js";
export { startNatsServer } from "./nats.js";
export type { NatsServerHandle, NatsServerOptions } from "./nats.js";
export { startPrometheus } from "./prometheus.js";
export type { PrometheusHandle, PrometheusOptions, PromSample } from "./prometheus.js";
export { CRD_FIXTURES, kubeRealTools, sharedKubeApiServer, startKubeApiServer, uniqueName } from "./kube.js";
export type { ConditionInput, KubeApiServer, KubeApiServerOptions, KubectlOptions, KubectlResult, ServiceAccountRef } from "./kube.js";
export { KubeApiError, KubeTestClient, apiVersionPath, refOf } from "./kube-client.js";
export type { ApplyOptions, KubeMetadata, KubeObject, KubeRequestOptions, KubeResponse, ManagedFieldsEntry, ObjectRef, PatchType } from "./kube-client.js";
