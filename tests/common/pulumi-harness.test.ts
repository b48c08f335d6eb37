import * as pulumi from "@pulumi/pulumi";
import { freshMocks, valueOf, isSecret } from "../helpers/pulumi";

describe("Pulumi mock harness", () => {
  it("records resources with inputs, sets config and resolves outputs", async () => {
    const mocks = freshMocks({ zone: "europe-west1-b" });
    const { RandomString } = await import("@pulumi/random");
    const s = new RandomString("suffix", { length: 6, special: false });
    expect(new pulumi.Config("istio-burst").get("zone")).toBe("europe-west1-b");
    expect(new pulumi.Config("gcp").get("project")).toBe("burst-demo-123");
    expect(await valueOf(s.length)).toBe(6);
    expect(await valueOf(s.result)).toBe("a1b2c3");
    expect(mocks.get("random:index/randomString:RandomString", "suffix").inputs.special).toBe(false);
    expect(await isSecret(pulumi.secret("x"))).toBe(true);
    expect(await isSecret(pulumi.output("x"))).toBe(false);
  });

  it("starts each run with a clean config store", () => {
    freshMocks({ zone: "europe-west1-b" });
    freshMocks();
    expect(new pulumi.Config("istio-burst").get("zone")).toBeUndefined();
  });
});
