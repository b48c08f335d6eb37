/**
 * Every Helm value the stack passes exists in the pinned chart. Helm ignores a value path its chart
 * does not read (`networkGateways: network2` would install a gateway for no network, silently), so
 * each release of each shape is checked against the paths below.
 *
 * The lists are data, derived by reading the pinned charts' values: Istio 1.28.0 `base`, `istiod` and
 * `gateway` (their values.yaml, whose keys sit under `_internal_defaults_do_not_set`, the gateway's
 * values.schema.json, and `profile`, read by each chart's templates/zzz_profile.yaml) and
 * prometheus-community `prometheus` 27.37.0 (values.yaml). Only a few neighbours of the paths the
 * stack uses are listed; add a path here after finding it in the chart at the pinned version.
 */
import { SHAPES, runProgram } from "../helpers/pulumi";

interface ChartPaths {
  /** leaf paths (a scalar or a list) */
  leaves: string[];
  /** free-form maps: any key below them is the user's (labels, annotations, env) */
  maps: string[];
}

const CHART_PATHS: Record<string, ChartPaths> = {
  base: {
    leaves: ["profile", "defaultRevision", "global.istioNamespace", "global.resourceScope", "base.enableCRDTemplates", "base.validationURL"],
    maps: [],
  },
  istiod: {
    leaves: [
      "profile",
      "revision",
      "autoscaleEnabled",
      "replicaCount",
      "global.meshID",
      "global.network",
      "global.multiCluster.clusterName",
      "global.externalIstiod",
      "global.configCluster",
      "global.remotePilotAddress",
      "global.caAddress",
      "global.istioNamespace",
      "istiodRemote.enabled",
      "istiodRemote.injectionPath",
      "istiodRemote.injectionURL",
      "sidecarInjectorWebhook.rewriteAppHTTPProbe",
      "meshConfig.enablePrometheusMerge",
    ],
    maps: ["env", "global.meshNetworks"],
  },
  gateway: {
    leaves: [
      "name",
      "revision",
      "replicaCount",
      "networkGateway",
      "service.type",
      "service.loadBalancerIP",
      "service.loadBalancerSourceRanges",
      "service.externalTrafficPolicy",
      "service.externalIPs",
      "service.ports",
      "autoscaling.enabled",
      "autoscaling.minReplicas",
      "autoscaling.maxReplicas",
    ],
    maps: ["labels", "annotations", "service.annotations", "podAnnotations", "nodeSelector", "env"],
  },
  prometheus: {
    leaves: [
      "alertmanager.enabled",
      "kube-state-metrics.enabled",
      "prometheus-node-exporter.enabled",
      "prometheus-pushgateway.enabled",
      "server.fullnameOverride",
      "server.persistentVolume.enabled",
      "server.service.servicePort",
      "server.service.type",
      "server.global.scrape_interval",
      "server.global.scrape_timeout",
      "server.global.evaluation_interval",
    ],
    maps: ["server.podLabels", "server.podAnnotations"],
  },
};

/** The value paths of a values object that the chart does not have (leaf paths, or keys below a map). */
function unknownPaths(chart: ChartPaths, values: Record<string, unknown>, prefix = ""): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (chart.maps.includes(path)) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) out.push(`${path} (a map)`);
      continue;
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      if (!chart.leaves.some((l) => l.startsWith(`${path}.`)) && !chart.maps.some((m) => m.startsWith(`${path}.`))) out.push(path);
      else out.push(...unknownPaths(chart, value as Record<string, unknown>, path));
      continue;
    }
    if (!chart.leaves.includes(path)) out.push(path);
  }
  return out;
}

describe("the value-path check", () => {
  it("catches a misspelt or misplaced path, and accepts the chart's own", () => {
    const gateway = CHART_PATHS.gateway;
    expect(unknownPaths(gateway, { networkGateway: "n", service: { type: "LoadBalancer", loadBalancerSourceRanges: ["10.0.0.0/8"] } })).toEqual([]);
    expect(unknownPaths(gateway, { networkGateways: "n" })).toEqual(["networkGateways"]);
    expect(unknownPaths(gateway, { service: { loadBalancerSourceRange: ["10.0.0.0/8"] } })).toEqual(["service.loadBalancerSourceRange"]);
    expect(unknownPaths(gateway, { loadBalancerSourceRanges: ["10.0.0.0/8"] })).toEqual(["loadBalancerSourceRanges"]);
    expect(unknownPaths(gateway, { labels: { anything: "x" }, service: { annotations: { "any/annotation": "y" } } })).toEqual([]);
    expect(unknownPaths(gateway, { labels: "x" })).toEqual(["labels (a map)"]);
    // istiod 1.28 reads env at the top level, not under pilot
    expect(unknownPaths(CHART_PATHS.istiod, { pilot: { env: { EXTERNAL_ISTIOD: "true" } } })).toEqual(["pilot"]);
    expect(unknownPaths(CHART_PATHS.istiod, { global: { multicluster: { clusterName: "x" } } })).toEqual(["global.multicluster"]);
  });
});

describe("every Helm value the stack passes exists in the pinned chart", () => {
  const cases: Array<[string, Record<string, string>]> = [
    ...Object.entries(SHAPES),
    ["public gateways on one network", { eastWestInternal: "false", eastWestSourceRanges: "198.51.100.0/24" }],
    ["internal gateways on two networks", { burstNetwork: "network2", eastWestInternal: "true", eastWestSourceRanges: "10.0.0.0/8" }],
  ];
  it.each(cases)("%s", async (_shape, config) => {
    const { mocks } = await runProgram(config);
    const releases = mocks.ofType("kubernetes:helm.sh/v3:Release");
    expect(releases.length).toBeGreaterThanOrEqual(7);
    for (const r of releases) {
      const chart = CHART_PATHS[r.inputs.chart];
      expect({ release: r.name, chartKnown: chart !== undefined }).toEqual({ release: r.name, chartKnown: true });
      expect({ release: r.name, unknown: unknownPaths(chart, r.inputs.values ?? {}) }).toEqual({ release: r.name, unknown: [] });
    }
  });
});
