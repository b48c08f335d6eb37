/** The seeded random inputs (packages/tooling/src/random.ts) the fuzz tests and the watcher benchmark draw from. */
import { prng } from "../../packages/tooling/src/random";

describe("seeded random inputs", () => {
  it("gives the same sequence for the same seed, another for another seed", () => {
    const draw = (seed: number) => Array.from({ length: 5 }, prng(seed).next);
    expect(draw(20261125)).toEqual(draw(20261125));
    expect(draw(20261125)).not.toEqual(draw(20261126));
    expect(draw(2 ** 32 + 7)).toEqual(draw(7));
  });

  it("stays in its ranges", () => {
    const r = prng(1);
    const values = Array.from({ length: 2000 }, () => [r.next(), r.int(-3, 3), r.pick(["a", "b"]), r.bytes(4), r.ascii(3, "xyz")] as const);
    expect(values.every(([n]) => n >= 0 && n < 1)).toBe(true);
    expect(new Set(values.map(([, i]) => i))).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    expect(new Set(values.map(([, , p]) => p))).toEqual(new Set(["a", "b"]));
    expect(values.every(([, , , b]) => b.length === 4)).toBe(true);
    expect(values.every(([, , , , s]) => /^[xyz]{3}$/.test(s))).toBe(true);
  });
});
