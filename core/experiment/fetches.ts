/**
 * The URLs an experiment's tasks fetch when they run (Iter8's `payloadURL`, `payloadTemplateURL`,
 * `dataURL`, `protoURL`): one list, so the runner can fetch them (or refuse them, while no fetch
 * exists) and the service can check them against its allow-list before anything starts.
 */
import { TaskName, endpointNames } from "./model.js";
import type { Experiment } from "./model.js";

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
        if (spec.dataURL !== undefined) out.push({ taskIndex: index, field: `${base}.dataURL`, url: spec.dataURL, purpose: "grpc-data" });
        if (spec.protoURL !== undefined) out.push({ taskIndex: index, field: `${base}.protoURL`, url: spec.protoURL, purpose: "grpc-proto" });
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
