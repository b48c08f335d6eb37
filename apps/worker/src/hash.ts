import { createHash } from "node:crypto";

/**
 * base64 of the `rounds`-th sha256: h1 = sha256(UTF-8 bytes of `str`), h(n+1) = sha256(the 32 raw
 * bytes of h(n)).
 */
export function hashString(str: string, rounds = 1): string {
  let digest = createHash("sha256").update(str, "utf8").digest();
  for (let i = 1; i < rounds; i++) digest = createHash("sha256").update(digest).digest();
  return digest.toString("base64");
}
