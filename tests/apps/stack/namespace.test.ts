import { clusterOf, freshMocks, makeProviders, objects, propsRecorder, settleAll, valueOf } from "../../helpers/pulumi";
import { MeshNamespace } from "../../../apps/stack/namespace";

describe("MeshNamespace", () => {
  it("creates the namespace with sidecar injection, with the given provider, after what it depends on", async () => {
    const mocks = freshMocks();
    const { primary, burst } = makeProviders();
    const p = new MeshNamespace("ns-p", { provider: primary, name: "hashr", dependsOn: [] });
    expect(p.adopted).toBe(false);
    const recorder = propsRecorder();
    const b = new MeshNamespace("ns-b", { provider: burst, name: "hashr", dependsOn: [p] }, { transformations: recorder.transformations });
    expect(await valueOf(p.name)).toBe("hashr");
    expect(await valueOf(b.name)).toBe("hashr");
    await settleAll();

    const [inPrimary] = objects(mocks, "Namespace", "primary");
    const [inBurst] = objects(mocks, "Namespace", "burst");
    expect(objects(mocks, "Namespace")).toHaveLength(2);
    expect(inPrimary.type).toBe("kubernetes:core/v1:Namespace");
    expect(inPrimary.inputs.metadata).toEqual({ name: "hashr", labels: { "istio-injection": "enabled" } });
    expect(inBurst.inputs.metadata).toEqual({ name: "hashr", labels: { "istio-injection": "enabled" } });
    expect(clusterOf(inPrimary)).toBe("primary");
    expect(clusterOf(inBurst)).toBe("burst");
    // the Namespace waits for what the component was told to depend on
    const ns = recorder.seen.find((x) => x.type === "kubernetes:core/v1:Namespace")!;
    expect(ns.opts.dependsOn).toEqual([p]);
  });

  it("labels the existing default namespace in place (a patch: destroy removes the label, not the namespace)", async () => {
    const mocks = freshMocks();
    const { primary } = makeProviders();
    const ns = new MeshNamespace("ns-default", { provider: primary, name: "default", dependsOn: [] });
    expect(ns.adopted).toBe(true);
    expect(await valueOf(ns.name)).toBe("default");
    await settleAll();
    expect(mocks.ofType("kubernetes:core/v1:Namespace")).toHaveLength(0);
    const [patch] = mocks.ofType("kubernetes:core/v1:NamespacePatch");
    expect(clusterOf(patch)).toBe("primary");
    expect(patch.inputs.metadata).toEqual({ name: "default", labels: { "istio-injection": "enabled" }, annotations: { "pulumi.com/patchForce": "true" } });
  });
});
