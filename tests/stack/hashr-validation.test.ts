/**
 * HashrApp refuses bad arguments before creating anything, with a message naming the field.
 */
import { HashrApp, HashrAppArgs } from "../../apps/hashr";
import { IMAGES, Providers, SETTINGS, isKubernetesObject, makeProviders, setupMocks, waitForResources } from "./fixtures";

function args(p: Providers, override: Partial<HashrAppArgs> = {}, watcher: Record<string, unknown> = {}): HashrAppArgs {
  return {
    primaryProvider: p.primary,
    burstProvider: p.burst,
    namespace: "hashr",
    images: IMAGES,
    prometheusUrl: "http://prometheus.istio-system:9090",
    watcher: { ...SETTINGS, ...watcher } as HashrAppArgs["watcher"],
    ...override,
  };
}

describe("HashrApp validation", () => {
  const watcherCases: [string, Record<string, unknown>, RegExp][] = [
    ["low >= high", { lowRps: 20, highRps: 15 }, /lowRps \(20\) must be below highRps \(15\)/],
    ["low == high", { lowRps: 15, highRps: 15 }, /lowRps \(15\) must be below highRps \(15\)/],
    ["natural weights not summing to 100", { naturalWeights: [60, 30] }, /naturalWeights must sum to 100, got 60\+30=90/],
    ["burst weights not summing to 100", { burstWeights: [10, 100] }, /burstWeights must sum to 100, got 10\+100=110/],
    ["unknown mode", { mode: "aggressive" }, /mode must be one of switch, overflow, got "aggressive"/],
    ["bad duration", { minDwell: "soon" }, /minDwell must be a duration/],
  ];

  it.each(watcherCases)("refuses %s, naming the field, and creates nothing", async (_label, watcher, message) => {
    const mocks = setupMocks();
    const p = await makeProviders();
    expect(() => new HashrApp("bad", args(p, {}, watcher))).toThrow(message);
    await waitForResources(mocks);
    expect(mocks.resources.filter(isKubernetesObject)).toHaveLength(0);
  });

  it("reports every watcher problem in one message", async () => {
    setupMocks();
    const p = await makeProviders();
    expect(() => new HashrApp("bad", args(p, {}, { lowRps: 30, mode: "x", naturalWeights: [1, 2] }))).toThrow(
      /invalid watcher settings: lowRps \(30\) must be below highRps \(15\); mode must be one of .*; naturalWeights must sum to 100/,
    );
  });

  const argCases: [string, (p: Providers) => Partial<HashrAppArgs>, RegExp][] = [
    ["the same provider for both clusters", (p) => ({ burstProvider: p.primary }), /burstProvider must be the burst cluster's provider/],
    ["a missing burst provider", () => ({ burstProvider: undefined as any }), /burstProvider is required/],
    ["a system namespace", () => ({ namespace: "kube-system" }), /namespace must not be the system namespace "kube-system"/],
    ["a namespace that is not a DNS label", () => ({ namespace: "Hashr_App" }), /namespace must be a DNS-1123 label/],
    ["a missing image", () => ({ images: { frontend: "f", worker: "w" } as any }), /images\.frontend, images\.worker and images\.watcher are required/],
    ["a missing Prometheus URL", () => ({ prometheusUrl: "" }), /prometheusUrl is required/],
    ["an empty burst prefix", () => ({ burstPrefix: "" }), /burstPrefix must be a non-empty string/],
    ["two frontends", () => ({ replicas: { frontend: 2 } }), /replicas\.frontend must be an integer in 0\.\.1, got 2/],
    ["negative burst workers", () => ({ replicas: { burstWorkers: -1 } }), /replicas\.burstWorkers must be an integer >= 0, got -1/],
    ["zero hash rounds", () => ({ hashRounds: 0 }), /hashRounds must be an integer >= 1, got 0/],
  ];

  it.each(argCases)("refuses %s and creates nothing", async (_label, override, message) => {
    const mocks = setupMocks();
    const p = await makeProviders();
    expect(() => new HashrApp("bad", args(p, override(p)))).toThrow(message);
    await waitForResources(mocks);
    expect(mocks.resources.filter(isKubernetesObject)).toHaveLength(0);
  });

  it("accepts the minimal arguments (defaults everywhere else)", async () => {
    const mocks = setupMocks();
    const p = await makeProviders();
    const app = new HashrApp("ok", {
      primaryProvider: p.primary,
      burstProvider: p.burst,
      images: IMAGES,
      prometheusUrl: "http://prometheus.istio-system:9090",
      watcher: SETTINGS,
    });
    await waitForResources(mocks);
    expect(app.primaryNamespace.adopted).toBe(true);
    expect(mocks.resources.filter(isKubernetesObject).length).toBe(23);
  });
});
