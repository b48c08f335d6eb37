/** The contract's durations: Prometheus-style text (`250ms`, `1s`, `1m30s`) or seconds, to and from milliseconds. */
import { formatDuration, parseDuration, parseSetting, settingSpec } from "@istio-burst/contract";

describe("parseDuration", () => {
  it.each([
    ["250ms", 250],
    ["1s", 1000],
    ["2m", 120_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["1.5", 1500],
    ["0", 0],
  ])("%s -> %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "abc", "1x", "-1s", "1s junk", "s", "1,5"])("rejects %j", (text) => expect(parseDuration(text)).toBeUndefined());
});

describe("formatDuration", () => {
  it("formats whole seconds as s, else ms, and parses its own output", () => {
    for (const ms of [0, 250, 1000, 1500, 60_000, 90_000]) {
      const text = formatDuration(ms);
      expect(text).toMatch(/^\d+(ms|s)$/);
      expect(parseSetting(settingSpec("minDwell"), text)).toEqual({ ok: true, value: ms });
    }
  });
});
