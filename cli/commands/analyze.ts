/**
 * `assay analyze FILE`: the Bayesian assessment of per-version data, with no load. FILE holds
 * sample statistics per version and metric (docs/assessment.md), or a stored result document.
 */
import { readFile } from "node:fs/promises";
import { analyzeDocument, renderAssessmentText } from "../../coordinator/index.js";
import { ErrorCode, ValidationError } from "../../core/index.js";
import { defineCommand } from "../command.js";
import { ExitCode } from "../exit-codes.js";
import { OutputFormat, write } from "../output.js";

export const analyzeCommand = defineCommand({
  name: "analyze",
  summary: "Bayesian assessment of per-version data, no load (P(best), risk, winner, split)",
  description: `Assesses versions from sample statistics, with no load. FILE is JSON, e.g.
  {"rewards": {"max": ["conversion"]}, "baseline": "a",
   "versions": {"a": {"conversion": {"successes": 20, "trials": 200}},
                "b": {"conversion": {"successes": 31, "trials": 200}}}}
Sample types: rate (successes, trials), mean (count, sum, sumOfSquares), count (events, exposure).
Prints P(best), expected loss, credible intervals, lift, the winner and a traffic split.`,
  positionals: [{ name: "FILE", description: "sample statistics per version (JSON), or a stored result document" }],
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  flags: {},
  async run({ args, io, format }) {
    const file = args.FILE;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new ValidationError(ErrorCode.FileNotFound, `cannot read ${file}`, { cause: error, field: "FILE" });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ValidationError(ErrorCode.BadResultFile, `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    const assessment = analyzeDocument(json);
    const rendered = format === OutputFormat.Json ? JSON.stringify(assessment, null, 2) : renderAssessmentText(assessment);
    await write(io.stdout, rendered.endsWith("\n") ? rendered : `${rendered}\n`);
    return ExitCode.Ok;
  },
});
