/**
 * The v1 Endpoints `istio-system/istiod` the stack owns in burst beside the remote chart's
 * EndpointSlice: a kube-apiserver with --enable-aggregator-routing (GKE's) reads v1 Endpoints to call a
 * Service-referenced webhook before Kubernetes 1.34, and without them no injected burst pod is created.
 */
import { EAST_WEST_IP, SHAPES, freshMocks, providerName, runProgram, settleAll, type PulumiMocks } from "../helpers/pulumi";

const ENDPOINTS = "kubernetes:core/v1:Endpoints";

const istiodEndpoints = (mocks: PulumiMocks) => mocks.ofType(ENDPOINTS);

describe("the istiod Endpoints in burst", () => {
  it("point at the primary's east-west gateway on the Service's named ports, in burst's istio-system, after the remote install", async () => {
    const { mocks } = await runProgram();
    const [endpoints] = istiodEndpoints(mocks);
    expect(providerName(endpoints.provider)).toBe("burst-k8s");
    expect(endpoints.inputs.metadata).toMatchObject({ name: "istiod", namespace: "istio-system" });
    expect(endpoints.inputs.subsets).toEqual([
      {
        addresses: [{ ip: EAST_WEST_IP }],
        ports: [
          { name: "tcp-istiod", port: 15012, protocol: "TCP" },
          { name: "tcp-webhook", port: 15017, protocol: "TCP" },
        ],
      },
    ]);
    const order = mocks.resources.map((r) => r.name);
    expect(order.indexOf("istio-remote-istiod-endpoints")).toBeGreaterThan(order.indexOf("istio-remote-istiod"));
  });

  it("are not made for a load balancer known by a hostname (the chart's istiod is then an ExternalName Service)", async () => {
    const mocks = freshMocks();
    const k8s = await import("@pulumi/kubernetes");
    const { IstioRemote } = require("../../istio/remote") as typeof import("../../istio/remote");
    const provider = new k8s.Provider("burst-k8s", { kubeconfig: "{}" });
    const charts = { kind: "repository", url: "https://example.test/charts" } as const;
    new IstioRemote("r", { provider, version: "1.31.4", charts, network: "n1", remotePilotAddress: "abc.elb.example.com", remotePilotIsIp: false });
    await settleAll();
    expect(istiodEndpoints(mocks)).toEqual([]);
  });

  it("follow the remote install in every shape with an IP-addressed east-west gateway", async () => {
    const { mocks } = await runProgram(SHAPES.gkeTwoNetworks);
    expect(istiodEndpoints(mocks).map((e) => providerName(e.provider))).toEqual(["burst-k8s"]);
  });
});
