/** The routing report the frontend serves, and the check that an answer from WATCHER_URL is a watcher status. */
import { routingFromStatus, watcherStatusProblem, type WatcherStatus } from "../../packages/contract/src";
import { cannedStatus } from "../apps/frontend/fake-watcher";

const with_ = (patch: Record<string, unknown>) => ({ ...cannedStatus(), ...patch });

describe("watcherStatusProblem: is a /status answer a watcher status", () => {
  it("accepts the watcher's status, before the weights are read too", () => {
    expect(watcherStatusProblem(cannedStatus())).toBeUndefined();
    expect(watcherStatusProblem(with_({ ready: false, weights: null, phase: null, lastSample: null, lastDecision: null, changes: 0, recentChanges: [] }))).toBeUndefined();
    for (const lastSample of [
      { at: "t", kind: "nodata", reason: "empty" },
      { at: "t", kind: "error", message: "HTTP 503" },
    ]) {
      expect(watcherStatusProblem(with_({ lastSample }))).toBeUndefined();
    }
  });

  it.each<[string, unknown, string]>([
    ["null", null, "not a JSON object"],
    ["a string", "ok", "not a JSON object"],
    ["another service", with_({ service: "frontend" }), 'no "service": "watcher"'],
    ["no mode", with_({ mode: undefined }), "mode is not switch or overflow"],
    ["ready as a string", with_({ ready: "yes" }), "ready or dryRun is not a boolean"],
    ["weights as a list", with_({ weights: [0, 100] }), "weights are not two integers summing to 100"],
    ["fractional weights", with_({ weights: { primary: 50.5, burst: 49.5 } }), "weights are not two integers summing to 100"],
    ["an unknown phase", with_({ phase: "panic" }), "phase is not natural, burst or null"],
    ["no thresholds", with_({ thresholds: undefined }), "thresholds lack highRps and lowRps"],
    ["a string threshold", with_({ thresholds: { ...cannedStatus().thresholds, highRps: "15" } }), "thresholds lack highRps and lowRps"],
    ["a sample without its rate", with_({ lastSample: { at: "t", kind: "value" } }), "lastSample.rps is not a number"],
    ["an unknown sample kind", with_({ lastSample: { at: "t", kind: "guess", rps: 1 } }), "lastSample.kind is not value, nodata or error"],
    ["a decision without a reason", with_({ lastDecision: { at: "t", action: "hold" } }), "lastDecision is not a decision"],
    ["changes as text", with_({ changes: "3" }), "changes is not a number"],
    ["recentChanges as an object", with_({ recentChanges: {} }), "recentChanges is not a list"],
    ["a burst pool without its ready count", with_({ burstPool: { desired: 2 } }), "burstPool lacks desired and ready replica counts"],
    ["a burst pool with a negative count", with_({ burstPool: { desired: -1, ready: 0 } }), "burstPool lacks desired and ready replica counts"],
    ["a cost as text", with_({ cost: "0.01 USD" }), "cost is not an object"],
    ["a cost without its money", with_({ cost: { burstReplicaSeconds: 1, currency: "USD", since: "t" } }), "cost lacks burstReplicaSeconds, burstCost and alwaysOnCost as numbers of at least 0"],
    ["a negative cost", with_({ cost: { ...cannedStatus().cost, burstCost: -1 } }), "cost lacks burstReplicaSeconds, burstCost and alwaysOnCost as numbers of at least 0"],
    ["a cost without its currency", with_({ cost: { ...cannedStatus().cost, currency: undefined } }), "cost lacks currency and since"],
    ["a change with an unknown action", with_({ recentChanges: [{ ...cannedStatus().recentChanges[0], action: "teleport" }] }), "recentChanges[0].action is not an action"],
  ])("refuses %s", (_what, value, problem) => {
    expect(watcherStatusProblem(value)).toBe(problem);
  });
});

describe("routingFromStatus", () => {
  it("keeps what the page shows, the burst pool's size included, and leaves out what the watcher talks to", () => {
    const status: WatcherStatus = cannedStatus();
    const report = routingFromStatus(status, "2026-01-02T10:00:42.000Z");
    expect(Object.keys(report).sort()).toEqual(
      ["watcher", "checkedAt", "ready", "weights", "phase", "mode", "dryRun", "observed", "thresholds", "lastDecision", "changes", "recentChanges", "burstPool", "cost"].sort(),
    );
    expect(report).toMatchObject({ watcher: "ok", checkedAt: "2026-01-02T10:00:42.000Z", weights: status.weights, observed: status.lastSample, recentChanges: status.recentChanges, thresholds: status.thresholds });
    // the size only: why and when the pool was last scaled stay with the watcher
    expect(report.burstPool).toEqual({ ready: 1, desired: 2 });
    expect(report.cost).toEqual(status.cost);
  });


  it.each(["burstPool", "cost"] as const)("has no %s when the watcher does not scale the pool (null) or predates it (absent)", (field) => {
    expect(watcherStatusProblem(with_({ [field]: null }))).toBeUndefined();
    expect(routingFromStatus({ ...cannedStatus(), [field]: null }, "t")).not.toHaveProperty(field);
    const older = with_({ [field]: undefined });
    expect(watcherStatusProblem(older)).toBeUndefined();
    expect(routingFromStatus(older as unknown as WatcherStatus, "t")).not.toHaveProperty(field);
  });
});
