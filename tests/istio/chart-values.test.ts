/**
 * Every Helm value the stack passes exists in the pinned chart. Helm ignores a value path its chart
 * does not read (`networkGateways: network2` would install a gateway for no network, silently), so
 * each release of each shape is checked against the paths the pinned charts accept.
 *
 * Those paths are read from the pinned charts themselves (the upstream fixtures, found by
 * e2e/src/fixtures, never copied here), so the check follows the pin: Istio's `base`, `istiod` and
 * `gateway` at RENDERED_ISTIO (tests/helpers/pinned-charts.ts: 1.31.0, the minor of
 * `DEFAULTS.istioVersion`, whose patches change no value key), and prometheus-community `prometheus`
 * at `DEFAULTS.prometheusChartVersion` (27.37.0). A chart accepts:
 * - the keys of its values.yaml (an Istio chart's sit under `_internal_defaults_do_not_set`);
 * - the properties of its values.schema.json (the gateway's and prometheus'), which Helm also
 *   validates the values against (types and enums too);
 * - for an Istio chart, the keys its templates/zzz_profile.yaml reads and values.yaml lacks
 *   (PROFILE_KEYS: `profile`, `platform`, `compatibilityVersion`, and `profile` and `platform` under `global`).
 * Data here: only the free-form maps, below which any key is the user's (labels, annotations, env).
 * Besides, an Istio chart must read each path the stack sets, by that path, in a template or in its
 * files/ (the injection templates istiod renders with the same values). A value read only as part of a
 * whole map (meshConfig, written out with toYaml) or by istiod's own code from the values ConfigMap
 * (sidecarInjectorWebhook.rewriteAppHTTPProbe) would fail that check: say so here when the stack sets one.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { pinnedIstioChart, pinnedPrometheusChart, pinnedVersions } from "../helpers/pinned-charts";
import { SHAPES, freshMocks, plain, runProgram, settleAll, type PulumiMocks } from "../helpers/pulumi";
import { walk, type Schema } from "../helpers/schema-walk";

type Values = Record<string, unknown>;
type ChartName = "base" | "istiod" | "gateway" | "prometheus";

/** Free-form maps of each chart: any key below them is the user's. Each must be a map in the chart (checked below). */
const FREE_MAPS: Record<ChartName, string[]> = {
  base: [],
  istiod: ["env", "global.meshNetworks", "podAnnotations", "nodeSelector"],
  gateway: ["labels", "annotations", "service.annotations", "service.selectorLabels", "podAnnotations", "nodeSelector", "env"],
  prometheus: ["server.podLabels", "server.podAnnotations"],
};

/** Keys every Istio chart's templates/zzz_profile.yaml reads that are not in its values.yaml (an unknown name makes helm fail). */
const PROFILE_KEYS = ["profile", "platform", "compatibilityVersion", "global.profile", "global.platform"];

interface ChartPaths {
  chart: ChartName;
  /** paths whose value is a scalar or a list (or a map the chart gives no keys below) */
  leaves: Set<string>;
  /** paths with keys below them */
  objects: Set<string>;
  maps: string[];
  /** the chart's default at each values.yaml path */
  defaults: Map<string, unknown>;
  schema?: Schema;
  /** the text of the chart's templates and files, `($.Values.x).y` written `.Values.x.y` (Istio charts only) */
  templates?: string;
}

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

function addValuesPaths(paths: ChartPaths, values: Values, prefix = ""): void {
  for (const [key, value] of Object.entries(values)) {
    const path = prefix ? `${prefix}.${key}` : key;
    paths.defaults.set(path, value);
    if (isMap(value) && Object.keys(value).length > 0) {
      paths.objects.add(path);
      addValuesPaths(paths, value, path);
    } else paths.leaves.add(path);
  }
}

function addSchemaPaths(paths: ChartPaths, schema: Schema | undefined, root: Schema, prefix = ""): void {
  const node = schema?.$ref ? root.$defs?.[String(schema.$ref).replace("#/$defs/", "")] : schema;
  for (const [key, child] of Object.entries<Schema>(node?.properties ?? {})) {
    if (key === "_internal_defaults_do_not_set") continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (child.properties) {
      paths.objects.add(path);
      addSchemaPaths(paths, child, root, path);
    } else if (!paths.objects.has(path)) paths.leaves.add(path);
  }
}

function readTemplates(dir: string): string {
  const texts = ["templates", "files"].flatMap((sub) => readdirSync(join(dir, sub)).map((f) => readFileSync(join(dir, sub, f), "utf8")));
  return texts.join("\n").replace(/\(\s*\$?\.Values((?:\.[\w-]+)*)\s*\)/g, ".Values$1");
}

/** The value paths one pinned chart accepts, read from its folder in the fixtures. */
function chartPaths(chart: ChartName): ChartPaths {
  const istio = chart !== "prometheus";
  const dir = chart === "prometheus" ? pinnedPrometheusChart() : pinnedIstioChart(chart);
  const paths: ChartPaths = { chart, leaves: new Set(), objects: new Set(), maps: FREE_MAPS[chart], defaults: new Map() };
  const values = yaml.load(readFileSync(join(dir, "values.yaml"), "utf8")) as Values;
  addValuesPaths(paths, istio ? (values._internal_defaults_do_not_set as Values) : values);
  if (readdirSync(dir).includes("values.schema.json")) {
    paths.schema = JSON.parse(readFileSync(join(dir, "values.schema.json"), "utf8")) as Schema;
    addSchemaPaths(paths, paths.schema, paths.schema);
  }
  if (istio) {
    for (const key of PROFILE_KEYS) if (!paths.objects.has(key)) paths.leaves.add(key);
    paths.templates = readTemplates(dir);
  }
  return paths;
}

const CHARTS = Object.fromEntries((Object.keys(FREE_MAPS) as ChartName[]).map((c) => [c, chartPaths(c)])) as Record<ChartName, ChartPaths>;

/** The value paths of a values object that the chart does not have, or has in another shape. */
function unknownPaths(chart: ChartPaths, values: Values, prefix = ""): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (chart.maps.includes(path)) {
      if (!isMap(value)) out.push(`${path} (a map)`);
    } else if (chart.objects.has(path)) {
      if (isMap(value)) out.push(...unknownPaths(chart, value, path));
      else out.push(`${path} (the chart has keys below it)`);
    } else if (!chart.leaves.has(path)) out.push(path);
    else if (isMap(value) && Object.keys(value).length > 0) out.push(`${path} (the chart has no keys below it)`);
  }
  return out;
}

/** Leaves whose value is not of the type of the chart's default (`"false"` for a boolean is true in a template). */
function typeMismatches(chart: ChartPaths, values: Values, prefix = ""): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (chart.maps.includes(path)) return [];
    if (isMap(value)) return typeMismatches(chart, value, path);
    const def = chart.defaults.get(path);
    const kind = (v: unknown) => (Array.isArray(v) ? "list" : typeof v);
    return def === undefined || def === null || kind(def) === kind(value) ? [] : [`${path}: ${kind(value)}, the chart's default is a ${kind(def)}`];
  });
}

/** Paths the stack sets (leaves and free maps) that no template of an Istio chart reads as `.Values.<path>`. */
function unreadPaths(chart: ChartPaths, values: Values, prefix = ""): string[] {
  if (chart.templates === undefined) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isMap(value) && !chart.maps.includes(path)) return unreadPaths(chart, value, path);
    const read = new RegExp(`\\.Values\\.${path.replace(/[.$]/g, "\\$&")}(?![\\w-])`).test(chart.templates!);
    return read ? [] : [path];
  });
}

/** Everything wrong with a release's values: unknown paths, wrong types, unread paths, and what Helm's schema check refuses. */
function valueProblems(chart: ChartPaths, values: Values): string[] {
  const schema = chart.schema ? walk(chart.schema, values, "values", { unknownFields: "allow" }) : [];
  return [...unknownPaths(chart, values), ...typeMismatches(chart, values), ...unreadPaths(chart, values).map((p) => `${p} (read by no template)`), ...schema];
}

function expectAccepted(mocks: PulumiMocks, atLeast: number): void {
  const releases = mocks.ofType("kubernetes:helm.sh/v3:Release");
  expect(releases.length).toBeGreaterThanOrEqual(atLeast);
  for (const r of releases) {
    const chart = CHARTS[r.inputs.chart as ChartName];
    expect({ release: r.name, chartKnown: chart !== undefined }).toEqual({ release: r.name, chartKnown: true });
    expect({ release: r.name, problems: valueProblems(chart, plain(r.inputs.values ?? {})) }).toEqual({ release: r.name, problems: [] });
  }
}

describe("the accepted value paths, as read from the pinned charts", () => {
  it("hold the keys of values.yaml, of the gateway's schema and of zzz_profile.yaml, not their neighbours' misspellings", () => {
    expect(CHARTS.istiod.leaves).toContain("global.multiCluster.clusterName");
    expect(CHARTS.istiod.leaves).toContain("istiodRemote.injectionPath");
    expect(CHARTS.gateway.leaves).toContain("service.loadBalancerIP");
    expect(CHARTS.gateway.objects).toContain("networkGatewayPorts");
    expect(CHARTS.gateway.leaves).toContain("enabled"); // in values.schema.json only
    expect(CHARTS.prometheus.leaves).toContain("server.global.scrape_interval");
    for (const chart of [CHARTS.base, CHARTS.istiod, CHARTS.gateway]) expect(chart.leaves).toContain("profile");
    expect(CHARTS.istiod.leaves).not.toContain("global.multicluster.clusterName");
    expect(CHARTS.istiod.objects).not.toContain("pilot");
  });

  it.each(["base", "istiod", "gateway"] as const)("%s: zzz_profile.yaml reads every profile key", (chart) => {
    const profile = readFileSync(join(pinnedIstioChart(chart), "templates", "zzz_profile.yaml"), "utf8").replace(/\(\s*\$?\.Values((?:\.\w+)*)\s*\)/g, ".Values$1");
    for (const key of PROFILE_KEYS) expect({ key, read: profile.includes(`.Values.${key}`) }).toEqual({ key, read: true });
  });

  it.each((Object.keys(FREE_MAPS) as ChartName[]).filter((c) => FREE_MAPS[c].length > 0))("%s: every free-form map of the list is a map in the chart", (chart) => {
    const c = CHARTS[chart];
    for (const map of c.maps) {
      expect({ map, isAMap: isMap(c.defaults.get(map)) }).toEqual({ map, isAMap: true });
    }
  });
});

describe("the value-path check", () => {
  it("catches a misspelt or misplaced path, a wrong type or shape, and accepts the chart's own", () => {
    const gateway = CHARTS.gateway;
    expect(valueProblems(gateway, { networkGateway: "n", service: { type: "LoadBalancer", loadBalancerIP: "10.0.0.9", loadBalancerSourceRanges: ["10.0.0.0/8"] } })).toEqual([]);
    expect(unknownPaths(gateway, { networkGateways: "n" })).toEqual(["networkGateways"]);
    expect(unknownPaths(gateway, { service: { loadBalancerSourceRange: ["10.0.0.0/8"] } })).toEqual(["service.loadBalancerSourceRange"]);
    expect(unknownPaths(gateway, { loadBalancerSourceRanges: ["10.0.0.0/8"] })).toEqual(["loadBalancerSourceRanges"]);
    expect(unknownPaths(gateway, { labels: { anything: "x" }, service: { annotations: { "any/annotation": "y" } } })).toEqual([]);
    expect(unknownPaths(gateway, { labels: "x" })).toEqual(["labels (a map)"]);
    expect(unknownPaths(gateway, { service: "LoadBalancer" })).toEqual(["service (the chart has keys below it)"]);
    expect(unknownPaths(gateway, { networkGateway: { name: "n" } })).toEqual(["networkGateway (the chart has no keys below it)"]);
    // istiod reads env at the top level, not under pilot
    expect(unknownPaths(CHARTS.istiod, { pilot: { env: { EXTERNAL_ISTIOD: "true" } } })).toEqual(["pilot"]);
    expect(unknownPaths(CHARTS.istiod, { global: { multicluster: { clusterName: "x" } } })).toEqual(["global.multicluster"]);
    expect(typeMismatches(CHARTS.istiod, { global: { externalIstiod: "false" } })).toEqual(["global.externalIstiod: string, the chart's default is a boolean"]);
    expect(typeMismatches(gateway, { service: { loadBalancerSourceRanges: "10.0.0.0/8" } })).toEqual(["service.loadBalancerSourceRanges: string, the chart's default is a list"]);
  });

  it("reports what Helm's schema check refuses, and a path no template reads", () => {
    expect(valueProblems(CHARTS.gateway, { kind: "StatefulSet" })).toEqual(['values.kind: "StatefulSet" is not one of "Deployment", "DaemonSet"']);
    expect(valueProblems(CHARTS.gateway, { service: { loadBalancerIP: 10 } })).toEqual([
      "service.loadBalancerIP: number, the chart's default is a string",
      "values.service.loadBalancerIP: integer 10, the schema wants string",
    ]);
    // in base's values.yaml for istioctl's use: no template of the chart reads it, so Helm would ignore it
    expect(unreadPaths(CHARTS.base, { defaultRevision: "default", base: { enableIstioConfigCRDs: false } })).toEqual(["base.enableIstioConfigCRDs"]);
  });
});

describe("every Helm value the stack passes exists in the pinned chart", () => {
  const cases: Array<[string, Record<string, string>]> = [
    ...Object.entries(SHAPES),
    ["public gateways on one network", { eastWestExposure: "public", eastWestSourceRanges: "198.51.100.0/24" }],
    ["internal gateways on two networks", { burstNetwork: "network2", eastWestExposure: "internal", eastWestSourceRanges: "10.0.0.0/8" }],
  ];
  it.each(cases)("%s", async (_shape, config) => {
    const { mocks } = await runProgram(config);
    expectAccepted(mocks, 7);
  });

  it("east-west gateways with a reserved address (service.loadBalancerIP), in both components", async () => {
    const mocks = freshMocks();
    const pulumi = await import("@pulumi/pulumi");
    const k8s = await import("@pulumi/kubernetes");
    const { IstioPrimary } = require("../../istio/primary") as typeof import("../../istio/primary");
    const { EastWestGateway } = require("../../istio/east-west-gateway") as typeof import("../../istio/east-west-gateway");
    const charts = { kind: "repository", url: "https://example.test/charts" } as const;
    const provider = new k8s.Provider("primary-k8s", { kubeconfig: "{}" });
    const version = pinnedVersions().istio;
    new IstioPrimary("p", { provider, version, charts, meshId: "m", network: "n1", eastWestAddress: pulumi.output(Promise.resolve("10.138.0.50")), exposeServices: true });
    new EastWestGateway("b-eastwest", { provider, version, charts, namespace: "istio-system", network: "n2", internal: false, sourceRanges: ["192.0.2.0/24"], address: "34.1.2.3", dependsOn: [] });
    await settleAll();
    const addresses = mocks.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.inputs.values.service?.loadBalancerIP);
    expect(addresses.filter((a) => a !== undefined).sort()).toEqual(["10.138.0.50", "34.1.2.3"]);
    expectAccepted(mocks, 5);
  });
});
