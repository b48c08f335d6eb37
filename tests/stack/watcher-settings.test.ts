/**
 * Every watcher setting, end to end: the stack config key -> config.ts -> the env of the watcher
 * Deployment -> the watcher's own parser gives the same value back. Defaults agree, and a bad value
 * fails the preview naming the key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { IMAGES, containersOf, envOf, freshMocks, makeProviders, object, runProgram, settleAll, valueOf } from "../helpers/pulumi";
import {
  DEFAULT_WATCHER_SETTINGS,
  WATCHER_SETTINGS,
  describeWatcherSettings,
  parseWatcherSettings,
  requirementOf,
  type SettingKey,
  type WatcherSettings,
} from "../../packages/contract/src";
import { loadConfig as loadWatcherConfig } from "../../watcher/src/config";
import type * as ConfigModule from "../../config";
import { testFolder } from "../helpers/temp-folders";

/** Per setting: a valid config value other than the default, and the value it stands for. */
const CASES: Record<SettingKey, [config: string, value: unknown]> = {
  scrapeInterval: ["15s", 15_000],
  highRps: ["40", 40],
  lowRps: ["12.5", 12.5],
  pollInterval: ["250ms", 250],
  minDwell: ["1m30s", 90_000],
  confirmSamples: ["3", 3],
  mode: ["overflow", "overflow"],
  // as Pulumi stores a YAML list and a YAML map
  naturalWeights: ["[90,10]", { primary: 90, burst: 10 }],
  burstWeights: ['{"primary":20,"burst":80}', { primary: 20, burst: 80 }],
  primaryCapacityRps: ["50.5", 50.5],
  stepWeight: ["5", 5],
  maxBurstWeight: ["60", 60],
  overflowBandRps: ["2", 2],
  upRateWindow: ["20s", 20_000],
  rateWindow: ["1m", 60_000],
  downStabilization: ["5m", 300_000],
  queryTimeout: ["500ms", 500],
  query: ['sum(rate(istio_requests_total{reporter="source"}[1m]))', 'sum(rate(istio_requests_total{reporter="source"}[1m]))'],
  upQuery: ['sum(irate(istio_requests_total{reporter="source"}[20s]))', 'sum(irate(istio_requests_total{reporter="source"}[20s]))'],
  burstHealthQuery: ["none", "off"],
  burstMinSuccess: ["0.9", 0.9],
  burstUnhealthySamples: ["5", 5],
  burstRetryAfter: ["2", 2_000],
  burstMinReplicas: ["1", 1],
  burstMaxReplicas: ["8", 8],
  burstReplicas: ["3", 3],
  burstPodCapacityRps: ["12.5", 12.5],
  prewarmRps: ["11", 11],
  scaleDownCooldown: ["2m", 120_000],
  prewarm: ["level", "level"],
  scaleUpTime: ["90s", 90_000],
  trendWindow: ["1m", 60_000],
  prewarmTimeout: ["2m", 120_000],
  burstReplicaHourlyCost: ["0.12", 0.12],
  currency: ["EUR", "EUR"],
  dryRun: ["yes", true],
  leaseDuration: ["30s", 30_000],
  renewDeadline: ["9s", 9_000],
  retryPeriod: ["1500ms", 1_500],
};

/** Per setting: a value the stack refuses (PromQL is not checked beyond being non-blank, so those have none). */
const BAD: Partial<Record<SettingKey, string>> = {
  scrapeInterval: "0s",
  upRateWindow: "fast",
  downStabilization: "-5s",
  highRps: "0",
  lowRps: "-1",
  pollInterval: "10ms",
  minDwell: "soon",
  confirmSamples: "1.5",
  mode: "burst",
  naturalWeights: "60,30",
  burstWeights: "[-10,110]",
  primaryCapacityRps: "0",
  stepWeight: "0",
  maxBurstWeight: "101",
  overflowBandRps: "-2",
  rateWindow: "0s",
  queryTimeout: "fast",
  burstMinSuccess: "1.5",
  burstUnhealthySamples: "0",
  burstRetryAfter: "-5s",
  burstMinReplicas: "-1",
  burstMaxReplicas: "0",
  burstReplicas: "2.5",
  burstPodCapacityRps: "0",
  prewarmRps: "-3",
  scaleDownCooldown: "later",
  prewarm: "always",
  scaleUpTime: "soon",
  trendWindow: "0s",
  prewarmTimeout: "-1s",
  burstReplicaHourlyCost: "-0.5",
  currency: "euros",
  dryRun: "maybe",
  leaseDuration: "500ms",
  renewDeadline: "0s",
  retryPeriod: "never",
};

/** config.ts loaded afresh under mocks with this stack config. */
function loadStackConfig(config: Record<string, string>): typeof ConfigModule {
  freshMocks(config);
  let mod!: typeof ConfigModule;
  jest.isolateModules(() => {
    mod = require("../../config");
  });
  return mod;
}

/** The stack's watcher settings for this config, and the env of the watcher Deployment built from them as index.ts builds it. */
async function stackEnv(config: Record<string, string>): Promise<{ settings: WatcherSettings; env: Record<string, string> }> {
  const { watcherConfig } = loadStackConfig(config);
  const { WatcherDeployment } = require("../../watcher/stack/deployment") as typeof import("../../watcher/stack/deployment");
  const mocks = freshMocks(config);
  const { primary } = makeProviders();
  const w = new WatcherDeployment("w", { provider: primary, namespace: "default", image: IMAGES.watcher, prometheusUrl: "http://prometheus:9090", settings: watcherConfig, dependsOn: [] });
  await valueOf(w.deploymentName);
  await settleAll();
  return { settings: watcherConfig, env: envOf(containersOf(object(mocks, "Deployment", "istio-watcher"))[0]) };
}

/** A file standing for the burst kubeconfig the pod gets mounted (the watcher checks the file exists). */
const mountedKubeconfig = path.join(testFolder("watcher-settings"), "kubeconfig");
fs.writeFileSync(mountedKubeconfig, "apiVersion: v1\nkind: Config\n");

/** What the watcher makes of an env: the contract's parser by env name, and the watcher's loadConfig (which must agree). */
function watcherReads(env: Record<string, string>): WatcherSettings {
  const { settings, problems } = parseWatcherSettings((spec) => env[spec.env]);
  expect(problems).toEqual([]);
  const inPod = env.POD_NAME === "field:metadata.name" ? { ...env, POD_NAME: "istio-watcher-5d9c-x2k4q" } : env;
  const mounted = inPod.BURST_KUBECONFIG === undefined ? inPod : { ...inPod, BURST_KUBECONFIG: mountedKubeconfig };
  expect(loadWatcherConfig(mounted).settings).toEqual(settings);
  return settings;
}

const rows = WATCHER_SETTINGS.map((spec) => [spec.key, spec] as const);

describe("watcher settings: stack config key -> Deployment env -> the watcher's parser", () => {
  it("has a non-default case for every row of the table, and a bad value for every row the stack can refuse", () => {
    expect(Object.keys(CASES).sort()).toEqual(WATCHER_SETTINGS.map((s) => s.key).sort());
    for (const spec of WATCHER_SETTINGS) expect({ key: spec.key, value: CASES[spec.key][1] }).not.toEqual({ key: spec.key, value: DEFAULT_WATCHER_SETTINGS[spec.key] });
    const unchecked = WATCHER_SETTINGS.filter((s) => BAD[s.key] === undefined);
    expect(unchecked.map((s) => s.kind).sort()).toEqual(["promql", "promql", "promql-or-off"]);
  });

  it.each(rows)("%s: a value set in the stack comes back from the env unchanged", async (key) => {
    const [text, value] = CASES[key];
    const { settings, env } = await stackEnv({ [key]: text });
    expect(settings[key]).toEqual(value);
    const read = watcherReads(env);
    expect(read[key]).toEqual(value);
    expect(read).toEqual(settings);
  });

  it.each(rows.filter(([key]) => BAD[key] !== undefined))("%s: a bad value fails the preview, naming the key", (key, spec) => {
    const { loadConfig } = loadStackConfig({});
    freshMocks({ [key]: BAD[key]! });
    expect(() => loadConfig(new pulumi.Config("istio-burst"))).toThrow(`istio-burst:${key} (${BAD[key]}) must be ${requirementOf(spec)}`);
  });

  it("with no watcher keys set, the whole program's watcher env parses to the table's defaults", async () => {
    const { mocks, program } = await runProgram();
    const env = envOf(containersOf(mocks.get("kubernetes:apps/v1:Deployment", "hashr-watcher-deployment"))[0]);
    expect(watcherReads(env)).toEqual(DEFAULT_WATCHER_SETTINGS);
    expect(await valueOf(program.watcherSettings)).toEqual(describeWatcherSettings(DEFAULT_WATCHER_SETTINGS));
  });

  it("with every watcher key set, the whole program's watcher env carries each value, and the output shows them", async () => {
    const { mocks, program } = await runProgram(Object.fromEntries(Object.entries(CASES).map(([k, [text]]) => [k, text])));
    const env = envOf(containersOf(mocks.get("kubernetes:apps/v1:Deployment", "hashr-watcher-deployment"))[0]);
    const read = watcherReads(env);
    for (const spec of WATCHER_SETTINGS) expect({ key: spec.key, value: read[spec.key] }).toEqual({ key: spec.key, value: CASES[spec.key][1] });
    const shown = await valueOf<Record<string, string>>(program.watcherSettings);
    expect(shown).toMatchObject({ highRps: "40", minDwell: "90s", naturalWeights: "90,10", burstHealthQuery: "off", dryRun: "true" });
    // the VirtualService is created with the configured natural weights
    const route = mocks.get("kubernetes:networking.istio.io/v1:VirtualService", "hashr-routing-worker-vs").inputs.spec.http[0].route;
    expect(route.map((d: any) => [d.destination.subset, d.weight])).toEqual([["primary", 90], ["burst", 10]]);
  });
});
