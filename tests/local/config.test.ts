/** Local mode's settings: its own table and every watcher setting as a flag or a variable, checked with the contract's vocabulary. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_WATCHER_SETTINGS, settingFlag, WATCHER_SETTINGS } from "@istio-burst/contract";
import { LOCAL_SETTINGS, parseLocalConfig, resolveConfig, usage, UsageError } from "../../local/src/config";
import { REPO_ROOT } from "../../packages/tooling/src/processes";

const parse = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseLocalConfig(argv, env);
  if (r.help) throw new Error("unexpected help");
  return r.config;
};

describe("local mode settings", () => {
  it("defaults to the watcher's defaults, port 8080, one process per pool and a 1 s scrape", () => {
    expect(parse([])).toEqual({ port: 8080, basePort: 0, primaryWorkers: 1, hashRounds: 1, keepTemp: false, ...DEFAULT_WATCHER_SETTINGS, scrapeInterval: 1_000, upRateWindow: 3_000, rateWindow: 6_000, downStabilization: 6_000, trendWindow: 10_000, scaleUpTime: 2_000, prewarmTimeout: 2_000 });
    expect(resolveConfig({})).toEqual(parse([]));
  });

  it("has a flag and the watcher's variable for every watcher setting, and lets the flag win", () => {
    const c = parse(["--high-rps", "20", "--burst-max-replicas=3", "--mode", "overflow", "--keep-temp", "--dry-run", "--burst-retry-after", "90s"], {
      HIGH_RPS: "99",
      LOW_RPS: "4",
      LOCAL_PORT: "9090",
      PRIMARY_WORKERS: "2",
      RATE_WINDOW: "5",
      MIN_DWELL: "500ms",
      NATURAL_WEIGHTS: "90,10",
      BURST_HEALTH_QUERY: "off",
    });
    expect(c).toMatchObject({ highRps: 20, lowRps: 4, port: 9090, primaryWorkers: 2, burstMaxReplicas: 3, mode: "overflow", keepTemp: true, dryRun: true });
    expect(c).toMatchObject({ rateWindow: 5_000, minDwell: 500, burstRetryAfter: 90_000, naturalWeights: { primary: 90, burst: 10 }, burstHealthQuery: "off" });
    // derived defaults follow the values given
    expect(c).toMatchObject({ primaryCapacityRps: 20, overflowBandRps: 16 });
  });

  it("treats empty variables as unset and reads booleans with the one grammar", () => {
    expect(parse([], { HIGH_RPS: "", LOCAL_PORT: " ", LOCAL_KEEP_TEMP: "" })).toMatchObject({ highRps: 15, port: 8080, keepTemp: false });
    expect(parse([], { LOCAL_KEEP_TEMP: "yes", DRY_RUN: "on" })).toMatchObject({ keepTemp: true, dryRun: true });
    expect(() => parse([], { LOCAL_KEEP_TEMP: "maybe" })).toThrow(/^LOCAL_KEEP_TEMP="maybe" is invalid: must be true or false$/);
  });

  it.each([
    [["--high-rps", "lots"], /^--high-rps="lots" is invalid: must be a number above 0$/],
    [["--low-rps=-1"], /^--low-rps="-1" is invalid: must be a number of at least 0$/],
    [["--low-rps", "-1"], /^Option '--low-rps' argument is ambiguous/],
    [["--port", "70000"], /^--port="70000" is invalid: must be an integer from 0 to 65535$/],
    [["--primary-workers", "0"], /^--primary-workers="0" is invalid: must be an integer from 1 to 32$/],
    [["--burst-max-replicas", "1.5"], /^--burst-max-replicas="1.5" is invalid/],
    [["--burst-workers", "2"], /^Unknown option '--burst-workers'/],
    [["--mode", "random"], /^--mode="random" is invalid: must be one of switch, overflow$/],
    [["--scrape-interval", "soon"], /^--scrape-interval="soon" is invalid: must be a duration/],
    [["--poll-interval", "soon"], /^--poll-interval="soon" is invalid: must be a duration/],
    [["--natural-weights", "60,30"], /^--natural-weights="60,30" is invalid: must be two integers primary,burst/],
    [["--low-rps", "20"], /^--low-rps="20" is invalid: must be a number below --high-rps \(15\)$/],
    [["--burst-weights", "100,0"], /^--burst-weights="100,0" is invalid: must be weights that send more to burst than --natural-weights/],
    [["--base-port", "65530"], /^--base-port="65530" is invalid: must be a port that leaves room for 7 consecutive ports$/],
    [["--nope"], /Unknown option '--nope'/],
    [["extra"], /extra/],
  ])("refuses %j with one line naming the flag", (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
    expect(() => parse(argv)).not.toThrow(/\n/);
  });

  it("names the variable when the bad value comes from the environment", () => {
    expect(() => parse([], { HIGH_RPS: "x" })).toThrow(/^HIGH_RPS="x" is invalid/);
    expect(() => parse([], { LOCAL_PORT: "http" })).toThrow(/^LOCAL_PORT="http" is invalid/);
    expect(() => parse([], { CONFIRM_SAMPLES: "0" })).toThrow(/^CONFIRM_SAMPLES="0" is invalid: must be an integer from 1 to 1000$/);
  });

  it("checks values given in code as the flags are", () => {
    expect(resolveConfig({ highRps: 20, rateWindow: 5_000 })).toMatchObject({ highRps: 20, rateWindow: 5_000, overflowBandRps: 10 });
    expect(() => resolveConfig({ highRps: 5, lowRps: 5 })).toThrow(/^--low-rps="5" is invalid: must be a number below --high-rps \(5\)$/);
    expect(() => resolveConfig({ burstMaxReplicas: 0 })).toThrow(/^--burst-max-replicas="0" is invalid/);
    expect(() => resolveConfig({ burstMinReplicas: 3, burstMaxReplicas: 2 })).toThrow(/^--burst-min-replicas="3" is invalid/);
  });

  it("has --help listing every flag with its variable, default and doc, naming settings by flag", () => {
    expect(parseLocalConfig(["--help"], {})).toEqual({ help: true });
    const text = usage();
    for (const s of LOCAL_SETTINGS) expect(text).toMatch(new RegExp(`--${s.flag}\\b.* ${s.env} `));
    for (const s of WATCHER_SETTINGS) expect(text).toMatch(new RegExp(`--${settingFlag(s)}\\b.* ${s.env} `));
    expect(text).toMatch(/--low-rps <v> +LOW_RPS +come back below this many requests\/s \(below --high-rps\) \(default 10\)/);
    expect(text).not.toContain("`");
  });

  it("is documented: docs/local.md lists every flag of local mode's own table", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "local.md"), "utf8");
    for (const s of LOCAL_SETTINGS) expect(doc).toMatch(new RegExp(`\\| \`--${s.flag}\` \\| \`${s.env}\` \\|`));
  });
});
