/**
 * `assay report -o iter8`: a result as the `result:` section of Iter8's experiment.yaml
 * (base.ExperimentResult with its Insights, JSON tags and field order of Iter8's structs), for
 * tools that read Iter8's results. The same structs Iter8's notify templates see (iter8-data.ts).
 */
import { compileTemplate } from "../../core/index.js";
import type { ResultDocument } from "../../core/index.js";
import { iter8Insights, iter8Result } from "./iter8-data.js";

/** `{"result": <Iter8's ExperimentResult>}` as indented JSON (also valid YAML). */
export function iter8ResultText(result: Readonly<ResultDocument>): string {
  const document = { result: iter8Result(result, "", iter8Insights(result)) };
  // Serialized by the template engine's json.Marshal, which honours the structs' JSON tags.
  const template = compileTemplate("{{ toPrettyJson . }}", { name: "iter8 report", limits: { maxOutputBytes: 64 * 1024 * 1024, maxSteps: 50_000_000, timeoutMs: 30_000 } });
  return `${template.render(document)}\n`;
}
