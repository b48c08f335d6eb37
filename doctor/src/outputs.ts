/**
 * The stack's outputs the doctor starts from: `pulumi stack output --json --show-secrets` of the
 * selected stack (or `--stack <name>`), or a file holding that JSON (`--outputs <file>`).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { StackView } from "./links";

export interface DoctorOptions {
  stack?: string;
  outputsFile?: string;
  /** where the frontend answers, when not at the stack's frontendUrl */
  frontendUrl?: string;
}

export const USAGE = "usage: npm run doctor [-- --stack <name>] [--outputs <file of pulumi stack output --json --show-secrets>] [--frontend-url <url>]";

export function parseArgs(argv: string[]): DoctorOptions {
  const options: DoctorOptions = {};
  const names: Record<string, keyof DoctorOptions> = { "--stack": "stack", "--outputs": "outputsFile", "--frontend-url": "frontendUrl" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    const value = argv[i + 1];
    if (!key || value === undefined || value.startsWith("--")) throw new Error(`${argv[i]}${key ? " needs a value" : " is not an option"}; ${USAGE}`);
    options[key] = value;
  }
  return options;
}

function readOutputs(options: DoctorOptions): Record<string, unknown> {
  if (options.outputsFile) return JSON.parse(readFileSync(options.outputsFile, "utf8")) as Record<string, unknown>;
  const args = ["stack", "output", "--json", "--show-secrets", ...(options.stack ? ["--stack", options.stack] : [])];
  const run = spawnSync("pulumi", args, { encoding: "utf8" });
  if (run.error) throw new Error(`cannot run pulumi (${run.error.message}): install the Pulumi CLI, or pass --outputs <file>`);
  if (run.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed: ${run.stderr.trim().split("\n")[0]}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** The outputs the links need, each checked; a clear error naming the missing one. */
export function stackView(options: DoctorOptions): StackView {
  const outputs = readOutputs(options);
  const text = (name: string, optional = false): string | undefined => {
    const value = outputs[name];
    if (typeof value === "string" && value !== "" && value !== "[secret]") return value;
    if (optional) return undefined;
    throw new Error(`the stack has no output ${name}${value === "[secret]" ? " in clear (pass --show-secrets)" : ""}: run pulumi up first`);
  };
  return {
    primaryKubeconfig: text("primaryKubeconfig")!,
    burstKubeconfig: text("burstKubeconfig")!,
    namespace: text("appNamespace")!,
    remoteSecretName: text("remoteSecretName")!,
    eastWestGatewayAddress: text("eastWestGatewayAddress", true),
    frontendUrl: options.frontendUrl ?? text("frontendUrl")!,
    istioVersion: text("istioVersion")!,
  };
}
