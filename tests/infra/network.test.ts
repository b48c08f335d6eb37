import * as fs from "node:fs";
import * as path from "node:path";
import * as gcp from "@pulumi/gcp";
import { GKE_RANGES, GkeNetwork, SECONDARY_RANGE_NAMES } from "../../infra/network";
import { dependenciesOf } from "../helpers/dependencies";
import { POD_RANGES, SHAPES, TEST_PROJECT, freshMocks, providerName, runProgram, settleAll, valueOf, programRun } from "../helpers/pulumi";

const NETWORK = "gcp:compute/network:Network";
const SUBNET = "gcp:compute/subnetwork:Subnetwork";
const CLUSTER = "gcp:container/cluster:Cluster";

/** An IPv4 CIDR as its first and last address, as numbers. */
function span(cidr: string): [number, number] {
  const [ip, bits] = cidr.split("/");
  const start = ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  return [start, start + 2 ** (32 - Number(bits)) - 1];
}
const overlap = (a: string, b: string) => {
  const [[a0, a1], [b0, b1]] = [span(a), span(b)];
  return a0 <= b1 && b0 <= a1;
};
const allRanges = Object.entries(GKE_RANGES).flatMap(([cluster, ranges]) => Object.entries(ranges).map(([kind, cidr]) => ({ where: `${cluster}.${kind}`, cidr })));

describe("the stack network's fixed ranges", () => {
  it("the overlap check catches an overlap and passes neighbours", () => {
    expect(overlap("10.16.0.0/14", "10.19.255.0/24")).toBe(true);
    expect(overlap("10.16.0.0/14", "10.20.0.0/14")).toBe(false);
    expect(overlap("10.10.0.0/20", "10.10.16.0/20")).toBe(false);
  });

  it("no two ranges overlap, across both clusters", () => {
    const clashes = allRanges.flatMap((a, i) => allRanges.slice(i + 1).filter((b) => overlap(a.cidr, b.cidr)).map((b) => `${a.where} ${a.cidr} ~ ${b.where} ${b.cidr}`));
    expect(clashes).toEqual([]);
  });

  it("are private (10.0.0.0/8) and clear of the auto-mode networks' 10.128.0.0/9", () => {
    const [ten0, ten1] = span("10.0.0.0/8");
    for (const { where, cidr } of allRanges) {
      const [first, last] = span(cidr);
      expect({ where, private: first >= ten0 && last <= ten1 }).toEqual({ where, private: true });
      expect({ where, autoMode: overlap(cidr, "10.128.0.0/9") }).toEqual({ where, autoMode: false });
    }
  });

  it("give each cluster room: a /14 of pods and a /20 of Services, as GKE's defaults", () => {
    for (const ranges of Object.values(GKE_RANGES)) {
      expect(ranges.pods.endsWith("/14")).toBe(true);
      expect(ranges.services.endsWith("/20")).toBe(true);
    }
  });

  it("are the pod ranges the tests expect (the README's)", () => {
    expect({ primary: GKE_RANGES.primary.pods, burst: GKE_RANGES.burst.pods }).toEqual(POD_RANGES);
  });

  it("are documented in the README, one row per cluster", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    for (const [cluster, r] of Object.entries(GKE_RANGES))
      expect({ cluster, documented: readme.includes(`| ${cluster} | \`${r.nodes}\` | \`${r.pods}\` | \`${r.services}\` |`) }).toEqual({ cluster, documented: true });
  });
});

describe("GkeNetwork component", () => {
  async function make(clusters: ("primary" | "burst")[]) {
    const mocks = freshMocks();
    const net = new GkeNetwork("net", { networkName: "istio-burst-x", project: TEST_PROJECT, region: "europe-west4", clusters, gcpProvider: new gcp.Provider("gcp", { project: TEST_PROJECT }) });
    await valueOf(net.networkName);
    await settleAll();
    return { mocks, net };
  }

  it("is a custom-mode network (no automatic subnets) with one subnet per cluster, pods and Services as named secondary ranges", async () => {
    const { mocks, net } = await make(["primary", "burst"]);
    expect(mocks.get(NETWORK, "net-vpc").inputs).toMatchObject({ name: "istio-burst-x", project: TEST_PROJECT, autoCreateSubnetworks: false, routingMode: "REGIONAL" });
    for (const cluster of ["primary", "burst"] as const) {
      const s = mocks.get(SUBNET, `net-${cluster}`).inputs;
      expect(s).toMatchObject({ name: `istio-burst-x-${cluster}`, project: TEST_PROJECT, region: "europe-west4", network: "istio-burst-x", ipCidrRange: GKE_RANGES[cluster].nodes, privateIpGoogleAccess: true });
      expect(s.secondaryIpRanges).toEqual([
        { rangeName: "pods", ipCidrRange: GKE_RANGES[cluster].pods },
        { rangeName: "services", ipCidrRange: GKE_RANGES[cluster].services },
      ]);
      const subnet = net.subnets[cluster]!;
      expect(await valueOf(subnet.name)).toBe(`istio-burst-x-${cluster}`);
      expect({ pods: subnet.podRangeName, services: subnet.serviceRangeName, ranges: subnet.ranges }).toEqual({ ...SECONDARY_RANGE_NAMES, ranges: GKE_RANGES[cluster] });
    }
    for (const r of mocks.resources.filter((x) => x.type.startsWith("gcp:compute"))) expect([r.name, providerName(r.provider)]).toEqual([r.name, "gcp"]);
  });

  it("makes a subnet only for the clusters given", async () => {
    const { mocks, net } = await make(["burst"]);
    expect(mocks.ofType(SUBNET).map((s) => s.name)).toEqual(["net-burst"]);
    expect(net.subnets.primary).toBeUndefined();
  });

  it("refuses an empty list of clusters", async () => {
    freshMocks();
    expect(() => new GkeNetwork("net", { networkName: "n", project: TEST_PROJECT, region: "us-west1", clusters: [], gcpProvider: new gcp.Provider("gcp", {}) })).toThrow(/clusters must not be empty/);
    await settleAll();
  });
});

describe("the stack's own network (whole program)", () => {
  const run = programRun();

  it("creates one network, named with the stack's suffix, and exports its name", async () => {
    expect(run.mocks.ofType(NETWORK).map((n) => n.inputs.name)).toEqual(["istio-burst-a1b2c3"]);
    expect(await valueOf(run.program.gkeNetwork)).toBe("istio-burst-a1b2c3");
    // it waits for the Compute API
    expect(dependenciesOf(NETWORK, "mesh-network-vpc")).toContain("gcp:projects/service:Service::project-compute");
  });

  it.each(["primary", "burst"] as const)("%s: the cluster is in its own subnet of that network, on the subnet's named ranges", (cluster) => {
    const subnet = run.mocks.get(SUBNET, `mesh-network-${cluster}`).inputs;
    expect(subnet).toMatchObject({ name: `istio-burst-a1b2c3-${cluster}`, region: "us-west1", network: "istio-burst-a1b2c3" });
    const c = run.mocks.get(CLUSTER, `${cluster}-cluster`);
    expect(c.inputs).toMatchObject({
      network: "istio-burst-a1b2c3",
      subnetwork: subnet.name,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
    });
    // the ranges are the subnet's; GKE picks none of its own
    expect(c.inputs.ipAllocationPolicy.clusterIpv4CidrBlock).toBeUndefined();
    expect(dependenciesOf(CLUSTER, `${cluster}-cluster`)).toEqual(expect.arrayContaining([`${SUBNET}::mesh-network-${cluster}`, `${NETWORK}::mesh-network-vpc`]));
  });

  it("shares no subnet between the clusters: each subnet's ranges are added by one cluster only", () => {
    const subnets = run.mocks.ofType(CLUSTER).map((c) => c.inputs.subnetwork);
    expect(new Set(subnets).size).toBe(subnets.length);
    expect(run.mocks.ofType(CLUSTER).map((c) => c.inputs.network)).not.toContain("default");
  });

  it("gives an existing primary's stack only the burst cluster's subnet, and both kubeconfigs no network at all", async () => {
    const own = await runProgram(SHAPES.ownPrimary);
    expect(own.mocks.ofType(SUBNET).map((s) => s.name)).toEqual(["mesh-network-burst"]);
    expect(await valueOf(own.program.gkeNetwork)).toBe("istio-burst-a1b2c3");
    const none = await runProgram(SHAPES.ownClusters);
    expect([...none.mocks.ofType(NETWORK), ...none.mocks.ofType(SUBNET)]).toEqual([]);
    expect(none.program.gkeNetwork).toBeUndefined();
  });
});
