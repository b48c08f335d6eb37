import { clusterOf, freshMocks, makeProviders, object, objects, propsRecorder, settleAll, valueOf } from "../helpers/pulumi";
import { HashrRouting, WORKER_WEIGHTS_IGNORE_CHANGES } from "../../istio/routing";
import type { Weights } from "../../packages/contract/src";

const WORKER_FQDN = "worker-service.hashr.svc.cluster.local";

describe("HashrRouting", () => {
  async function build(naturalWeights: Weights = { primary: 100, burst: 0 }, ingressGatewaySelector: Record<string, string> = { istio: "ingressgateway" }) {
    const mocks = freshMocks();
    const { primary } = makeProviders();
    const recorder = propsRecorder();
    const routing = new HashrRouting(
      "routing",
      { provider: primary, namespace: "hashr", naturalWeights, ingressGatewaySelector, dependsOn: [] },
      { transformations: recorder.transformations },
    );
    await valueOf(routing.workerVirtualServiceName);
    await settleAll();
    return { mocks, routing, recorder };
  }

  it("creates every object in the primary cluster with Istio's v1 APIs", async () => {
    const { mocks } = await build();
    const istio = mocks.resources.filter((r) => r.type.startsWith("kubernetes:networking.istio.io") || r.type.startsWith("kubernetes:security.istio.io"));
    expect(istio.map((r) => r.type).sort()).toEqual([
      "kubernetes:networking.istio.io/v1:DestinationRule",
      "kubernetes:networking.istio.io/v1:Gateway",
      "kubernetes:networking.istio.io/v1:VirtualService",
      "kubernetes:networking.istio.io/v1:VirtualService",
      "kubernetes:networking.istio.io/v1:VirtualService",
      "kubernetes:security.istio.io/v1:PeerAuthentication",
    ]);
    for (const r of istio) {
      expect(clusterOf(r)).toBe("primary");
      expect(r.inputs.metadata.namespace).toBe("hashr");
    }
  });

  it("exposes the frontend through the ingress gateway", async () => {
    const { mocks } = await build();
    const gw = object(mocks, "Gateway", "frontend-gateway");
    expect(gw.inputs.spec).toEqual({
      selector: { istio: "ingressgateway" },
      servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    });
    const vs = object(mocks, "VirtualService", "frontend-ingress-virtual-service");
    expect(vs.inputs.spec).toEqual({
      hosts: ["*"],
      gateways: ["frontend-gateway"],
      http: [{ route: [{ destination: { host: "frontend-service.hashr.svc.cluster.local", port: { number: 80 } } }] }],
    });
  });

  it("routes Redis as TCP through the mesh", async () => {
    const { mocks } = await build();
    const vs = object(mocks, "VirtualService", "redis-virtual-service");
    expect(vs.inputs.spec).toEqual({
      hosts: ["redis-cache-service.hashr.svc.cluster.local"],
      gateways: ["mesh"],
      tcp: [{ match: [{ port: 6379 }], route: [{ destination: { host: "redis-cache-service.hashr.svc.cluster.local", port: { number: 6379 } } }] }],
    });
  });

  it.each([
    [{ primary: 100, burst: 0 }],
    [{ primary: 70, burst: 30 }],
    [{ primary: 0, burst: 100 }],
  ])("splits worker-service between subsets primary/burst at the natural weights %j", async (weights) => {
    const { mocks } = await build(weights);
    const vs = object(mocks, "VirtualService", "worker-virtual-service");
    expect(vs.inputs.spec.hosts).toEqual([WORKER_FQDN]);
    expect(vs.inputs.spec.gateways).toEqual(["mesh"]);
    expect(vs.inputs.spec.http).toHaveLength(1);
    const route = vs.inputs.spec.http[0].route as any[];
    const bySubset = Object.fromEntries(route.map((d) => [d.destination.subset, d]));
    expect(Object.keys(bySubset).sort()).toEqual(["burst", "primary"]);
    expect(bySubset.primary.weight).toBe(weights.primary);
    expect(bySubset.burst.weight).toBe(weights.burst);
    expect(route.reduce((sum, d) => sum + d.weight, 0)).toBe(100);
    for (const d of route) expect(d.destination).toMatchObject({ host: WORKER_FQDN, port: { number: 80 } });
    expect(vs.inputs.metadata.annotations).toEqual({ "istio-burst/weights-owner": "istio-watcher", "istio-burst/natural-weights": `${weights.primary},${weights.burst}` });
  });

  it("defines the subsets by the cluster-type label", async () => {
    const { mocks } = await build();
    const dr = object(mocks, "DestinationRule", "worker-destination-rule");
    expect(dr.inputs.spec).toEqual({
      host: WORKER_FQDN,
      subsets: [
        { name: "primary", labels: { "cluster-type": "primary-cluster" } },
        { name: "burst", labels: { "cluster-type": "burst-cluster" } },
      ],
    });
  });

  it("requires mutual TLS (STRICT) for the namespace", async () => {
    const { mocks } = await build();
    const pa = objects(mocks, "PeerAuthentication");
    expect(pa).toHaveLength(1);
    expect(pa[0].inputs.metadata).toEqual({ name: "default", namespace: "hashr" });
    expect(pa[0].inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  it("leaves the worker weights to the watcher: ignoreChanges on spec.http of that VirtualService only", async () => {
    const { recorder } = await build();
    expect(WORKER_WEIGHTS_IGNORE_CHANGES).toEqual(["spec.http"]);
    const withIgnore = recorder.seen.filter((s) => (s.opts.ignoreChanges ?? []).length > 0);
    expect(withIgnore.map((s) => s.props.metadata.name)).toEqual(["worker-virtual-service"]);
    expect(withIgnore[0].opts.ignoreChanges).toEqual(["spec.http"]);
    // and the VirtualService waits for the DestinationRule that defines its subsets
    const vsOpts = withIgnore[0].opts;
    const dr = recorder.seen.find((s) => s.props.kind === "DestinationRule")!;
    expect(vsOpts.dependsOn).toContain(dr.resource);
  });

  it("binds the frontend Gateway to the ingress gateway pods it is given", async () => {
    const { mocks } = await build(undefined, { app: "istio-ingress" });
    expect(object(mocks, "Gateway", "frontend-gateway").inputs.spec.selector).toEqual({ app: "istio-ingress" });
  });

  it("refuses an empty gateway selector (it would bind the Gateway to every gateway pod)", async () => {
    freshMocks();
    const { primary } = makeProviders();
    expect(
      () => new HashrRouting("r1", { provider: primary, namespace: "hashr", naturalWeights: { primary: 100, burst: 0 }, ingressGatewaySelector: {}, dependsOn: [] }),
    ).toThrow(/ingressGatewaySelector must not be empty/);
  });
});
