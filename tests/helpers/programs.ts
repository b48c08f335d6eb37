/** The built programs (`npm test` runs `npm run build` before jest), spawned as a user would run them. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

/** The absolute path of a built entry point, e.g. `apps/worker/dist/index.js`; throws a setup error when it is missing. */
export function builtProgram(relPath: string): string {
  const path = join(ROOT, relPath);
  if (!existsSync(path)) throw new Error(`${relPath} is missing: run 'npm run build' first (npm test does)`);
  return path;
}

export interface RunningProgram {
  child: ChildProcess;
  /** everything it printed so far, stdout and stderr interleaved */
  output: () => string;
}

/** Runs a built program with only PATH and `env` in its environment, collecting its output. */
export function runProgram(path: string, env: Record<string, string>): RunningProgram {
  const child = spawn(process.execPath, [path], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}
