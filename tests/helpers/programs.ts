/** The built programs (`npm test` runs `npm run build` before jest), spawned as a user would run them. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { REPO_ROOT, startRedis, type RedisServer } from "../../packages/tooling/src/processes";

export { builtProgram, REPO_ROOT as ROOT } from "../../packages/tooling/src/processes";

export interface RunningProgram {
  child: ChildProcess;
  /** everything it printed so far, stdout and stderr interleaved */
  output: () => string;
}

/** Runs a built program with only PATH and `env` in its environment, collecting its output. */
export function runProgram(path: string, env: Record<string, string>): RunningProgram {
  const child = spawn(process.execPath, [path], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

/**
 * A built program to run against a throwaway redis-server shared by the test file (started before
 * its tests, disposed after): `redis()` is that server, `run(env)` starts the program.
 */
export function programWithRedis(path: string): { program: string; redis: () => RedisServer; run: (env: Record<string, string>) => RunningProgram } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return {
    redis: () => {
      if (!server) throw new Error("redis-server is not started yet: use redis() inside a test");
      return server;
    },
    program: path,
    run: (env) => runProgram(path, env),
  };
}

/**
 * Runs a built program with `env` on top of PATH, PORT=0 and an unreachable Redis (a start-up check
 * never gets that far), expects it to refuse to start: a non-zero exit, nothing on stdout, one line
 * on stderr, which it returns.
 */
export function startupRefusal(path: string, env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [path], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", PORT: "0", REDIS_URL: "127.0.0.1:1", ...env }, encoding: "utf8", timeout: 10_000 });
  expect(r.status).not.toBe(0);
  expect(r.status).not.toBeNull();
  expect(r.stdout).toBe("");
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0];
}
