/**
 * Fills in what a task names by URL, when the task runs (Iter8 fetches them then too): the http
 * task's `payloadURL` bodies and the notification tasks' `payloadTemplateURL` templates. The gRPC
 * task's `dataURL`/`protoURL` are fetched by its own runner. Each distinct URL is fetched once.
 */
import { TaskName, endpointNames } from "../../core/index.js";
import type { HttpEndpointSpec, HttpRequestSpec, HttpTaskSpec, HttpVersionSpec, TaskSpec } from "../../core/index.js";
import { fetchRunTimeResource, fetchRunTimeText } from "./fetch.js";
import type { RunTimeFetchOptions } from "./fetch.js";

/** RunTimeFetchOptions without the field (each fetch names its own). */
export type FetchSettings = Omit<RunTimeFetchOptions, "field">;

/** `spec` with every run-time URL it names fetched; the same object when it names none. */
export async function resolveRunTimeFetches(spec: TaskSpec, taskIndex: number, settings: FetchSettings): Promise<TaskSpec> {
  const base = `spec[${taskIndex}].with`;
  switch (spec.task) {
    case TaskName.Http:
      return resolveHttpBodies(spec, base, settings);
    case TaskName.Notify:
    case TaskName.Slack:
    case TaskName.Github:
    case TaskName.CloudEvent: {
      if (spec.payloadTemplateURL === undefined) return spec;
      const text = await fetchRunTimeText(spec.payloadTemplateURL, { ...settings, field: `${base}.payloadTemplateURL` });
      return { ...spec, payloadTemplate: text, payloadTemplateURL: undefined };
    }
    default:
      return spec;
  }
}

async function resolveHttpBodies(spec: HttpTaskSpec, base: string, settings: FetchSettings): Promise<HttpTaskSpec> {
  const fetched = new Map<string, Promise<Uint8Array>>();
  const body = (url: string, field: string): Promise<Uint8Array> => {
    let pending = fetched.get(url);
    if (pending === undefined) {
      pending = fetchRunTimeResource(url, { ...settings, field });
      fetched.set(url, pending);
    }
    return pending;
  };
  const fill = async <T extends HttpRequestSpec>(request: T, field: string): Promise<T> =>
    request.payloadURL === undefined ? request : { ...request, body: await body(request.payloadURL, field), payloadURL: undefined };
  const names = endpointNames(spec);
  const anyUrl = spec.versions.some((v) => v.request.payloadURL !== undefined || Object.values(v.endpoints).some((e) => e.payloadURL !== undefined));
  if (!anyUrl) return spec;
  const versions: HttpVersionSpec[] = [];
  for (const version of spec.versions) {
    const request = await fill(version.request, `${base}.payloadURL`);
    const endpoints: Record<string, HttpEndpointSpec> = {};
    for (const name of names) {
      const endpoint = version.endpoints[name];
      if (endpoint === undefined) continue;
      const own = endpoint.payloadURL !== version.request.payloadURL;
      endpoints[name] = await fill(endpoint, own ? `${base}.endpoints.${name}.payloadURL` : `${base}.payloadURL`);
    }
    versions.push({ ...version, request, endpoints });
  }
  return { ...spec, versions };
}
