/**
 * The watcher's policy: the settings its decision reads, under the settings table's own names and in
 * its units (durations in ms), and whether the burst health guard is on. The watcher's decide() takes
 * it, its `/status` reports it as `thresholds`, and the frontend's `/api/routing` passes that on.
 */
import type { Mode } from "./decisions";
import { HEALTH_OFF, type SettingKey, type WatcherSettings } from "./watcher-settings";

/** The settings the decision reads, in the order the settings table lists them. */
export const POLICY_KEYS = [
  "scrapeInterval",
  "highRps",
  "lowRps",
  "minDwell",
  "confirmSamples",
  "mode",
  "naturalWeights",
  "burstWeights",
  "primaryCapacityRps",
  "stepWeight",
  "maxBurstWeight",
  "overflowBandRps",
  "downStabilization",
  "burstMinSuccess",
  "burstUnhealthySamples",
  "burstRetryAfter",
  "burstMinReplicas",
  "burstMaxReplicas",
  "burstReplicas",
  "burstPodCapacityRps",
  "prewarmRps",
  "scaleDownCooldown",
  "prewarm",
  "scaleUpTime",
  "trendWindow",
  "prewarmTimeout",
] as const satisfies readonly SettingKey[];

export type PolicyKey = (typeof POLICY_KEYS)[number];

export interface WatcherPolicy extends Pick<WatcherSettings, PolicyKey> {
  /** The burst health guard is on: `burstHealthQuery` is not `off` (unset: the derived default query). */
  readonly healthGuard: boolean;
}

/** The policy of a set of settings: the settings it reads, and whether the health guard is on. */
export function policyOf(settings: WatcherSettings): WatcherPolicy {
  const picked = Object.fromEntries(POLICY_KEYS.map((key) => [key, settings[key]])) as Pick<WatcherSettings, PolicyKey>;
  return { ...picked, healthGuard: settings.burstHealthQuery !== HEALTH_OFF };
}

/** The setting each mode bursts above: its burst threshold (the trend pre-warm aims at it, local mode's banner names it). */
export const BURST_THRESHOLDS = { switch: "highRps", overflow: "primaryCapacityRps" } as const satisfies Readonly<Record<Mode, SettingKey>>;

/** The burst threshold of a set of settings: the setting its mode bursts above, and its value (requests/s). */
export function burstThresholdOf(settings: Pick<WatcherSettings, "mode" | "highRps" | "primaryCapacityRps">): { readonly key: SettingKey; readonly rps: number } {
  const key = BURST_THRESHOLDS[settings.mode];
  return { key, rps: settings[key] };
}
