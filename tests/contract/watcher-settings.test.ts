/**
 * The watcher settings table: every row parses its own env form back, defaults agree, problems name
 * the setting; and the one vocabulary the project writes bounds and booleans in.
 */
import {
  DEFAULT_WATCHER_SETTINGS,
  describeBounds,
  durationRequirement,
  formatSetting,
  numberRequirement,
  parseBoolean,
  parseWatcherSettings,
  requirementOf,
  settingFlag,
  settingSpec,
  WATCHER_SETTINGS,
  watcherSettingsEnv,
  type SettingSpec,
  type WatcherSettings,
} from "@istio-burst/contract";

/** A valid value of each setting other than its default, as text. */
const NON_DEFAULT: Record<keyof WatcherSettings, string> = {
  scrapeInterval: "1s",
  highRps: "22.5",
  lowRps: "7",
  pollInterval: "250ms",
  minDwell: "1m30s",
  confirmSamples: "3",
  mode: "overflow",
  naturalWeights: "90,10",
  burstWeights: "[20, 80]",
  primaryCapacityRps: "18",
  stepWeight: "5",
  maxBurstWeight: "70",
  overflowBandRps: "4",
  upRateWindow: "4s",
  rateWindow: "10s",
  downStabilization: "2m",
  queryTimeout: "1500ms",
  query: "sum(rate(my_requests_total[1m]))",
  upQuery: "sum(irate(my_requests_total[15s]))",
  burstHealthQuery: "vector(1)",
  burstMinSuccess: "0.8",
  burstUnhealthySamples: "5",
  burstRetryAfter: "2m",
  burstMinReplicas: "1",
  burstMaxReplicas: "8",
  burstReplicas: "3",
  burstPodCapacityRps: "12.5",
  prewarmRps: "14",
  scaleDownCooldown: "5m",
  prewarm: "level",
  scaleUpTime: "4m",
  trendWindow: "2m",
  prewarmTimeout: "30s",
  burstReplicaHourlyCost: "0.25",
  currency: "EUR",
  dryRun: "true",
  leaseDuration: "20s",
  renewDeadline: "9s",
  retryPeriod: "1s",
};

/** Values each row must refuse. */
const INVALID: Record<keyof WatcherSettings, string[]> = {
  scrapeInterval: ["0", "often"],
  upRateWindow: ["0s", "x"],
  downStabilization: ["-1s", "1 minute"],
  upQuery: [],
  highRps: ["0", "-1", "abc", "Infinity"],
  lowRps: ["-0.5", "ten"],
  pollInterval: ["10ms", "1x", "-1s"],
  minDwell: ["soon", "1s junk"],
  confirmSamples: ["0", "1.5", "1001"],
  mode: ["Switch", "burst"],
  naturalWeights: ["100", "60,60", "1.5,98.5", "[100]", "{\"primary\":100}", "a,b"],
  burstWeights: ["0,101", "[0,100,0]"],
  primaryCapacityRps: ["0", "-3"],
  stepWeight: ["0", "101", "2.5"],
  maxBurstWeight: ["-1", "101"],
  overflowBandRps: ["-1"],
  rateWindow: ["0", "abc"],
  queryTimeout: ["0ms", "never"],
  query: [],
  burstHealthQuery: [],
  burstMinSuccess: ["1.5", "-0.1"],
  burstUnhealthySamples: ["0"],
  burstRetryAfter: ["later"],
  burstMinReplicas: ["-1", "0.5"],
  burstMaxReplicas: ["0", "1001"],
  burstReplicas: ["0", "two"],
  burstPodCapacityRps: ["0", "-1"],
  prewarmRps: ["-1", "lots"],
  scaleDownCooldown: ["-1s", "later"],
  prewarm: ["Trend", "always", "on"],
  scaleUpTime: ["-1s", "slow"],
  trendWindow: ["0s", "long"],
  prewarmTimeout: ["-5s", "never"],
  burstReplicaHourlyCost: ["-0.01", "free", "Infinity"],
  currency: ["usd", "US$", "EURO", "€"],
  dryRun: ["maybe", "2"],
  leaseDuration: ["999ms", "forever"],
  renewDeadline: ["0s", "soon"],
  retryPeriod: ["0", "often"],
};

describe("the one vocabulary for bounds and booleans", () => {
  it.each<[string, Parameters<typeof describeBounds>[0], string]>([
    ["both bounds", { min: 1, max: 1000 }, " from 1 to 1000"],
    ["an exclusive lower bound", { min: 0, minExclusive: true }, " above 0"],
    ["a lower bound", { min: 0 }, " of at least 0"],
    ["an upper bound", { max: 100 }, " of at most 100"],
    ["infinite bounds", { min: -Infinity, max: Infinity }, ""],
    ["none", {}, ""],
  ])("writes %s as %j", (_what, bounds, text) => expect(describeBounds(bounds)).toBe(text));

  it("is what every table row and requirement says", () => {
    expect(requirementOf(settingSpec("confirmSamples"))).toBe(numberRequirement("integer", { min: 1, max: 1000 }));
    expect(numberRequirement("integer", { min: 1, max: 1000 })).toBe("an integer from 1 to 1000");
    expect(requirementOf(settingSpec("highRps"))).toBe("a number above 0");
    expect(requirementOf(settingSpec("pollInterval"))).toBe(durationRequirement(50));
    expect(durationRequirement(50)).toBe("a duration such as 250ms, 1s, 2m or a number of seconds, at least 50ms");
    expect(durationRequirement()).toBe("a duration such as 250ms, 1s, 2m or a number of seconds");
  });

  it("has one boolean grammar", () => {
    for (const t of ["true", "TRUE", "yes", "on", "1"]) expect(parseBoolean(t)).toBe(true);
    for (const t of ["false", "No", "off", "0"]) expect(parseBoolean(t)).toBe(false);
    for (const t of ["", "y", "2", "enabled"]) expect(parseBoolean(t)).toBeUndefined();
  });
});

describe("the watcher settings table", () => {
  it("has one row per setting with unique env names and flags", () => {
    expect(WATCHER_SETTINGS.map((s) => s.key).sort()).toEqual(Object.keys(NON_DEFAULT).sort());
    expect(new Set(WATCHER_SETTINGS.map((s) => s.env)).size).toBe(WATCHER_SETTINGS.length);
    expect(new Set(WATCHER_SETTINGS.map(settingFlag)).size).toBe(WATCHER_SETTINGS.length);
    expect(settingFlag(settingSpec("burstUnhealthySamples"))).toBe("burst-unhealthy-samples");
    for (const s of WATCHER_SETTINGS) expect(s.doc.length).toBeGreaterThan(10);
  });

  it("defaults: every fixed default is the row's own, derived ones follow the others", () => {
    const d = DEFAULT_WATCHER_SETTINGS;
    for (const spec of WATCHER_SETTINGS) {
      if (typeof spec.default !== "function") expect([spec.key, d[spec.key]]).toEqual([spec.key, spec.default]);
    }
    expect(d.primaryCapacityRps).toBe(d.highRps);
    expect(d.overflowBandRps).toBe(d.highRps - d.lowRps);
    expect([d.scrapeInterval, d.upRateWindow, d.rateWindow, d.downStabilization]).toEqual([5_000, 15_000, 30_000, 30_000]);
    const derived = parseWatcherSettings((s) => ({ HIGH_RPS: "40", LOW_RPS: "25", SCRAPE_INTERVAL: "1s" })[s.env]).settings;
    expect([derived.primaryCapacityRps, derived.overflowBandRps]).toEqual([40, 15]);
    expect([derived.upRateWindow, derived.rateWindow, derived.downStabilization]).toEqual([3_000, 6_000, 6_000]);
  });

  it.each(WATCHER_SETTINGS.map((s) => [s.key, s] as const))("%s: a non-default value survives settings -> env -> parser", (key, spec) => {
    const { settings, problems } = parseWatcherSettings((s) => (s.key === key ? NON_DEFAULT[key] : undefined));
    expect(problems).toEqual([]);
    expect(settings[key]).not.toEqual(DEFAULT_WATCHER_SETTINGS[key]);
    const env = watcherSettingsEnv(settings);
    const back = parseWatcherSettings((s) => env[s.env]);
    expect(back.problems).toEqual([]);
    expect(back.settings).toEqual(settings);
    expect(env[spec.env]).toBe(formatSetting(spec, settings[key]));
  });

  it("all non-default values at once survive the round trip", () => {
    const { settings, problems } = parseWatcherSettings((s) => NON_DEFAULT[s.key]);
    expect(problems).toEqual([]);
    const env = watcherSettingsEnv(settings);
    expect(parseWatcherSettings((s) => env[s.env]).settings).toEqual(settings);
  });

  it("leaves unset queries out of the env (the watcher derives them)", () => {
    const env = watcherSettingsEnv(DEFAULT_WATCHER_SETTINGS);
    expect(env.QUERY).toBeUndefined();
    expect(env.BURST_HEALTH_QUERY).toBeUndefined();
    expect(env.UP_QUERY).toBeUndefined();
    expect(Object.keys(env)).toHaveLength(WATCHER_SETTINGS.length - 3);
  });

  it("normalises the words that turn the health guard off", () => {
    for (const off of ["off", "OFF", "none", "false", "0", "disabled"]) {
      expect(parseWatcherSettings((s) => (s.key === "burstHealthQuery" ? off : undefined)).settings.burstHealthQuery).toBe("off");
    }
  });

  const cases = WATCHER_SETTINGS.flatMap((spec) => INVALID[spec.key].map((raw) => [spec.key, raw, spec] as [string, string, SettingSpec]));
  it.each(cases)("%s refuses %j, naming the setting and taking the default", (key, raw, spec) => {
    const { settings, problems } = parseWatcherSettings((s) => (s.key === key ? raw : undefined));
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]).toMatchObject({ raw });
    expect(problems[0].spec.key).toBe(spec.key);
    expect(problems[0].requirement.length).toBeGreaterThan(3);
    expect(settings[spec.key as keyof WatcherSettings]).toEqual(DEFAULT_WATCHER_SETTINGS[spec.key as keyof WatcherSettings]);
  });

  it("reports settings that do not fit together, naming the other one as the caller does", () => {
    const nameOf = (s: SettingSpec) => `--${settingFlag(s)}`;
    const one = (values: Record<string, string>) => parseWatcherSettings((s) => values[s.key], nameOf).problems;
    expect(one({ lowRps: "15" })).toEqual([{ spec: settingSpec("lowRps"), raw: "15", requirement: "a number below --high-rps (15)" }]);
    expect(one({ highRps: "5" })[0]).toMatchObject({ raw: "10", requirement: "a number below --high-rps (5)" });
    expect(one({ naturalWeights: "50,50", burstWeights: "60,40" })[0]).toMatchObject({
      raw: "60,40",
      requirement: "weights that send more to burst than --natural-weights (50,50)",
    });
    expect(one({ naturalWeights: "50,50", maxBurstWeight: "40" })[0].requirement).toBe("an integer from 50 (the burst weight of --natural-weights) to 100");
    expect(one({ prewarmRps: "16" })[0].requirement).toBe("a number of at most --high-rps (15)");
    expect(one({ burstMinReplicas: "6" })[0].requirement).toBe("an integer of at most --burst-max-replicas (5)");
    expect(one({ burstReplicas: "3", burstMaxReplicas: "2" })[0]).toMatchObject({ raw: "3", requirement: "an integer of at most --burst-max-replicas (2)" });
    // leader election, as client-go requires: leaseDuration > renewDeadline > 1.2 × retryPeriod
    expect(one({ renewDeadline: "15s" })).toEqual([{ spec: settingSpec("renewDeadline"), raw: "15s", requirement: "a duration below --lease-duration (15s)" }]);
    expect(one({ leaseDuration: "8s" })[0]).toMatchObject({ raw: "10s", requirement: "a duration below --lease-duration (8s)" });
    expect(one({ leaseDuration: "60s", retryPeriod: "9s" })).toEqual([{ spec: settingSpec("retryPeriod"), raw: "9s", requirement: "a duration of at most 8333ms (below --renew-deadline / 1.2)" }]);
    expect(one({ leaseDuration: "60s", retryPeriod: "8333ms" })).toEqual([]);
    expect(one({ leaseDuration: "12s" })).toEqual([{ spec: settingSpec("leaseDuration"), raw: "12s", requirement: "a duration above --renew-deadline + 2.2 × --retry-period (14400ms)" }]);
    expect(one({ leaseDuration: "8s", renewDeadline: "3s", retryPeriod: "2s" })).toEqual([]);
    expect(one({})).toEqual([]);
  });
});

describe("the pre-warm and cost settings", () => {
  const read = (env: Record<string, string>) => parseWatcherSettings((s) => env[s.env]);

  it("follow scrapeInterval (trendWindow) and scaleUpTime (prewarmTimeout) unless set", () => {
    expect(read({}).settings).toMatchObject({ prewarm: "trend", scaleUpTime: 60_000, trendWindow: 50_000, prewarmTimeout: 60_000 });
    expect(read({ SCRAPE_INTERVAL: "1s", SCALE_UP_TIME: "2s" }).settings).toMatchObject({ trendWindow: 10_000, prewarmTimeout: 2_000 });
    expect(read({ SCALE_UP_TIME: "3m", PREWARM_TIMEOUT: "30s" }).settings).toMatchObject({ scaleUpTime: 180_000, prewarmTimeout: 30_000 });
  });

  it("say what prewarm and currency must be", () => {
    expect(requirementOf(settingSpec("prewarm"))).toBe("one of trend, level, off");
    expect(requirementOf(settingSpec("currency"))).toBe("a three-letter currency code such as USD or EUR");
    const { problems } = read({ PREWARM: "always", CURRENCY: "dollars" });
    expect(problems.map((p) => [p.spec.env, p.raw, p.requirement])).toEqual([
      ["PREWARM", "always", "one of trend, level, off"],
      ["CURRENCY", "dollars", "a three-letter currency code such as USD or EUR"],
    ]);
  });
});
