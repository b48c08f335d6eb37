/** Local mode's settings for end-to-end tests: short windows, dwell and polls so that a burst and its return fit in a test. */
import type { StartLocalOptions } from "../../local/src/run";

/** A free frontend port, a 5 s rate window, 2 s dwell, 0.5 s polls, and a minute for each part to get ready. */
export const QUICK_RUN = { port: 0, rateWindow: 5_000, minDwell: 2_000, pollInterval: 500, readyTimeoutMs: 60_000 } as const satisfies StartLocalOptions;
