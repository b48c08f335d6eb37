/** The watcher's vocabulary: modes, phases and the actions a decision can take. */

/** `switch`: natural <-> burst weights (the 2018 codelab); `overflow`: only the excess over primary's capacity goes to burst. */
export type Mode = "switch" | "overflow";
export const MODES: readonly Mode[] = ["switch", "overflow"];

/**
 * How burst replicas are started before traffic needs them. `trend`: when the fast view is on course
 * to cross the burst threshold within the time replicas take to become ready, clear of the rate's own
 * noise, and an unused warm pool goes back after prewarmTimeout; `level`: above prewarmRps (kept by
 * the cooldown); `off`: only when traffic is due to move (reactive).
 */
export type Prewarm = "trend" | "level" | "off";
export const PREWARMS: readonly Prewarm[] = ["trend", "level", "off"];

/** `burst` while the burst weight is above the natural one. */
export type Phase = "natural" | "burst";

/** Actions that change the weights. */
export type WeightChangeAction = "to-burst" | "to-natural" | "step-up" | "step-down" | "health-fallback" | "capacity-fallback";
export const WEIGHT_CHANGE_ACTIONS: readonly WeightChangeAction[] = ["to-burst", "to-natural", "step-up", "step-down", "health-fallback", "capacity-fallback"];

/** Actions that hold the weights. */
export type HoldAction = "hold" | "dwell" | "burst-blocked" | "no-data" | "query-error" | "wait-capacity";
export const HOLD_ACTIONS: readonly HoldAction[] = ["hold", "dwell", "burst-blocked", "no-data", "query-error", "wait-capacity"];

/** What one decision did. */
export type Action = WeightChangeAction | HoldAction;
export const ACTIONS: readonly Action[] = [...HOLD_ACTIONS, ...WEIGHT_CHANGE_ACTIONS];

/** Why a query answered without a usable value. */
export type NoDataReason = "empty" | "nan" | "multiple-series";
export const NO_DATA_REASONS: readonly NoDataReason[] = ["empty", "nan", "multiple-series"];
