/**
 * defineCommand: help generated from the flags, "did you mean" for unknown flags, repeatable flags,
 * required positionals, -o, the client's lifecycle, colour precedence; and every real command's
 * help listing each of its flags exactly once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { ErrorCode, isAssayError } from "../../../core/index.js";
import { defineCommand } from "../../../cli/command.js";
import type { Command, LogSettings } from "../../../cli/command.js";
import { COMMANDS, main } from "../../../cli/main.js";
import { OutputFormat, resolveColor } from "../../../cli/output.js";
import type { CliIo } from "../../../cli/output.js";
import { closest, editDistance } from "../../../cli/suggest.js";

interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}

function fakeIo(env: NodeJS.ProcessEnv = {}, isTTY = false): FakeIo {
  const sink = (): Writable & { text: string; isTTY: boolean } => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        stream.text += chunk.toString();
        done();
      },
    }) as Writable & { text: string; isTTY: boolean };
    stream.text = "";
    stream.isTTY = isTTY;
    return stream;
  };
  const stdout = sink();
  const stderr = sink();
  return { stdout, stderr, env, cwd: process.cwd(), out: () => stdout.text, err: () => stderr.text };
}

/** What a sample command saw, for the assertions. */
let seen: { flags: Record<string, unknown>; args: Record<string, unknown>; format: string; color: boolean; log: LogSettings } | undefined;

const sample = defineCommand({
  name: "sample",
  summary: "a command for the tests",
  description: "Does nothing but record what it was given.",
  positionals: [
    { name: "FILE", description: "the input" },
    { name: "MORE", description: "optional extra", required: false },
  ],
  output: { formats: [OutputFormat.Text, OutputFormat.Json] },
  flags: {
    agents: { type: "string", value: "N", description: "how many agents" },
    wait: { type: "string", value: "D", default: "15s", description: "how long to wait" },
    set: { type: "string", value: "KEY=VALUE", repeatable: true, description: "override a field" },
    quiet: { type: "boolean", short: "q", description: "say less" },
    nats: { type: "string", value: "URL", group: "remote", description: "a NATS server" },
  },
  run({ flags, args, format, color, log }) {
    seen = { flags: { ...flags }, args: { ...args }, format, color, log };
    return Promise.resolve(0);
  },
});

async function rejectsWith(run: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(isAssayError(error), String(error));
    assert.equal(error.code, ErrorCode.BadFlag);
    assert.match(error.message, pattern);
    return true;
  });
}

describe("defineCommand", () => {
  it("generates usage and help from the flags, grouped, with values, defaults and repeatable marks", async () => {
    const io = fakeIo();
    assert.equal(await sample.run(["--help"], io), 0);
    const help = io.out();
    assert.equal(help, sample.help());
    assert.match(help, /^usage: assay sample FILE \[MORE\] \[options\]\n\nDoes nothing but record what it was given\.\n/);
    assert.match(help, /^ {2}FILE +the input$/m);
    assert.match(help, /^ {2}-o, --output text\|json +output format \(default text\)$/m);
    assert.match(help, /^ {6}--agents N +how many agents$/m);
    assert.match(help, /^ {6}--wait D +how long to wait \(default 15s\)$/m);
    assert.match(help, /^ {6}--set KEY=VALUE +override a field \(repeatable\)$/m);
    assert.match(help, /^ {2}-q, --quiet +say less$/m);
    assert.match(help, /^ {2}-h, --help +print this help$/m);
    assert.match(help, /^ {6}--no-color /m);
    assert.match(help, /\n\nremote:\n {6}--nats URL +a NATS server\n$/, "grouped flags come after the others, under their heading");
    assert.deepEqual(sample.flagNames, ["--output", "--agents", "--wait", "--set", "--quiet", "--nats", "--help", "--no-color", "--log-format"]);
  });

  it("prints help even when the rest of the line is wrong", async () => {
    const io = fakeIo();
    assert.equal(await sample.run(["--bogus", "-h"], io), 0);
    assert.equal(io.out(), sample.help());
  });

  it("names an unknown flag with the nearest known one", async () => {
    await rejectsWith(sample.run(["x", "--agent", "2"], fakeIo()), /unknown flag --agent \(did you mean --agents\?\)/);
    await rejectsWith(sample.run(["x", "--ouptut", "json"], fakeIo()), /unknown flag --ouptut \(did you mean --output\?\)/);
    await rejectsWith(sample.run(["x", "--no-colour"], fakeIo()), /did you mean --no-color\?/);
    await rejectsWith(sample.run(["x", "--zzzzzz"], fakeIo()), /^assay sample: unknown flag --zzzzzz$/);
    await rejectsWith(sample.run(["x", "-x"], fakeIo()), /unknown flag -x/);
  });

  it("reports a missing value and a value given to a boolean", async () => {
    await rejectsWith(sample.run(["x", "--agents"], fakeIo()), /--agents/);
    await rejectsWith(sample.run(["x", "--quiet=yes"], fakeIo()), /--quiet/);
  });

  it("collects repeatable flags in order, [] when absent; booleans false and defaults when absent", async () => {
    assert.equal(await sample.run(["x", "--set", "a=1", "--set", "b=2", "-q"], fakeIo()), 0);
    assert.deepEqual(seen?.flags["set"], ["a=1", "b=2"]);
    assert.equal(seen?.flags["quiet"], true);
    assert.equal(await sample.run(["x"], fakeIo()), 0);
    assert.deepEqual(seen?.flags["set"], []);
    assert.equal(seen?.flags["quiet"], false);
    assert.equal(seen?.flags["wait"], "15s");
    assert.equal(seen?.flags["agents"], undefined);
    assert.equal(seen?.format, "text");
  });

  it("requires required positionals, leaves optional ones undefined, refuses extra ones", async () => {
    await rejectsWith(sample.run([], fakeIo()), /^assay sample: missing FILE$/);
    assert.equal(await sample.run(["a.yaml"], fakeIo()), 0);
    assert.deepEqual(seen?.args, { FILE: "a.yaml", MORE: undefined });
    assert.equal(await sample.run(["a.yaml", "b"], fakeIo()), 0);
    assert.deepEqual(seen?.args, { FILE: "a.yaml", MORE: "b" });
    await rejectsWith(sample.run(["a", "b", "c"], fakeIo()), /unexpected argument "c"/);
  });

  it("validates -o against the command's formats", async () => {
    assert.equal(await sample.run(["x", "-o", "json"], fakeIo()), 0);
    assert.equal(seen?.format, "json");
    await rejectsWith(sample.run(["x", "-o", "html"], fakeIo()), /"html" is not one of text, json/);
  });

  it("refuses a flag or a short letter defined twice", () => {
    assert.throws(() => defineCommand({ name: "twice", summary: "", flags: { help: { type: "boolean", description: "" } }, run: () => Promise.resolve(0) }), /--help is defined twice/);
    assert.throws(() => defineCommand({ name: "twice", summary: "", flags: { hint: { type: "boolean", short: "h", description: "" } }, run: () => Promise.resolve(0) }), /-h is defined twice/);
  });

  it("gives client commands the connection flags and one client, closed when the command returns", async () => {
    let calls = 0;
    let captured: Awaited<ReturnType<Parameters<Parameters<typeof defineCommand>[0]["run"]>[0]["client"]>> | undefined;
    const clientCommand = defineCommand({
      name: "client-sample",
      summary: "",
      client: true,
      flags: {},
      async run({ client, clientFlags }) {
        calls++;
        assert.equal(clientFlags.coordinator, "127.0.0.1:9");
        captured = await client();
        assert.equal(await client(), captured, "one client per run");
        return 0;
      },
    });
    assert.ok(clientCommand.flagNames.includes("--coordinator") && clientCommand.flagNames.includes("--tls-ca"));
    assert.equal(await clientCommand.run(["--coordinator", "127.0.0.1:9"], fakeIo()), 0);
    assert.equal(calls, 1);
    assert.equal(captured?.target, "127.0.0.1:9");
    await assert.rejects(async () => captured?.listAgents(), /shut down/, "the client is closed after the command");
    await assert.rejects(
      defineCommand({ name: "not-client", summary: "", flags: {}, run: async ({ client }) => (await client(), 0) }).run([], fakeIo()),
      (error: unknown) => isAssayError(error) && error.code === ErrorCode.Invariant,
    );
  });
});

describe("colour", () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it("--no-color > FORCE_COLOR > NO_COLOR > terminal detection", () => {
    assert.equal(resolveColor({ noColorFlag: true, env: { FORCE_COLOR: "1" }, stream: tty }), false);
    assert.equal(resolveColor({ noColorFlag: false, env: { FORCE_COLOR: "1", NO_COLOR: "1" }, stream: pipe }), true);
    assert.equal(resolveColor({ noColorFlag: false, env: { FORCE_COLOR: "" }, stream: pipe }), true);
    assert.equal(resolveColor({ noColorFlag: false, env: { FORCE_COLOR: "0" }, stream: tty }), false);
    assert.equal(resolveColor({ noColorFlag: false, env: { FORCE_COLOR: "false" }, stream: tty }), false);
    assert.equal(resolveColor({ noColorFlag: false, env: { NO_COLOR: "1" }, stream: tty }), false);
    assert.equal(resolveColor({ noColorFlag: false, env: { NO_COLOR: "" }, stream: tty }), true, "an empty NO_COLOR is not set (no-color.org)");
    assert.equal(resolveColor({ noColorFlag: false, env: {}, stream: tty }), true);
    assert.equal(resolveColor({ noColorFlag: false, env: { TERM: "dumb" }, stream: tty }), false);
    assert.equal(resolveColor({ noColorFlag: false, env: {}, stream: pipe }), false);
  });

  it("reaches the command as context.color", async () => {
    await sample.run(["x"], fakeIo({}, true));
    assert.equal(seen?.color, true);
    await sample.run(["x", "--no-color"], fakeIo({ FORCE_COLOR: "1" }, true));
    assert.equal(seen?.color, false);
    await sample.run(["x"], fakeIo({ FORCE_COLOR: "1" }, false));
    assert.equal(seen?.color, true);
  });
});

describe("log format", () => {
  let serviceLog: LogSettings | undefined;
  const service = defineCommand({
    name: "service",
    summary: "a long-running service for the tests",
    flags: {},
    service: true,
    run({ log }) {
      serviceLog = log;
      return Promise.resolve(0);
    },
  });

  it("is human for commands, whatever stderr is, unless --log-format json", async () => {
    await sample.run(["x"], fakeIo({}, false));
    assert.equal(seen?.log.format, "human");
    await sample.run(["x", "--log-format", "json"], fakeIo({}, true));
    assert.equal(seen?.log.format, "json");
  });

  it("is JSON for services when stderr is not a terminal, human lines on one", async () => {
    await service.run([], fakeIo({}, false));
    assert.equal(serviceLog?.format, "json");
    await service.run([], fakeIo({}, true));
    assert.deepEqual(serviceLog, { format: "human", color: true });
    await service.run(["--log-format", "json", "--no-color"], fakeIo({}, true));
    assert.deepEqual(serviceLog, { format: "json", color: false });
  });

  it("refuses an unknown format, naming the ones there are", async () => {
    await rejectsWith(sample.run(["x", "--log-format", "yaml"], fakeIo()), /--log-format: "yaml" is not one of human, json/);
  });
});

describe("suggestions", () => {
  it("counts a swap of neighbours as one edit", () => {
    assert.equal(editDistance("ouptut", "output"), 1);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("run", "run"), 0);
  });
  it("suggests only close names, or the one a prefix names", () => {
    assert.equal(closest("rnu", ["run", "report", "list"]), "run");
    assert.equal(closest("--rep", ["--report-interval", "--out"]), "--report-interval");
    assert.equal(closest("xyz", ["run", "report"]), undefined);
  });
});

/** The long flags in a help text's label column (`  -o, --output X  ...`, `      --set ...`). */
function labelledFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-\w, | {4})(--[\w-]+)/gm)].map((m) => m[1] ?? "");
}

describe("assay's commands", () => {
  it("every command's help lists each of its flags exactly once", () => {
    assert.ok(COMMANDS.length >= 15);
    for (const command of COMMANDS) {
      const listed = labelledFlags(command.help());
      assert.deepEqual([...listed].sort(), [...command.flagNames].sort(), `assay ${command.name} --help`);
      assert.equal(new Set(listed).size, listed.length, `assay ${command.name}: a flag listed twice`);
    }
  });

  it("`assay help` lists every command with its summary; `assay help run` is `assay run --help`", async () => {
    const list = fakeIo();
    assert.equal(await main(["help"], list), 0);
    for (const command of COMMANDS) assert.match(list.out(), new RegExp(`^ {2}${command.name}\\b.* ${escape(command.summary)}$`, "m"));
    const viaHelp = fakeIo();
    const viaFlag = fakeIo();
    assert.equal(await main(["help", "run"], viaHelp), 0);
    assert.equal(await main(["run", "--help"], viaFlag), 0);
    assert.equal(viaHelp.out(), viaFlag.out());
    assert.match(viaHelp.out(), /^usage: assay run FILE \[options\]/);
  });

  it("an unknown command or flag exits 2 with a suggestion", async () => {
    const unknown = fakeIo();
    assert.equal(await main(["rnu"], unknown), 2);
    assert.match(unknown.err(), /unknown command "rnu" \(did you mean "run"\?\)/);
    const flag = fakeIo();
    assert.equal(await main(["run", "x.yaml", "--agent", "2"], flag), 2);
    assert.match(flag.err(), /^error \[CLI_BAD_FLAG\]: assay run: unknown flag --agent \(did you mean --agents\?\)/);
    const help = fakeIo();
    assert.equal(await main(["help", "rnu"], help), 2);
    assert.match(help.err(), /did you mean "run"/);
  });

  it("`run` lists --agents once (it used to be twice)", () => {
    const run = COMMANDS.find((c) => c.name === "run") as Command;
    assert.equal(labelledFlags(run.help()).filter((flag) => flag === "--agents").length, 1);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
