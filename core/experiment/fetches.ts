/**
 * The URLs an experiment's tasks fetch when they run (Iter8's `payloadURL`, `payloadTemplateURL`,
 * `dataURL`, `protoURL`): one list, so the runner can fetch them (or refuse them, while no fetch
 * exists) and the service can check them against its allow-list before anything starts.
 */
import { TaskName, endpointNames } from "./model.js";
import type { Experiment, GrpcCallSpec, GrpcTaskSpec } from "./model.js";

/** One URL a task fetches at run time. */
export interface RunTimeFetch {
  /** Index of the task entry. */
  readonly taskIndex: number;
  /** Field path as in validation messages, e.g. `spec[0].with.endpoints.login.payloadURL`. */
  readonly field: string;
  readonly url: string;
  /** What the fetched bytes become. */
  readonly purpose: "http-body" | "template" | "grpc-data" | "grpc-proto";
}

/** Every URL the experiment's tasks fetch at run time, in task order. */
export function runTimeFetches(experiment: Experiment): RunTimeFetch[] {
  const out: RunTimeFetch[] = [];
  for (const { index, spec } of experiment.tasks) {
    const base = `spec[${index}].with`;
    switch (spec.task) {
      case TaskName.Http: {
        const seen = new Set<string>();
        const add = (field: string, url: string | undefined): void => {
          if (url === undefined || seen.has(field)) return;
          seen.add(field);
          out.push({ taskIndex: index, field, url, purpose: "http-body" });
        };
        for (const version of spec.versions) {
          add(`${base}.payloadURL`, version.request.payloadURL);
          for (const name of endpointNames(spec)) {
            const endpoint = version.endpoints[name];
            if (endpoint !== undefined && endpoint.payloadURL !== version.request.payloadURL) add(`${base}.endpoints.${name}.payloadURL`, endpoint.payloadURL);
          }
        }
        break;
      }
      case TaskName.Grpc:
        out.push(...grpcFetches(spec, index, base));
        break;
      case TaskName.Notify:
      case TaskName.Slack:
      case TaskName.Github:
      case TaskName.CloudEvent:
        if (spec.payloadTemplateURL !== undefined) out.push({ taskIndex: index, field: `${base}.payloadTemplateURL`, url: spec.payloadTemplateURL, purpose: "template" });
        break;
      default:
        break;
    }
  }
  return out;
}

/** A grpc task's URLs, once per field (a version's and each endpoint's where they differ). */
function grpcFetches(spec: GrpcTaskSpec, taskIndex: number, base: string): RunTimeFetch[] {
  const out: RunTimeFetch[] = [];
  const seen = new Set<string>();
  const add = (prefix: string, call: GrpcCallSpec): void => {
    for (const [key, url, purpose] of grpcCallUrls(call)) {
      const field = `${prefix}.${key}`;
      if (seen.has(`${field} ${url}`)) continue;
      seen.add(`${field} ${url}`);
      out.push({ taskIndex, field, url, purpose });
    }
  };
  for (const version of spec.versions) {
    if (spec.endpointOrder.length === 0) add(base, version.call);
    for (const name of spec.endpointOrder) {
      const endpoint = version.endpoints[name];
      if (endpoint !== undefined) add(`${base}.endpoints.${name}`, endpoint.call);
    }
  }
  return out;
}

/**
 * The URLs a call fetches, by the precedence the grpc task applies: a file (`proto`, `data-file`,
 * ...) wins over its URL, which wins over inline data; binary data wins over JSON data.
 */
export function grpcCallUrls(call: GrpcCallSpec): [string, string, RunTimeFetch["purpose"]][] {
  const out: [string, string, RunTimeFetch["purpose"]][] = [];
  if (call.proto === undefined && call.protoset === undefined) {
    if (call.protoURL !== undefined) out.push(["protoURL", call.protoURL, "grpc-proto"]);
    else if (call.protosetURL !== undefined) out.push(["protosetURL", call.protosetURL, "grpc-proto"]);
  }
  const binary = call.binaryData !== undefined || call.binaryFile !== undefined || call.binaryDataURL !== undefined;
  if (call.binaryFile === undefined && call.binaryDataURL !== undefined) out.push(["binaryDataURL", call.binaryDataURL, "grpc-data"]);
  if (!binary && call.dataFile === undefined && call.dataURL !== undefined) out.push(["dataURL", call.dataURL, "grpc-data"]);
  if (call.metadataFile === undefined && call.metadataURL !== undefined) out.push(["metadataURL", call.metadataURL, "grpc-data"]);
  return out;
}
