import { DEFAULTS, defaultQuery, parseLocalConfig, usage, UsageError } from "../../local/src/config";
import { formatWeightChange, parseWeightChange } from "../../local/src/run";

const parse = (argv: string[], env: Record<string, string> = {}) => {
  const r = parseLocalConfig(argv, env);
  if (r.help) throw new Error("unexpected help");
  return r.config;
};

describe("local mode settings", () => {
  it("defaults to the codelab's thresholds, port 8080 and one process per pool", () => {
    expect(parse([])).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ port: 8080, highRps: 15, lowRps: 10, mode: "switch", primaryWorkers: 1, burstWorkers: 1, rateWindow: "30s", scrapeInterval: "1s" });
  });

  it("reads env and lets flags win", () => {
    const c = parse(["--high-rps", "20", "--burst-workers=3", "--mode", "overflow", "--keep-temp"], {
      HIGH_RPS: "99",
      LOW_RPS: "4",
      LOCAL_PORT: "9090",
      PRIMARY_WORKERS: "2",
      RATE_WINDOW: "5",
      MIN_DWELL: "500ms",
    });
    expect(c).toMatchObject({ highRps: 20, lowRps: 4, port: 9090, primaryWorkers: 2, burstWorkers: 3, mode: "overflow", rateWindow: "5s", minDwell: "500ms", keepTemp: true });
  });

  it("treats empty env values as unset", () => {
    expect(parse([], { HIGH_RPS: "", LOCAL_PORT: " " })).toMatchObject({ highRps: 15, port: 8080 });
  });

  it.each([
    [["--high-rps", "lots"], /^--high-rps="lots" is invalid: must be a number/],
    [["--low-rps=-1"], /^--low-rps="-1" is invalid/],
    [["--low-rps", "-1"], /^Option '--low-rps' argument is ambiguous/],
    [["--port", "70000"], /^--port="70000" is invalid: must be an integer port/],
    [["--primary-workers", "0"], /^--primary-workers="0" is invalid: must be an integer from 1 to 32/],
    [["--burst-workers", "1.5"], /^--burst-workers="1.5" is invalid/],
    [["--mode", "random"], /^--mode="random" is invalid: must be switch or overflow/],
    [["--rate-window", "1.5s"], /^--rate-window="1.5s" is invalid: must be a Prometheus duration/],
    [["--poll-interval", "soon"], /^--poll-interval="soon" is invalid/],
    [["--low-rps", "20"], /^--low-rps \(20\) must be below --high-rps \(15\)/],
    [["--base-port", "65530"], /^--base-port=65530 is invalid/],
    [["--nope"], /Unknown option '--nope'/],
    [["extra"], /extra/],
  ])("refuses %j with one line naming the flag", (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
    try {
      parse(argv);
    } catch (err) {
      expect((err as Error).message).not.toContain("\n");
    }
  });

  it("names the variable when the bad value comes from the environment", () => {
    expect(() => parse([], { HIGH_RPS: "x" })).toThrow(/^HIGH_RPS="x" is invalid/);
    expect(() => parse([], { LOCAL_PORT: "http" })).toThrow(/^LOCAL_PORT="http" is invalid/);
  });

  it("has --help listing every flag with its variable", () => {
    expect(parseLocalConfig(["--help"], {})).toEqual({ help: true });
    const text = usage();
    for (const [flag, env] of [["--port", "LOCAL_PORT"], ["--high-rps", "HIGH_RPS"], ["--low-rps", "LOW_RPS"], ["--mode", "MODE"], ["--primary-workers", "PRIMARY_WORKERS"], ["--burst-workers", "BURST_WORKERS"]]) {
      expect(text).toMatch(new RegExp(`${flag} .*${env}`));
    }
  });

  it("builds the watcher's default query shape", () => {
    expect(defaultQuery()).toBe(
      'sum(rate(istio_requests_total{reporter="source",source_workload="frontend-deployment",destination_service="worker-service.default.svc.cluster.local"}[30s]))',
    );
    expect(defaultQuery("5s")).toMatch(/\[5s\]\)\)$/);
  });
});

describe("reading weight changes from the watcher's log", () => {
  it("recognises the watcher's change line with its reason", () => {
    // as watcher/src/controller.ts logs it (pino JSON)
    const line = JSON.stringify({ level: 30, time: "2026-11-25T15:00:01.000Z", service: "watcher", action: "to-burst", reason: "17.2 req/s above HIGH_RPS 15", from: "100,0", to: "0,100", dryRun: false, msg: "changed weights" });
    const c = parseWeightChange(line);
    expect(c).toEqual({ time: "2026-11-25T15:00:01.000Z", primary: 0, burst: 100, action: "to-burst", reason: "17.2 req/s above HIGH_RPS 15", from: { primary: 100, burst: 0 } });
    expect(formatWeightChange(c!)).toMatch(/weights primary {3}0 \/ burst 100 {2}to-burst: 17\.2 req\/s above HIGH_RPS 15$/);
    const obj = parseWeightChange(JSON.stringify({ action: "step-up", reason: "r", to: { primary: 70, burst: 30 } }));
    expect(obj).toMatchObject({ primary: 70, burst: 30, action: "step-up" });
  });

  it.each([
    ["not JSON", "starting up"],
    ["a hold", JSON.stringify({ action: "hold", to: "100,0", reason: "8 req/s" })],
    ["the start-up read", JSON.stringify({ msg: "found current weights", weights: { primary: 100, burst: 0 }, phase: "natural" })],
    ["no reason", JSON.stringify({ action: "to-burst", to: "0,100" })],
    ["a failed set", JSON.stringify({ action: "to-burst", reason: "x", from: "100,0", to: "0,100", err: "HTTP 400", msg: "failed to set weights" })],
    ["a dry run", JSON.stringify({ action: "to-burst", dryRun: true, to: "0,100", reason: "x", msg: "would change weights (DRY_RUN)" })],
  ])("ignores %s", (_what, line) => expect(parseWeightChange(line)).toBeUndefined());
});
