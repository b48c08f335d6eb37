/**
 * One Pulumi operation on the end-to-end stack, in a process of its own (the program registers its
 * resources once per process, as under the CLI's own language host):
 *
 *   node e2e/dist/e2e/src/pulumi-driver.js <home> <result.json> config <json of {key: {value, secret}}>
 *   node e2e/dist/e2e/src/pulumi-driver.js <home> <result.json> up | preview | destroy | export | outputs
 *
 * `preview` expects no changes (`--expect-no-changes`). The engine's output goes to stderr; the
 * result (timings, the change summary, outputs, the exported state) is written to <result.json>.
 */
import { writeFileSync } from "node:fs";
import type { ConfigMap, EngineEvent, PulumiFn } from "@pulumi/pulumi/automation";
import { openStack, stackHome } from "./pulumi";
import { findTools } from "./tools";

/** The stack's program: index.ts as compiled beside this file, run afresh in this process. */
const program: PulumiFn = async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const outputs = require("../../index") as Record<string, unknown>;
  return { ...outputs };
};

const log = (text: string) => process.stderr.write(text);

async function run(homeDir: string, command: string, arg: string | undefined): Promise<unknown> {
  const tools = findTools();
  const home = stackHome(homeDir);
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const stack = await openStack(tools, home, ["up", "preview"].includes(command) ? program : undefined);
  switch (command) {
    case "config": {
      await stack.setAllConfig(JSON.parse(arg ?? "{}") as ConfigMap);
      return { seconds: seconds() };
    }
    case "up": {
      const changes: { op: string; type: string; urn: string }[] = [];
      const onEvent = (event: EngineEvent) => {
        const step = event.resOutputsEvent?.metadata;
        if (step && step.op !== "same" && step.op !== "read") changes.push({ op: step.op, type: step.type, urn: step.urn });
      };
      const up = await stack.up({ onOutput: log, onEvent, color: "never" });
      const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
      return { seconds: seconds(), summary: up.summary, changes, outputs };
    }
    case "preview": {
      const preview = await stack.preview({ onOutput: log, color: "never", expectNoChanges: true, diff: true });
      return { seconds: seconds(), changeSummary: preview.changeSummary };
    }
    case "destroy": {
      const destroy = await stack.destroy({ onOutput: log, color: "never" });
      return { seconds: seconds(), summary: destroy.summary };
    }
    case "export":
      return { seconds: seconds(), deployment: await stack.exportStack() };
    case "outputs":
      // as `pulumi stack output --json --show-secrets` prints them
      return { seconds: seconds(), outputs: Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value])) };
    default:
      throw new Error(`unknown command ${command}: config, up, preview, destroy, export or outputs`);
  }
}

const [homeDir, resultFile, command, arg] = process.argv.slice(2);
if (!homeDir || !resultFile || !command) {
  process.stderr.write("usage: pulumi-driver <home> <result.json> config <json> | up | preview | destroy | export | outputs\n");
  process.exit(2);
}
run(homeDir, command, arg).then(
  (result) => writeFileSync(resultFile, JSON.stringify({ ok: true, ...(result as object) }), { mode: 0o600 }),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    writeFileSync(resultFile, JSON.stringify({ ok: false, error: message }));
    log(`${message}\n`);
    process.exitCode = 1;
  },
);
