/** The worker's hash: sha256 of the UTF-8 bytes, then rounds over the raw 32 bytes. */
import { createHash } from "node:crypto";
import { hashString } from "../../../apps/worker/src/hash";

describe("hashString", () => {
  it("matches the known sha256 vector for 'hello'", () => {
    expect(hashString("hello")).toBe("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  });
  it("chains rounds over the raw 32 bytes, not the base64 text", () => {
    const h1 = createHash("sha256").update("hello").digest();
    const h2 = createHash("sha256").update(h1).digest("base64");
    expect(hashString("hello", 2)).toBe(h2);
    expect(hashString("hello", 2)).not.toBe(createHash("sha256").update(h1.toString("base64")).digest("base64"));
  });
});
