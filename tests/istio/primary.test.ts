import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { dependenciesOf } from "../helpers/dependencies";
import { pinnedIstioChart } from "../helpers/pinned-charts";
import { chartFolder } from "../helpers/temp-folders";
import { valueOf, programRun } from "../helpers/pulumi";
import { EAST_WEST_IP, INGRESS_IP, RESERVED_EAST_WEST_IPS, SHAPES, providerName, runProgram, settleAll, type PulumiMocks } from "../helpers/pulumi";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts";
/** The pinned Istio release, the stack's default (config.ts DEFAULTS.istioVersion): what a stack installs when istioVersion is not set. */
const PINNED = "1.31.4";

/**
 * What Istio's gateway chart at the pin renders from a release's values, for the parts the stack relies
 * on, with the chart's own defaults (its values.yaml in the chart fixtures).
 * templates/service.yaml: with `networkGateway` set, the Service's ports are the four it names, in that
 * order, each from `networkGatewayPorts` (defaults 15021, 15443, 15012, 15017), and `service.ports` is
 * ignored; otherwise `service.ports` (default 15021, 80, 443).
 * templates/_helpers.tpl (gateway.selectorLabels): the pods' `istio` label is `labels.istio`, else the
 * gateway's name without its `istio-` prefix.
 */
const gatewayChart = (() => {
  const dir = pinnedIstioChart("gateway");
  const defaults = (yaml.load(readFileSync(join(dir, "values.yaml"), "utf8")) as any)._internal_defaults_do_not_set;
  const service = readFileSync(join(dir, "templates", "service.yaml"), "utf8");
  const networkPortNames = [...service.matchAll(/include "gateway\.networkGatewayPort" \(dict .*?"name" "([\w-]+)"/g)].map((m) => m[1]);
  return {
    networkPortNames,
    servicePorts(values: any): number[] {
      if (values.networkGateway) {
        const ports = { ...defaults.networkGatewayPorts, ...values.networkGatewayPorts };
        return networkPortNames.map((name) => ports[name].port);
      }
      return (values.service?.ports ?? defaults.service.ports).map((p: any) => p.port);
    },
    istioLabel(values: any, releaseName: string): string {
      return values.labels?.istio ?? (values.name || releaseName).replace(/^istio-/, "");
    },
  };
})();

describe("Istio primary and remote (whole program)", () => {
  const run = programRun();
  const release = (name: string) => run.mocks.get(RELEASE, name);

  it("every Helm release is on the right cluster's provider", () => {
    const where = Object.fromEntries(run.mocks.ofType(RELEASE).map((r) => [r.name, providerName(r.provider)]));
    expect(where).toEqual({
      "istio-primary-base": "primary-k8s",
      "istio-primary-istiod": "primary-k8s",
      "istio-primary-ingressgateway": "primary-k8s",
      "istio-primary-eastwestgateway": "primary-k8s",
      "prometheus-release": "primary-k8s",
      "istio-remote-base": "burst-k8s",
      "istio-remote-istiod": "burst-k8s",
    });
  });

  it("every Kubernetes object names one of the two cluster providers", () => {
    const k8s = run.mocks.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThanOrEqual(15);
    for (const r of k8s) expect([r.name, providerName(r.provider)]).toEqual([r.name, expect.stringMatching(/^(primary|burst)-k8s$/)]);
  });

  it("Istio charts come from the official repository at the pinned version, into istio-system", () => {
    const istio = run.mocks.ofType(RELEASE).filter((r) => r.name.startsWith("istio-"));
    expect(istio).toHaveLength(6);
    for (const r of istio) {
      expect(r.inputs.repositoryOpts).toEqual({ repo: ISTIO_REPO });
      expect(r.inputs.version).toBe(PINNED);
      expect(r.inputs.namespace).toBe("istio-system");
    }
    expect(istio.map((r) => `${r.name}=${r.inputs.chart}/${r.inputs.name}`).sort()).toEqual([
      "istio-primary-base=base/istio-base",
      "istio-primary-eastwestgateway=gateway/istio-eastwestgateway",
      "istio-primary-ingressgateway=gateway/istio-ingressgateway",
      "istio-primary-istiod=istiod/istiod",
      "istio-remote-base=base/istio-base",
      "istio-remote-istiod=istiod/istiod",
    ]);
  });

  it("primary istiod: mesh ID, cluster name primary, network, external istiod", () => {
    expect(release("istio-primary-istiod").inputs.values).toEqual({
      global: { meshID: "mesh1", multiCluster: { clusterName: "primary" }, network: "network1", externalIstiod: true },
    });
  });

  it("east-west gateway: a network gateway on an internal load balancer at its reserved address, with only values the chart reads", () => {
    // networkGateway makes the chart render the ports and the topology.istio.io/network label itself:
    // no service.ports (ignored) and no network label in `labels` (it would be rendered twice).
    expect(release("istio-primary-eastwestgateway").inputs.values).toEqual({
      networkGateway: "network1",
      labels: { istio: "eastwestgateway", app: "istio-eastwestgateway" },
      service: { type: "LoadBalancer", annotations: { "networking.gke.io/load-balancer-type": "Internal" }, loadBalancerIP: RESERVED_EAST_WEST_IPS.internal },
    });
  });

  it("the east-west gateway's Service, as the chart renders it, carries the ports the istiod Gateway serves, on the pods it selects", () => {
    const ew = release("istio-primary-eastwestgateway").inputs;
    const gw = run.mocks.get("kubernetes:networking.istio.io/v1:Gateway", "istio-primary-istiod-gateway").inputs;
    const served = gw.spec.servers.map((s: any) => s.port.number);
    expect(served).toEqual([15012, 15017]);
    expect(gatewayChart.networkPortNames).toEqual(["status-port", "tls", "tls-istiod", "tls-webhook"]);
    expect(gatewayChart.servicePorts(ew.values)).toEqual([15021, 15443, 15012, 15017]);
    expect(gatewayChart.servicePorts(ew.values)).toEqual(expect.arrayContaining(served));
    expect(gw.spec.selector).toEqual({ istio: gatewayChart.istioLabel(ew.values, ew.name) });
  });

  it("ingress gateway: a public LoadBalancer", () => {
    expect(release("istio-primary-ingressgateway").inputs.values).toEqual({ service: { type: "LoadBalancer" } });
  });

  it("exposes istiod on the east-west gateway: 15012 and 15017 passed through to istiod", () => {
    const gw = run.mocks.get("kubernetes:networking.istio.io/v1:Gateway", "istio-primary-istiod-gateway").inputs;
    expect(gw.metadata).toMatchObject({ name: "istiod-gateway", namespace: "istio-system" });
    expect(gw.spec.selector).toEqual({ istio: "eastwestgateway" });
    expect(gw.spec.servers.map((s: any) => [s.port.number, s.tls.mode])).toEqual([[15012, "PASSTHROUGH"], [15017, "PASSTHROUGH"]]);
    const vs = run.mocks.get("kubernetes:networking.istio.io/v1:VirtualService", "istio-primary-istiod-vs").inputs;
    expect(vs.spec.gateways).toEqual(["istiod-gateway"]);
    expect(vs.spec.tls.map((t: any) => [t.match[0].port, t.route[0].destination.host, t.route[0].destination.port.number])).toEqual([
      [15012, "istiod.istio-system.svc.cluster.local", 15012],
      [15017, "istiod.istio-system.svc.cluster.local", 443],
    ]);
  });

  it("burst: base and istiod with the remote profile, pointing at the east-west gateway's address", () => {
    expect(release("istio-remote-base").inputs.values).toEqual({ profile: "remote" });
    // Cluster name and network travel in the injection path only: no remote-profile template reads
    // global.multiCluster.clusterName or global.network.
    expect(release("istio-remote-istiod").inputs.values).toEqual({
      profile: "remote",
      global: { configCluster: true, remotePilotAddress: RESERVED_EAST_WEST_IPS.internal },
      istiodRemote: { injectionPath: "/inject/cluster/burst/net/network1" },
    });
  });

  it("the remote pilot address is the one reserved for a GKE primary's east-west gateway; an existing primary's is read from its Service", async () => {
    // reserved: known before the load balancer exists, so nothing reads the Service
    expect(run.mocks.ofType("kubernetes:core/v1:Service").filter((s) => s.name.includes("eastwest"))).toEqual([]);
    const own = await runProgram(SHAPES.ownPrimary);
    const svc = own.mocks.get("kubernetes:core/v1:Service", "istio-primary-eastwestgateway-svc");
    expect(providerName(svc.provider)).toBe("primary-k8s");
    expect(own.mocks.get(RELEASE, "istio-remote-istiod").inputs.values.global.remotePilotAddress).toBe(EAST_WEST_IP);
  });

  it("burst's istio-system is annotated with its control-plane cluster", () => {
    const ns = run.mocks.get("kubernetes:core/v1:Namespace", "istio-remote-istio-system").inputs.metadata;
    expect(ns.name).toBe("istio-system");
    expect(ns.annotations).toEqual({ "topology.istio.io/controlPlaneClusters": "primary" });
    expect(ns.labels).toEqual({ "topology.istio.io/network": "network1" });
    expect(run.mocks.get("kubernetes:core/v1:Namespace", "istio-primary-istio-system").inputs.metadata.name).toBe("istio-system");
  });

  it("exports the gateway addresses and the frontend URL", async () => {
    expect(await valueOf(run.program.eastWestGatewayAddress)).toBe(RESERVED_EAST_WEST_IPS.internal);
    expect(await valueOf(run.program.ingressGatewayAddress)).toBe(INGRESS_IP);
    expect(await valueOf(run.program.frontendUrl)).toBe(`http://${INGRESS_IP}/`);
  });
});

describe("Istio from config", () => {
  it("pins every Istio chart to the configured version and uses the configured mesh and network", async () => {
    const { mocks } = await runProgram({ istioVersion: "1.27.3", meshId: "m2", meshNetwork: "net-a", eastWestExposure: "public", eastWestSourceRanges: "198.51.100.0/24" });
    await settleAll();
    const istio = mocks.ofType(RELEASE).filter((r) => r.name.startsWith("istio-"));
    for (const r of istio) expect(r.inputs.version).toBe("1.27.3");
    expect(mocks.get(RELEASE, "istio-primary-istiod").inputs.values.global).toMatchObject({ meshID: "m2", network: "net-a" });
    expect(mocks.get(RELEASE, "istio-remote-istiod").inputs.values.istiodRemote.injectionPath).toBe("/inject/cluster/burst/net/net-a");
    const ew = mocks.get(RELEASE, "istio-primary-eastwestgateway").inputs.values;
    expect(ew.networkGateway).toBe("net-a");
    expect(ew.service.annotations).toEqual({});
    expect(ew.service.loadBalancerSourceRanges).toEqual(["198.51.100.0/24"]);
  });
});

describe("Istio components", () => {
  it("passes an Output address through as remotePilotAddress", async () => {
    const { freshMocks } = (require("../helpers/pulumi") as typeof import("../helpers/pulumi"));
    const mocks = freshMocks();
    const pulumi = await import("@pulumi/pulumi");
    const k8s = await import("@pulumi/kubernetes");
    const { IstioRemote } = (require("../../istio/remote") as typeof import("../../istio/remote"));
    const provider = new k8s.Provider("burst-k8s", { kubeconfig: "{}" });
    const address = pulumi.output(Promise.resolve("10.1.2.3"));
    new IstioRemote("r", { provider, version: PINNED, charts: { kind: "repository", url: "https://example.test/charts" }, network: "n1", remotePilotAddress: address });
    await settleAll();
    const istiod = mocks.get(RELEASE, "r-istiod");
    expect(istiod.inputs.values.global.remotePilotAddress).toBe("10.1.2.3");
    expect(providerName(istiod.provider)).toBe("burst-k8s");
    // Without cluster names given, the contract's Istio cluster names.
    expect(istiod.inputs.values.istiodRemote.injectionPath).toBe("/inject/cluster/burst/net/n1");
    expect(mocks.get("kubernetes:core/v1:Namespace", "r-istio-system").inputs.metadata.annotations).toEqual({ "topology.istio.io/controlPlaneClusters": "primary" });
  });

  it("IstioPrimary's ingressGatewaySelector matches the ingress gateway pods as the chart labels them", async () => {
    const { freshMocks } = (require("../helpers/pulumi") as typeof import("../helpers/pulumi"));
    const mocks = freshMocks();
    const k8s = await import("@pulumi/kubernetes");
    const { IstioPrimary } = (require("../../istio/primary") as typeof import("../../istio/primary"));
    const provider = new k8s.Provider("p", { kubeconfig: "{}" });
    const primary = new IstioPrimary("p", { provider, version: PINNED, charts: { kind: "repository", url: "https://example.test/charts" }, meshId: "m", network: "n" });
    await settleAll();
    const ingress = mocks.get(RELEASE, "p-ingressgateway").inputs;
    expect(primary.ingressGatewaySelector).toEqual({ istio: gatewayChart.istioLabel(ingress.values, ingress.name) });
    expect(primary.ingressGatewaySelector).toEqual({ istio: "ingressgateway" });
  });

  it("IstioPrimary refuses an unpinned version", async () => {
    const { freshMocks } = (require("../helpers/pulumi") as typeof import("../helpers/pulumi"));
    freshMocks();
    const k8s = await import("@pulumi/kubernetes");
    const { IstioPrimary } = (require("../../istio/primary") as typeof import("../../istio/primary"));
    const provider = new k8s.Provider("p", { kubeconfig: "{}" });
    expect(() => new IstioPrimary("p", { provider, version: "latest", charts: { kind: "repository", url: "https://example.test/charts" }, meshId: "m", network: "n" })).toThrow(/must be pinned/);
    await settleAll();
  });
});

describe("east-west gateways on two networks (components)", () => {
  it("IstioPrimary with exposeServices: the cross-network Gateway on 15443 for every *.local service, TLS passed through", async () => {
    const { freshMocks } = require("../helpers/pulumi") as typeof import("../helpers/pulumi");
    const mocks = freshMocks();
    const k8s = await import("@pulumi/kubernetes");
    const { IstioPrimary } = require("../../istio/primary") as typeof import("../../istio/primary");
    const provider = new k8s.Provider("primary-k8s", { kubeconfig: "{}" });
    const p = new IstioPrimary("p", { provider, version: PINNED, charts: { kind: "repository", url: "https://example.test/charts" }, meshId: "m", network: "onprem", eastWestInternal: false, eastWestSourceRanges: ["192.0.2.0/24"], exposeServices: true });
    await settleAll();
    expect(p.crossNetworkGateway).toBeDefined();
    const gw = mocks.get("kubernetes:networking.istio.io/v1:Gateway", "p-cross-network-gateway");
    expect(providerName(gw.provider)).toBe("primary-k8s");
    expect(gw.inputs.metadata).toEqual({ name: "cross-network-gateway", namespace: "istio-system" });
    expect(gw.inputs.spec).toEqual({
      selector: { istio: "eastwestgateway" },
      servers: [{ port: { number: 15443, name: "tls", protocol: "TLS" }, tls: { mode: "AUTO_PASSTHROUGH" }, hosts: ["*.local"] }],
    });
    const ew = mocks.get(RELEASE, "p-eastwestgateway").inputs;
    expect(ew.values).toEqual({
      networkGateway: "onprem",
      labels: { istio: "eastwestgateway", app: "istio-eastwestgateway" },
      service: { type: "LoadBalancer", annotations: {}, loadBalancerSourceRanges: ["192.0.2.0/24"] },
    });
    // the chart renders 15443 on a network gateway's Service, and the Gateway selects its pods
    expect(gatewayChart.servicePorts(ew.values)).toContain(15443);
    expect(gw.inputs.spec.selector).toEqual({ istio: gatewayChart.istioLabel(ew.values, ew.name) });
  });

  it("IstioPrimary without exposeServices has no cross-network Gateway", async () => {
    const { freshMocks } = require("../helpers/pulumi") as typeof import("../helpers/pulumi");
    const mocks = freshMocks();
    const k8s = await import("@pulumi/kubernetes");
    const { IstioPrimary } = require("../../istio/primary") as typeof import("../../istio/primary");
    const p = new IstioPrimary("p", { provider: new k8s.Provider("p", { kubeconfig: "{}" }), version: PINNED, charts: { kind: "repository", url: "https://example.test/charts" }, meshId: "m", network: "n" });
    await settleAll();
    expect(p.crossNetworkGateway).toBeUndefined();
    expect(mocks.ofType("kubernetes:networking.istio.io/v1:Gateway").map((g) => g.inputs.metadata.name)).toEqual(["istiod-gateway"]);
  });

  it("EastWestGateway: the gateway chart in the given cluster, for its network, and its load balancer's address", async () => {
    const { freshMocks, BURST_EAST_WEST_IP } = require("../helpers/pulumi") as typeof import("../helpers/pulumi");
    const mocks = freshMocks();
    const k8s = await import("@pulumi/kubernetes");
    const { EastWestGateway } = require("../../istio/east-west-gateway") as typeof import("../../istio/east-west-gateway");
    const provider = new k8s.Provider("burst-k8s", { kubeconfig: "{}" });
    const gw = new EastWestGateway("burst-eastwestgateway", {
      provider,
      version: PINNED,
      charts: { kind: "repository", url: ISTIO_REPO },
      namespace: "istio-system",
      network: "gke",
      internal: false,
      sourceRanges: ["198.51.100.0/24"],
      dependsOn: [],
    });
    expect(await valueOf(gw.address)).toBe(BURST_EAST_WEST_IP);
    await settleAll();
    const r = mocks.get(RELEASE, "burst-eastwestgateway");
    expect(providerName(r.provider)).toBe("burst-k8s");
    expect(r.inputs).toMatchObject({ chart: "gateway", version: PINNED, name: "istio-eastwestgateway", namespace: "istio-system", repositoryOpts: { repo: ISTIO_REPO } });
    expect(r.inputs.values).toEqual({
      networkGateway: "gke",
      labels: { istio: "eastwestgateway", app: "istio-eastwestgateway" },
      service: { type: "LoadBalancer", annotations: {}, loadBalancerSourceRanges: ["198.51.100.0/24"] },
    });
    expect(providerName(mocks.get("kubernetes:core/v1:Service", "burst-eastwestgateway-svc").provider)).toBe("burst-k8s");
  });
});

describe("where the charts come from (istioChartRepo, prometheusChartRepo)", () => {
  const charts = (mocks: import("../helpers/pulumi").PulumiMocks) =>
    mocks.ofType(RELEASE).map((r) => ({ name: r.inputs.name, chart: r.inputs.chart, version: r.inputs.version, repo: r.inputs.repositoryOpts?.repo }));

  it("installs every release from a folder of chart folders, by path, with no repository", async () => {
    const { runProgram } = require("../helpers/pulumi") as typeof import("../helpers/pulumi");
    const path = await import("node:path");
    const istio = chartFolder({ base: PINNED, istiod: PINNED, gateway: PINNED });
    const prometheus = chartFolder({ prometheus: "27.37.0" });
    const { mocks } = await runProgram({ istioChartRepo: istio, prometheusChartRepo: prometheus });
    for (const r of charts(mocks)) {
      const dir = r.name === "prometheus" ? prometheus : istio;
      expect({ release: r.name, repo: r.repo, version: r.version, inFolder: path.dirname(r.chart) }).toEqual({ release: r.name, repo: undefined, version: undefined, inFolder: dir });
    }
    expect(charts(mocks).map((r) => path.basename(r.chart)).sort()).toEqual(["base", "base", "gateway", "gateway", "istiod", "istiod", "prometheus"]);
  });

  it("installs every release from an OCI registry at the pinned versions", async () => {
    const { runProgram } = require("../helpers/pulumi") as typeof import("../helpers/pulumi");
    const { mocks } = await runProgram({ istioChartRepo: "oci://registry.example/istio", prometheusChartRepo: "oci://registry.example/prom" });
    for (const r of charts(mocks)) {
      const expected = r.name === "prometheus" ? { chart: "oci://registry.example/prom/prometheus", version: "27.37.0" } : { chart: expect.stringMatching(/^oci:\/\/registry\.example\/istio\/(base|istiod|gateway)$/), version: PINNED };
      expect({ chart: r.chart, version: r.version, repo: r.repo }).toEqual({ ...expected, repo: undefined });
    }
  });
});

/** Where each Istio chart comes in a cluster's install (and upgrade) order: `base` (the CRDs), then `istiod`, then the gateways. */
const CHART_ORDER: Record<string, number> = { base: 0, istiod: 1, gateway: 2 };

/**
 * Each Istio release's place in its cluster's order, as the engine runs creates and updates: how many
 * Istio releases of the same cluster it waits for, one after the other (by `<provider>/<chart>/<release>`).
 */
function releaseOrder(mocks: PulumiMocks): Record<string, number> {
  const istio = new Map(mocks.ofType(RELEASE).filter((r) => r.inputs.chart in CHART_ORDER).map((r) => [r.name, r]));
  const place = (name: string): number => {
    const cluster = providerName(istio.get(name)!.provider);
    const waitsFor = dependenciesOf(RELEASE, name)
      .filter((d) => d.startsWith(`${RELEASE}::`))
      .map((d) => d.slice(RELEASE.length + 2))
      .filter((d) => istio.has(d) && providerName(istio.get(d)!.provider) === cluster);
    return Math.max(-1, ...waitsFor.map(place)) + 1;
  };
  return Object.fromEntries([...istio.values()].map((r) => [`${providerName(r.provider)}/${r.inputs.chart}/${r.inputs.name}`, place(r.name)]));
}

describe("the Istio releases' order in each cluster", () => {
  it.each(Object.entries(SHAPES))("%s: base, then istiod, then the gateways", async (_shape, config) => {
    const { mocks } = await runProgram(config);
    const order = releaseOrder(mocks);
    const charts = Object.keys(order).map((key) => key.split("/")[1]);
    expect(charts.filter((c) => c === "base")).toHaveLength(2);
    expect(charts.filter((c) => c === "istiod")).toHaveLength(2);
    expect(charts.filter((c) => c === "gateway").length).toBeGreaterThanOrEqual(2);
    expect(order).toEqual(Object.fromEntries(Object.keys(order).map((key) => [key, CHART_ORDER[key.split("/")[1]]])));
  });
});
