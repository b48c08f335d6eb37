/** Local mode's --burst-start-stagger-ms: parsed, checked and documented as its other settings are, and handed to the burst pool's members. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseLocalConfig, resolveConfig, usage, UsageError } from "../../local/src/config";
import { REPO_ROOT } from "../../packages/tooling/src/processes";
import { burstWorkerSpec, type Ports, type Programs } from "../../local/src/topology";

const parse = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseLocalConfig(argv, env);
  if (r.help) throw new Error("unexpected help");
  return r.config;
};

describe("--burst-start-stagger-ms / BURST_START_STAGGER_MS", () => {
  it("is unset by default (the burst workers start together), and read from the flag or the variable, the flag winning", () => {
    expect(parse([]).burstStartStaggerMs).toBeUndefined();
    expect(parse(["--burst-start-stagger-ms", "3000"]).burstStartStaggerMs).toBe(3_000);
    expect(parse([], { BURST_START_STAGGER_MS: "1000" }).burstStartStaggerMs).toBe(1_000);
    expect(parse(["--burst-start-stagger-ms=0"], { BURST_START_STAGGER_MS: "1000" }).burstStartStaggerMs).toBe(0);
    expect(parse([], { BURST_START_STAGGER_MS: " " }).burstStartStaggerMs).toBeUndefined();
    expect(resolveConfig({ burstStartStaggerMs: 500 }).burstStartStaggerMs).toBe(500);
  });

  it.each([
    [["--burst-start-stagger-ms", "3s"], /^--burst-start-stagger-ms="3s" is invalid: must be an integer from 0 to 60000$/],
    [["--burst-start-stagger-ms=-1"], /^--burst-start-stagger-ms="-1" is invalid: must be an integer from 0 to 60000$/],
    [["--burst-start-stagger-ms", "1.5"], /^--burst-start-stagger-ms="1.5" is invalid: must be an integer from 0 to 60000$/],
    [["--burst-start-stagger-ms", "60001"], /^--burst-start-stagger-ms="60001" is invalid: must be an integer from 0 to 60000$/],
  ])("refuses %j with one line naming the flag and what it must be", (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
  });

  it("names the variable when the bad value comes from the environment, and checks values given in code", () => {
    expect(() => parse([], { BURST_START_STAGGER_MS: "soon" })).toThrow(/^BURST_START_STAGGER_MS="soon" is invalid: must be an integer from 0 to 60000$/);
    expect(() => resolveConfig({ burstStartStaggerMs: -5 })).toThrow(/^--burst-start-stagger-ms="-5" is invalid/);
  });

  it("is in --help and in docs/local.md's table", () => {
    expect(usage()).toMatch(/--burst-start-stagger-ms <v>\s+BURST_START_STAGGER_MS\s+ms between the starts of two burst workers.*\(default unset: they start together\)/);
    const doc = readFileSync(join(REPO_ROOT, "docs", "local.md"), "utf8");
    expect(doc).toMatch(/\| `--burst-start-stagger-ms` \| `BURST_START_STAGGER_MS` \| unset \|/);
  });

  it("reaches the burst pool through each member's spec (0 when unset)", () => {
    const topology = (burstStartStaggerMs?: number) => ({
      config: resolveConfig({ burstStartStaggerMs }),
      ports: { redis: 6379 } as Ports,
      programs: { worker: "apps/worker/dist/index.js" } as Programs,
    });
    expect(burstWorkerSpec(topology(3_000), "worker-burst-1", 4000).startStaggerMs).toBe(3_000);
    expect(burstWorkerSpec(topology(), "worker-burst-1", 4000).startStaggerMs).toBe(0);
    // not an environment variable of the worker: local mode's own setting
    expect(burstWorkerSpec(topology(3_000), "worker-burst-1", 4000).env?.BURST_START_STAGGER_MS).toBeUndefined();
  });
});
