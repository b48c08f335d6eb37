/** The watcher's wiring, written once in the contract: its variables and their allowed values (tests/watcher/config.test.ts: the watcher reads each). */
import { ROUTER_KINDS, SCALER_KINDS, WATCHER_SETTINGS, watcherWiringEnv, WIRING_ENV } from "@istio-burst/contract";

describe("the watcher's wiring variables", () => {
  it("are distinct, and none is a policy setting's", () => {
    const names = Object.values(WIRING_ENV);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((name) => WATCHER_SETTINGS.some((s) => s.env === name))).toEqual([]);
  });

  it("name the routers and scalers the watcher has", () => {
    expect(ROUTER_KINDS).toEqual(["istio", "local"]);
    expect(SCALER_KINDS).toEqual(["none", "kubernetes", "local"]);
  });

  it("come out as [variable, value] pairs in one order, the absent ones left out", () => {
    expect(watcherWiringEnv({ scalerUrl: "http://127.0.0.1:1", router: "local", port: "9000", meshUrl: undefined })).toEqual([
      ["PORT", "9000"],
      ["ROUTER", "local"],
      ["SCALER_URL", "http://127.0.0.1:1"],
    ]);
  });
});
