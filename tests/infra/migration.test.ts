import * as pulumi from "@pulumi/pulumi";
import { NetworkMigrationNotice, clustersToMove, thisStackName } from "../../infra/migration";
import { SHAPES, TEST_ORGANIZATION, freshMocks, previousOutputs, runProgram, settleAll, valueOf } from "../helpers/pulumi";

const STACK_REFERENCE = "pulumi:pulumi:StackReference";
/** What a stack of the earlier version exported: cluster names, no network. */
const OLD_OUTPUTS = { project: "burst-demo-123", zone: "us-west1-a", primaryClusterName: "primary-a1b2c3", burstClusterName: "burst-a1b2c3", firewallRule: "istio-burst-pods-a1b2c3" };

describe("which clusters an update moves", () => {
  const cases: Array<[string, Record<string, unknown> | undefined, string[], string[]]> = [
    ["a first update (no outputs)", {}, ["primary-a1b2c3", "burst-a1b2c3"], []],
    ["no outputs object at all", undefined, ["primary-a1b2c3"], []],
    ["a stack of the earlier version", OLD_OUTPUTS, ["primary-a1b2c3", "burst-a1b2c3"], ["burst-a1b2c3", "primary-a1b2c3"]],
    ["a stack already on its own network", { ...OLD_OUTPUTS, gkeNetwork: "istio-burst-a1b2c3" }, ["primary-a1b2c3", "burst-a1b2c3"], []],
    ["an earlier existing primary: only the GKE burst cluster moves", { ...OLD_OUTPUTS, primaryClusterName: "onprem-1" }, ["burst-a1b2c3"], ["burst-a1b2c3"]],
    ["a cluster this update does not create", OLD_OUTPUTS, ["burst-a1b2c3"], ["burst-a1b2c3"]],
    ["outputs of another shape (names that are not this update's)", { primaryClusterName: "onprem-1", burstClusterName: "eks-burst" }, ["primary-a1b2c3"], []],
  ];
  it.each(cases)("%s", (_what, previous, names, moved) => {
    expect(clustersToMove(previous, names)).toEqual(moved);
  });
});

describe("the preview's warning when GKE clusters move onto the stack's network (whole program)", () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());
  const warnings = () => warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("stack's own network"));

  it("reads this stack's own previous outputs through a StackReference to itself", async () => {
    const { mocks } = await runProgram();
    const refs = mocks.ofType(STACK_REFERENCE);
    expect(refs.map((r) => [r.name, r.inputs.name])).toEqual([["network-migration-previous", `${TEST_ORGANIZATION}/istio-burst/test`]]);
  });

  it("says nothing on a first update", async () => {
    await runProgram();
    expect(warnings()).toEqual([]);
  });

  it("warns that both clusters are replaced, naming them and the network, for a stack of the earlier version", async () => {
    const { mocks } = await runProgram({}, previousOutputs(OLD_OUTPUTS));
    expect(mocks.ofType("gcp:container/cluster:Cluster")).toHaveLength(2);
    const [message, ...more] = warnings();
    expect(more).toEqual([]);
    expect(message).toMatch(/GKE clusters burst-a1b2c3 and primary-a1b2c3 onto the stack's own network istio-burst-a1b2c3/);
    expect(message).toMatch(/replaced, deleted first/);
    expect(message).toMatch(/Move an existing stack onto its own network/);
  });

  it("says nothing once the stack has exported its network", async () => {
    await runProgram({}, previousOutputs({ ...OLD_OUTPUTS, gkeNetwork: "istio-burst-a1b2c3" }));
    expect(warnings()).toEqual([]);
  });

  it("names only the GKE cluster of a stack with an existing primary", async () => {
    await runProgram(SHAPES.ownPrimary, previousOutputs({ ...OLD_OUTPUTS, primaryClusterName: "onprem-1" }));
    const [message] = warnings();
    expect(message).toMatch(/GKE cluster burst-a1b2c3 onto/);
    expect(message).not.toMatch(/onprem-1/);
  });

  it("reads nothing when both clusters are given by kubeconfig", async () => {
    const { mocks } = await runProgram(SHAPES.ownClusters, previousOutputs(OLD_OUTPUTS));
    expect(mocks.ofType(STACK_REFERENCE)).toEqual([]);
    expect(warnings()).toEqual([]);
  });
});

describe("NetworkMigrationNotice without an organization", () => {
  it("reads nothing where the engine does not name the organization (an older CLI), so an update never breaks on it", async () => {
    const mocks = freshMocks();
    // the same mocks, as an engine that names no organization would set them
    const recorded: string[] = [];
    await pulumi.runtime.setMocks({ newResource: (a) => (recorded.push(a.type), { id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "istio-burst", "test", false);
    expect(thisStackName()).toBeUndefined();
    const notice = new NetworkMigrationNotice("n", { gkeClusterNames: ["primary-x"], networkName: "net" });
    expect(await valueOf(notice.movedClusters)).toEqual([]);
    await settleAll();
    expect(recorded).not.toContain(STACK_REFERENCE);
    expect(mocks.resources).toEqual([]);
  });
});
