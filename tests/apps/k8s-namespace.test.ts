import { valueOf } from "../helpers/pulumi";
import { clusterOf, makeProviders, objects, setupMocks, waitForResources } from "../stack/fixtures";
import { MeshNamespace } from "../../apps/namespace";

describe("MeshNamespace", () => {
  it("creates the namespace with sidecar injection, with the given provider", async () => {
    const mocks = setupMocks();
    const { primary, burst } = await makeProviders();
    const p = new MeshNamespace("ns-p", { provider: primary, name: "hashr" });
    expect(p.adopted).toBe(false);
    const b = new MeshNamespace("ns-b", { provider: burst, name: "hashr", labels: { team: "demo", "istio-injection": "disabled" } });
    expect(await valueOf(p.name)).toBe("hashr");
    expect(await valueOf(b.name)).toBe("hashr");
    await waitForResources(mocks);

    const [inPrimary] = objects(mocks, "Namespace", "primary");
    const [inBurst] = objects(mocks, "Namespace", "burst");
    expect(objects(mocks, "Namespace")).toHaveLength(2);
    expect(mocks.ofType("kubernetes:core/v1:Namespace")).toHaveLength(2);
    expect(inPrimary.type).toBe("kubernetes:core/v1:Namespace");
    expect(inPrimary.inputs.metadata).toEqual({ name: "hashr", labels: { "istio-injection": "enabled" } });
    // extra labels are kept, injection cannot be switched off through them
    expect(inBurst.inputs.metadata.labels).toEqual({ team: "demo", "istio-injection": "enabled" });
    expect(clusterOf(inPrimary)).toBe("primary");
    expect(clusterOf(inBurst)).toBe("burst");
  });

  it("labels the existing default namespace in place (a patch: destroy removes the label, not the namespace)", async () => {
    const mocks = setupMocks();
    const { primary } = await makeProviders();
    const ns = new MeshNamespace("ns-default", { provider: primary, name: "default" });
    expect(ns.adopted).toBe(true);
    expect(await valueOf(ns.name)).toBe("default");
    await waitForResources(mocks);
    expect(mocks.ofType("kubernetes:core/v1:Namespace")).toHaveLength(0);
    const [patch] = mocks.ofType("kubernetes:core/v1:NamespacePatch");
    expect(clusterOf(patch)).toBe("primary");
    expect(patch.inputs.metadata).toEqual({ name: "default", labels: { "istio-injection": "enabled" }, annotations: { "pulumi.com/patchForce": "true" } });
  });

  it.each([
    ["kube-system", /system namespace "kube-system"/],
    ["istio-system", /system namespace "istio-system"/],
    ["Hashr", /namespace must be a DNS-1123 label/],
    ["", /namespace must be a DNS-1123 label/],
  ])("refuses namespace %j", async (name, message) => {
    setupMocks();
    const { primary } = await makeProviders();
    expect(() => new MeshNamespace(`bad-${name || "empty"}`, { provider: primary, name })).toThrow(message);
  });

  it("refuses a missing provider", async () => {
    setupMocks();
    expect(() => new MeshNamespace("no-provider", { provider: undefined as any, name: "hashr" })).toThrow(/provider is required/);
  });
});
