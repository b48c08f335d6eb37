/**
 * Seeded random inputs: the same seed gives the same sequence, so a run that found something can be
 * replayed. The fuzz tests draw their bad input from it, the watcher benchmark its noisy trace.
 */

/** mulberry32: small, fast, good enough to spread cases; the same seed gives the same sequence. */
export function prng(seed: number) {
  let a = seed >>> 0;
  /** uniform in [0, 1) */
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** an integer in [lo, hi] */
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  const ascii = (n: number, alphabet = " !#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~\"") =>
    Array.from({ length: n }, () => alphabet[int(0, alphabet.length - 1)]).join("");
  return { next, int, pick, bytes, ascii };
}
export type Rng = ReturnType<typeof prng>;
