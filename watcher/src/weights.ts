/** The two route weights of worker-service: percentages for the `primary` and `burst` subsets. */
export interface Weights {
  readonly primary: number;
  readonly burst: number;
}

/** Integers in 0..100 that sum to 100. */
export function isValidWeights(w: unknown): w is Weights {
  if (typeof w !== "object" || w === null) return false;
  const { primary, burst } = w as Record<string, unknown>;
  return isPercent(primary) && isPercent(burst) && primary + burst === 100;
}

function isPercent(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 100;
}

/** Parses `primary,burst` (e.g. `100,0`); undefined when it is not two integers in 0..100 summing to 100. */
export function parseWeights(text: string): Weights | undefined {
  const m = /^\s*(\d{1,3})\s*,\s*(\d{1,3})\s*$/.exec(text);
  if (!m) return undefined;
  const w = { primary: Number(m[1]), burst: Number(m[2]) };
  return isValidWeights(w) ? w : undefined;
}

export function sameWeights(a: Weights, b: Weights): boolean {
  return a.primary === b.primary && a.burst === b.burst;
}

export function formatWeights(w: Weights): string {
  return `${w.primary},${w.burst}`;
}
