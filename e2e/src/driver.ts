/**
 * Runs one Pulumi operation on the end-to-end stack (pulumi-driver.js, compiled beside this file) and
 * returns its result; the engine's output goes to a log file whose end is shown on failure.
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, builtProgram, killedWithParent } from "../../local/src/processes";

export interface DriverResult {
  ok: boolean;
  error?: string;
  seconds: number;
  [key: string]: unknown;
}

export async function pulumiOp(homeDir: string, command: string, arg?: string): Promise<DriverResult> {
  const driver = builtProgram("e2e/dist/e2e/src/pulumi-driver.js");
  const resultFile = join(homeDir, `${command}-result.json`);
  const logFile = join(homeDir, "pulumi.log");
  mkdirSync(homeDir, { recursive: true });
  rmSync(resultFile, { force: true });
  appendFileSync(logFile, `\n===== pulumi ${command} ${new Date().toISOString()}\n`);
  const cmd = killedWithParent(process.execPath, [driver, homeDir, resultFile, command, ...(arg !== undefined ? [arg] : [])]);
  const child = spawn(cmd.file, cmd.args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => appendFileSync(logFile, d));
  child.stderr!.on("data", (d: Buffer) => appendFileSync(logFile, d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  let result: DriverResult;
  try {
    result = JSON.parse(readFileSync(resultFile, "utf8")) as DriverResult;
  } catch {
    result = { ok: false, seconds: 0, error: `the driver exited with ${code} and wrote no result` };
  }
  if (!result.ok) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-80).join("\n");
    throw new Error(`pulumi ${command} failed: ${(result.error ?? "").split("\n")[0].slice(0, 300)}\n--- the end of ${logFile}:\n${tail}`);
  }
  return result;
}
