import * as pulumi from "@pulumi/pulumi";
import { setupPulumiMocks, valueOf, isSecret } from "../helpers/pulumi";

describe("Pulumi mock harness", () => {
  it("records resources with inputs and resolves outputs", async () => {
    const mocks = setupPulumiMocks({ zone: "europe-west1-b" });
    const { RandomString } = await import("@pulumi/random");
    const s = new RandomString("suffix", { length: 6, special: false });
    expect(new pulumi.Config("istio-burst").get("zone")).toBe("europe-west1-b");
    expect(await valueOf(s.length)).toBe(6);
    expect(mocks.get("random:index/randomString:RandomString", "suffix").inputs.special).toBe(false);
    expect(await isSecret(pulumi.secret("x"))).toBe(true);
  });
});
