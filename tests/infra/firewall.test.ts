import { freshMocks, gkeOutputs, POD_RANGES, providerName, runProgram, settleAll, TEST_PROJECT, valueOf, programRun } from "../helpers/pulumi";

const FIREWALL = "gcp:compute/firewall:Firewall";

describe("cross-cluster firewall (whole program)", () => {
  const run = programRun();

  it("is one rule, named with the stack's suffix, in the clusters' network: the stack's own", () => {
    const rules = run.mocks.ofType(FIREWALL);
    expect(rules).toHaveLength(1);
    expect(rules[0].inputs).toMatchObject({ name: "istio-burst-pods-a1b2c3", project: TEST_PROJECT, network: "istio-burst-a1b2c3", direction: "INGRESS", priority: 900 });
    for (const c of run.mocks.ofType("gcp:container/cluster:Cluster")) expect(c.inputs.network).toBe(rules[0].inputs.network);
    expect(providerName(rules[0].provider)).toBe("project-gcp");
    // a fixed name: moved to another network, the old rule goes first
    expect(rules[0].deleteBeforeReplace).toBe(true);
  });

  it("sources are exactly both clusters' pod ranges, never 0.0.0.0/0", () => {
    const { sourceRanges } = run.mocks.get(FIREWALL, "mesh-pods-rule").inputs;
    expect(sourceRanges).toEqual([POD_RANGES.primary, POD_RANGES.burst].sort());
    expect(sourceRanges).not.toContain("0.0.0.0/0");
  });

  it("targets are exactly both clusters' node tags (the tags the node pools carry)", () => {
    const { targetTags } = run.mocks.get(FIREWALL, "mesh-pods-rule").inputs;
    const poolTags = run.mocks.ofType("gcp:container/nodePool:NodePool").flatMap((p) => p.inputs.nodeConfig.tags);
    expect(targetTags).toEqual(["istio-burst-burst-a1b2c3", "istio-burst-primary-a1b2c3"]);
    // every pool carries its cluster's tag (burst: the worker pool and the system pool)
    expect([...new Set(poolTags)].sort()).toEqual(targetTags);
  });

  it("allows the 2018 codelab's protocols: tcp, udp, icmp, esp, ah, sctp (all ports)", () => {
    const { allows } = run.mocks.get(FIREWALL, "mesh-pods-rule").inputs;
    expect(allows).toEqual(["tcp", "udp", "icmp", "esp", "ah", "sctp"].map((protocol) => ({ protocol })));
  });

  it("exports the rule name", async () => {
    expect(await valueOf(run.program.firewallRule)).toBe("istio-burst-pods-a1b2c3");
  });

  it("knows the pod ranges without GKE reporting them: they are the subnets' own", async () => {
    // clusters that report no range at all (as in a preview of new clusters)
    const { mocks } = await runProgram({}, gkeOutputs((r) => (r.type === "gcp:container/cluster:Cluster" ? { name: r.inputs.name, endpoint: "203.0.113.9", masterAuth: { clusterCaCertificate: "Y2E=" } } : undefined)));
    expect([...mocks.get(FIREWALL, "mesh-pods-rule").inputs.sourceRanges].sort()).toEqual([POD_RANGES.primary, POD_RANGES.burst].sort());
    const subnetPods = mocks.ofType("gcp:compute/subnetwork:Subnetwork").map((s) => s.inputs.secondaryIpRanges.find((r: { rangeName: string }) => r.rangeName === "pods").ipCidrRange);
    expect(subnetPods.sort()).toEqual([POD_RANGES.primary, POD_RANGES.burst].sort());
  });

  it("refuses the former network key, saying what replaced it", async () => {
    await expect(runProgram({ network: "mesh-vpc" })).rejects.toThrow(/istio-burst:network is no longer read: the GKE clusters now run on the stack's own VPC network/);
  });
});

describe("CrossClusterFirewall component", () => {
  async function make(sourceRanges: string[], targetTags = ["a"]) {
    freshMocks();
    const gcp = await import("@pulumi/gcp");
    const { CrossClusterFirewall } = (require("../../infra/firewall") as typeof import("../../infra/firewall"));
    return new CrossClusterFirewall("fw", { ruleName: "r", project: TEST_PROJECT, network: "default", sourceRanges, targetTags, gcpProvider: new gcp.Provider("gcp", {}) });
  }

  it("refuses a world-open source range", async () => {
    await expect(make(["10.4.0.0/14", "0.0.0.0/0"])).rejects.toThrow(/0\.0\.0\.0\/0 would open the nodes to everyone/);
    await expect(make(["::/0"])).rejects.toThrow(/::\/0 would open/);
  });

  it("de-duplicates and sorts sources and targets so re-runs show no diff", async () => {
    const fw = await make(["10.8.0.0/14", "10.4.0.0/14", "10.8.0.0/14"], ["b", "a", "b"]);
    expect(await valueOf(fw.sourceRanges)).toEqual(["10.4.0.0/14", "10.8.0.0/14"]);
    expect(await valueOf(fw.targetTags)).toEqual(["a", "b"]);
    await settleAll();
  });

  it("refuses empty sources or targets", async () => {
    await expect(make([])).rejects.toThrow(/must not be empty/);
    await expect(make(["10.0.0.0/8"], [])).rejects.toThrow(/must not be empty/);
  });
});
