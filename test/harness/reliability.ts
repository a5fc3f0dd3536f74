/**
 * The reliability scenarios of docs/reliability.md ("Scenarios"): each fault, hostile input or bad
 * input, what Assay must do, and the test that checks it. The table's "measured" column is filled
 * by scripts/reliability-table.mjs, which runs those tests with ASSAY_RELIABILITY_OUT set: a test
 * records its figures with recordMeasurement (nothing is written without the variable), and a
 * scenario whose test file passed without recording anything shows "passes".
 */
import { appendFileSync } from "node:fs";

export type ScenarioKind = "fault" | "hostile input" | "bad input";

export interface Scenario {
  /** Stable id: the first cell of the row; recordMeasurement names it. */
  readonly id: string;
  readonly kind: ScenarioKind;
  readonly scenario: string;
  readonly must: string;
  /** The test file (from the repository root, TypeScript source) that checks it. */
  readonly test: string;
  /** Runs only the tests of that file whose name matches (node --test-name-pattern). */
  readonly testName?: string;
}

export const SCENARIOS: readonly Scenario[] = [
  // ------------------------------------------------------------------ faults
  {
    id: "agent-killed",
    kind: "fault",
    scenario: "an agent is killed with SIGKILL mid-run",
    must: "declared lost within 3 s; its share redistributed to the others; the merged count exact",
    test: "test/integration/nats/distributed.test.ts",
    testName: "killed with SIGKILL",
  },
  {
    id: "nats-restart",
    kind: "fault",
    scenario: "the NATS server restarts mid-run",
    must: "everyone reconnects; no report lost or merged twice",
    test: "test/integration/nats/distributed.test.ts",
    testName: "NATS restart",
  },
  {
    id: "coordinator-gone",
    kind: "fault",
    scenario: "the coordinator's NATS connection vanishes mid-run",
    must: "each agent stops the run's load by itself within its dead-man time",
    test: "test/integration/nats/coordinator-loss.test.ts",
  },
  {
    id: "dead-man-owner",
    kind: "fault",
    scenario: "`assay run --nats` killed with SIGKILL while an idle `assay coordinator` answers heartbeats on the same NATS",
    must: "only the run's owner keeps its shards alive: the agent stops the load within its dead-man time",
    test: "test/integration/nats/dead-man-owner.test.ts",
  },
  {
    id: "run-resume",
    kind: "fault",
    scenario: "`assay run --nats --state-id` killed mid-run and started again",
    must: "resumes the run: every report merged once, nothing re-sent",
    test: "test/integration/nats/coordinator-loss.test.ts",
  },
  {
    id: "service-resume",
    kind: "fault",
    scenario: "the coordinator service over NATS killed mid-experiment and started again",
    must: "resumes the experiment: no request lost or repeated",
    test: "test/e2e/api/resume.test.ts",
  },
  {
    id: "poison-experiment",
    kind: "fault",
    scenario: "the service restarts 3 times during one experiment",
    must: "resumed after restarts 1 and 2; failed with the reason at the 3rd (`maxRestarts`); its orphaned load stopped by the dead-man switch",
    test: "test/e2e/api/poison.test.ts",
  },
  // ------------------------------------------------------------------ hostile input
  {
    id: "parse-isolation",
    kind: "hostile input",
    scenario: "an experiment within the parse limits but seconds to read (60,000 template actions) submitted while another runs",
    must: "parsed in a worker thread: refused at `parseTimeout` with EXPERIMENT_TOO_LARGE; the event loop and the API stay responsive; the other run completes",
    test: "test/integration/service/isolation.test.ts",
  },
  {
    id: "template-isolation",
    kind: "hostile input",
    scenario: "a notify payloadTemplate that loops for ever (10^10 range iterations), steps unbounded by config so it runs to its 1.5 s time limit, while another experiment's load runs",
    must: "rendered in the template worker thread: the task fails with TEMPLATE_BUDGET_EXCEEDED at its time limit; the event loop and the API stay responsive; the other run completes",
    test: "test/integration/service/isolation.test.ts",
  },
  {
    id: "condition-cost",
    kind: "hostile input",
    scenario: "the longest `if:` condition the parser accepts (4,096 characters), evaluated 1,000 times",
    must: "linear in its length (no loops, no deep comparison): well under 1 ms of CPU per evaluation, so it stays on the event loop",
    test: "test/integration/service/isolation.test.ts",
  },
  {
    id: "many-headers",
    kind: "hostile input",
    scenario: "9,000 headers (860 KB, within the parse limits)",
    must: "read in linear time",
    test: "test/integration/service/isolation.test.ts",
  },
  {
    id: "yaml-alias-bomb",
    kind: "hostile input",
    scenario: "nested YAML aliases (billion laughs), deep nesting, too many nodes, an oversized document",
    must: "refused at parse time in milliseconds with EXPERIMENT_TOO_LARGE",
    test: "test/unit/experiment/limits.test.ts",
  },
  {
    id: "runaway-template",
    kind: "hostile input",
    scenario: "`{{ range 100000 }}{{ range 100000 }}`, output bombs, recursion, slow templates",
    must: "stopped at 1,000,000 steps, 1 MiB, 2 s or depth 100 with TEMPLATE_BUDGET_EXCEEDED",
    test: "test/unit/template/budget.test.ts",
  },
  {
    id: "malformed-agent-messages",
    kind: "hostile input",
    scenario: "malformed messages on agent subjects during a run",
    must: "logged and dropped (MALFORMED_MESSAGE); the run completes",
    test: "test/integration/nats/distributed.test.ts",
    testName: "malformed messages",
  },
  {
    id: "protocol-fuzz",
    kind: "hostile input",
    scenario: "every agent protocol message decoded from arbitrary and mutated bytes; the agent's control handler fed arbitrary bytes and generated Controls",
    must: "no crash, no hang; a message or a typed MALFORMED_MESSAGE; a typed ControlReply every time",
    test: "test/unit/agent/protocol.fuzz.test.ts",
  },
  {
    id: "experiment-fuzz",
    kind: "hostile input",
    scenario: "generated experiments, raw YAML, `--set` overrides and `if:` conditions",
    must: "no crash, no hang; a model or a located ValidationError",
    test: "test/unit/experiment/fuzz.test.ts",
  },
  {
    id: "template-fuzz",
    kind: "hostile input",
    scenario: "generated templates",
    must: "no crash, no hang; output or a typed template error",
    test: "test/unit/template/fuzz.test.ts",
  },
  {
    id: "http-parser-fuzz",
    kind: "hostile input",
    scenario: "random, generated and mutated HTTP responses at random splits into the fast path's parser",
    must: "no exception, no hang; the same typed outcome however the bytes are split",
    test: "test/unit/agent/http1-parser.fuzz.test.ts",
  },
  {
    id: "http-response-forms",
    kind: "hostile input",
    scenario: "87 odd HTTP response forms (section 'The forms, tested') through both HTTP clients",
    must: "both clients agree with each other and with what the target sent",
    test: "test/integration/agent/response-forms.test.ts",
  },
  // ------------------------------------------------------------------ bad input
  {
    id: "bad-values",
    kind: "bad input",
    scenario: "`numRequests: 1e300`, CRLF in a header value, stages that never rise above 0 qps, fractional counts, `--set x=*alias`",
    must: "a validation error naming the field and line, before anything runs",
    test: "test/unit/experiment/bad-input.test.ts",
  },
  // Allow-list, secrets, caps and `run` refusal (issue 13 items 5-7) add their rows here.
];

/** Appends a measured figure for scenario `id` when ASSAY_RELIABILITY_OUT names a file. */
export function recordMeasurement(id: string, measured: string): void {
  const out = process.env["ASSAY_RELIABILITY_OUT"];
  if (out === undefined || out === "") return;
  appendFileSync(out, `${JSON.stringify({ id, measured })}\n`);
}

export const RELIABILITY_TABLE_BEGIN = "<!-- reliability-scenarios:begin (generated by scripts/reliability-table.mjs from test/harness/reliability.ts) -->";
export const RELIABILITY_TABLE_END = "<!-- reliability-scenarios:end -->";

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The first four cells of a scenario's row (what must not drift from this file). */
export function scenarioRowPrefix(s: Scenario): string {
  return `| ${s.id} | ${s.kind} | ${cell(s.scenario)} | ${cell(s.must)} |`;
}

/** The markdown table; `measured(id)` gives the last cell. */
export function renderReliabilityTable(measured: (id: string) => string): string {
  const lines = ["| id | kind | scenario | must | measured | test |", "|---|---|---|---|---|---|"];
  for (const s of SCENARIOS) lines.push(`${scenarioRowPrefix(s)} ${cell(measured(s.id))} | ${s.test} |`);
  return lines.join("\n");
}
