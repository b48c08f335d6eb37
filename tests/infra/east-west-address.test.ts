import * as gcp from "@pulumi/gcp";
import { EastWestAddress } from "../../infra/east-west-address";
import {
  EAST_WEST_IP,
  EAST_WEST_SOURCE_RANGES,
  RESERVED_EAST_WEST_IPS,
  SHAPES,
  TEST_PROJECT,
  freshMocks,
  object,
  objects,
  providerName,
  runProgram,
  settleAll,
  valueOf,
  type PulumiMocks,
} from "../helpers/pulumi";

const ADDRESS = "gcp:compute/address:Address";
const RELEASE = "kubernetes:helm.sh/v3:Release";

describe("EastWestAddress component", () => {
  async function make(exposure: "internal" | "public", subnetwork?: string) {
    const mocks = freshMocks();
    const a = new EastWestAddress("ew", { addressName: "istio-burst-eastwest-x", project: TEST_PROJECT, region: "us-west1", exposure, subnetwork, gcpProvider: new gcp.Provider("gcp", {}) });
    const address = await valueOf(a.address);
    await settleAll();
    return { mocks, address, inputs: mocks.get(ADDRESS, "ew-ip").inputs };
  }

  it("internal: a static internal address in the primary's subnet, no network tier", async () => {
    const { inputs, address } = await make("internal", "istio-burst-x-primary");
    expect(inputs).toMatchObject({ name: "istio-burst-eastwest-x", project: TEST_PROJECT, region: "us-west1", addressType: "INTERNAL", subnetwork: "istio-burst-x-primary", purpose: "GCE_ENDPOINT" });
    expect(inputs.networkTier).toBeUndefined();
    expect(address).toBe(RESERVED_EAST_WEST_IPS.internal);
  });

  it("public: a static external regional address on the Premium tier, in no subnet", async () => {
    const { inputs, address, mocks } = await make("public", "ignored-subnet");
    expect(inputs).toMatchObject({ region: "us-west1", addressType: "EXTERNAL", networkTier: "PREMIUM" });
    expect(inputs.subnetwork).toBeUndefined();
    expect(inputs.purpose).toBeUndefined();
    expect(address).toBe(RESERVED_EAST_WEST_IPS.public);
    expect(providerName(mocks.get(ADDRESS, "ew-ip").provider)).toBe("gcp");
  });

  it("refuses an internal address without the subnet to take it from", async () => {
    freshMocks();
    expect(() => new EastWestAddress("ew", { addressName: "a", project: TEST_PROJECT, region: "us-west1", exposure: "internal", gcpProvider: new gcp.Provider("gcp", {}) })).toThrow(/needs the primary's subnetwork/);
    await settleAll();
  });
});

describe("the primary's east-west address (whole program)", () => {
  /** The primary's east-west gateway release and what the burst cluster is pointed at. */
  function eastWest(mocks: PulumiMocks) {
    const release = mocks.get(RELEASE, "istio-primary-eastwestgateway").inputs;
    const remote = mocks.get(RELEASE, "istio-remote-istiod").inputs.values.global;
    const endpoints = objects(mocks, "Endpoints", "burst");
    return { service: release.values.service, remotePilotAddress: remote.remotePilotAddress, endpoints };
  }

  it("GKE primary, internal exposure (one network): an internal address in the primary's subnet, the gateway's and the burst cluster's", async () => {
    const { mocks, program } = await runProgram();
    const [address] = mocks.ofType(ADDRESS);
    expect(address.inputs).toMatchObject({ name: "istio-burst-eastwest-a1b2c3", addressType: "INTERNAL", subnetwork: "istio-burst-a1b2c3-primary", region: "us-west1" });
    expect(mocks.ofType(ADDRESS)).toHaveLength(1);
    const ew = eastWest(mocks);
    expect(ew.service).toMatchObject({ loadBalancerIP: RESERVED_EAST_WEST_IPS.internal, annotations: { "networking.gke.io/load-balancer-type": "Internal" } });
    expect(ew.remotePilotAddress).toBe(RESERVED_EAST_WEST_IPS.internal);
    expect(await valueOf(program.eastWestGatewayAddress)).toBe(RESERVED_EAST_WEST_IPS.internal);
    // an IP by construction: the burst cluster's v1 Endpoints istiod points at it
    expect(object(mocks, "Endpoints", "istiod", "burst").inputs.subsets[0].addresses).toEqual([{ ip: RESERVED_EAST_WEST_IPS.internal }]);
    // reserved before the gateway asks for it
    expect(mocks.dependenciesOf(mocks.get(RELEASE, "istio-primary-eastwestgateway"))).toContain(`${ADDRESS}::eastwest-address-ip`);
  });

  it("GKE primary, public exposure: a regional external address, restricted to the configured ranges", async () => {
    const { mocks, program } = await runProgram({ eastWestExposure: "public", eastWestSourceRanges: EAST_WEST_SOURCE_RANGES.join(",") });
    expect(mocks.ofType(ADDRESS).map((a) => a.inputs.addressType)).toEqual(["EXTERNAL"]);
    const ew = eastWest(mocks);
    expect(ew.service).toEqual({ type: "LoadBalancer", annotations: {}, loadBalancerIP: RESERVED_EAST_WEST_IPS.public, loadBalancerSourceRanges: EAST_WEST_SOURCE_RANGES });
    expect(ew.remotePilotAddress).toBe(RESERVED_EAST_WEST_IPS.public);
    expect(await valueOf(program.eastWestGatewayAddress)).toBe(RESERVED_EAST_WEST_IPS.public);
  });

  it("two GKE networks: public by default; only the primary's gateway takes a reserved address", async () => {
    const { mocks } = await runProgram(SHAPES.gkeTwoNetworks);
    expect(mocks.ofType(ADDRESS).map((a) => a.inputs.addressType)).toEqual(["EXTERNAL"]);
    expect(eastWest(mocks).remotePilotAddress).toBe(RESERVED_EAST_WEST_IPS.public);
    expect(mocks.get(RELEASE, "burst-eastwestgateway").inputs.values.service.loadBalancerIP).toBeUndefined();
  });

  it("an existing primary: no address reserved; the load balancer's own address, which may be a hostname, so no v1 Endpoints", async () => {
    const { mocks, program } = await runProgram(SHAPES.ownPrimary);
    expect(mocks.ofType(ADDRESS)).toEqual([]);
    const ew = eastWest(mocks);
    expect(ew.service.loadBalancerIP).toBeUndefined();
    expect(ew.remotePilotAddress).toBe(EAST_WEST_IP);
    expect(ew.endpoints).toEqual([]);
    expect(await valueOf(program.eastWestGatewayAddress)).toBe(EAST_WEST_IP);
  });

  it.each(["198.51.100.77", "2001:db8::77"])("an existing primary with eastWestAddress %s: the gateway takes it, the burst cluster is pointed at it as an IP", async (ip) => {
    const { mocks, program } = await runProgram({ ...SHAPES.ownPrimary, eastWestAddress: ip });
    expect(mocks.ofType(ADDRESS)).toEqual([]);
    const ew = eastWest(mocks);
    expect(ew.service.loadBalancerIP).toBe(ip);
    expect(ew.remotePilotAddress).toBe(ip);
    expect(object(mocks, "Endpoints", "istiod", "burst").inputs.subsets[0].addresses).toEqual([{ ip }]);
    expect(await valueOf(program.eastWestGatewayAddress)).toBe(ip);
  });
});
