/** The watcher's policy: the settings decide() reads, under the settings table's own names, derived in one place. */
import { DEFAULT_WATCHER_SETTINGS, HEALTH_OFF, parseWatcherSettings, POLICY_KEYS, policyOf, WATCHER_SETTINGS } from "@istio-burst/contract";

describe("policyOf", () => {
  it("takes the policy's settings under their own names and values, and nothing else", () => {
    const { settings } = parseWatcherSettings((s) => ({ MIN_DWELL: "1m30s", BURST_REPLICAS: "3", MODE: "overflow", QUERY: "sum(up)" })[s.env]);
    const policy = policyOf(settings);
    expect(Object.keys(policy).sort()).toEqual([...POLICY_KEYS, "healthGuard"].sort());
    for (const key of POLICY_KEYS) expect([key, policy[key]]).toEqual([key, settings[key]]);
    expect(policy).toMatchObject({ minDwell: 90_000, burstReplicas: 3, mode: "overflow" });
    expect(policy).not.toHaveProperty("query");
  });

  it("names only rows of the settings table, each once", () => {
    const keys = new Set<string>(WATCHER_SETTINGS.map((s) => s.key));
    for (const key of POLICY_KEYS) expect(keys.has(key)).toBe(true);
    expect(new Set(POLICY_KEYS).size).toBe(POLICY_KEYS.length);
  });

  it("has the health guard on unless burstHealthQuery is off (unset: the derived default query)", () => {
    expect(policyOf(DEFAULT_WATCHER_SETTINGS).healthGuard).toBe(true);
    expect(policyOf({ ...DEFAULT_WATCHER_SETTINGS, burstHealthQuery: "vector(1)" }).healthGuard).toBe(true);
    expect(policyOf({ ...DEFAULT_WATCHER_SETTINGS, burstHealthQuery: HEALTH_OFF }).healthGuard).toBe(false);
  });
});
