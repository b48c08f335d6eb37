/** The two route weights of worker-service: percentages for the `primary` and `burst` subsets. */
export interface Weights {
  readonly primary: number;
  readonly burst: number;
}

/** What a weights value must be, for error messages. */
export const WEIGHTS_REQUIREMENT = "two integers primary,burst in 0..100 summing to 100 (e.g. 100,0)";

function isPercent(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 100;
}

/** `{primary, burst}`: integers in 0..100 that sum to 100. */
export function isValidWeights(w: unknown): w is Weights {
  if (typeof w !== "object" || w === null || Array.isArray(w)) return false;
  const { primary, burst } = w as Record<string, unknown>;
  return isPercent(primary) && isPercent(burst) && primary + burst === 100;
}

/**
 * Weights from text: `primary,burst` (`100,0`, the env form), a JSON list `[100, 0]` or a JSON object
 * `{"primary": 100, "burst": 0}` (the forms a Pulumi config value takes). Undefined when it is not
 * two integers in 0..100 summing to 100.
 */
export function parseWeights(text: string): Weights | undefined {
  const m = /^\s*(\d{1,3})\s*,\s*(\d{1,3})\s*$/.exec(text);
  if (m) return checked({ primary: Number(m[1]), burst: Number(m[2]) });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return value.length === 2 ? checked({ primary: value[0], burst: value[1] }) : undefined;
  if (typeof value === "object" && value !== null && Object.keys(value).length === 2) return checked(value);
  return undefined;
}

function checked(w: unknown): Weights | undefined {
  return isValidWeights(w) ? { primary: w.primary, burst: w.burst } : undefined;
}

/** `primary,burst`, the env form. */
export function formatWeights(w: Weights): string {
  return `${w.primary},${w.burst}`;
}

export function sameWeights(a: Weights, b: Weights): boolean {
  return a.primary === b.primary && a.burst === b.burst;
}

/** The weights when everything goes to primary (the health guard's fallback). */
export const PRIMARY_ONLY: Weights = Object.freeze({ primary: 100, burst: 0 });
