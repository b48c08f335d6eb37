/** The trade-off picture's figures (bench/tradeoff.ts): totals over the traces, the panels, the RESULTS.md section, and the PNG. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderTradeoff, tradeoffCharts, tradeoffSection, tradeoffTotals } from "../../bench/tradeoff";
import { SIM, TRADEOFF_POLICIES, type Tradeoff, type TradeoffPolicy } from "../../bench/watcher-policy";

/** Two traces; each policy's point is (replica-s, over capacity) = (1000 × rank + delay, 10 × rank + trace). */
function synthetic(): Tradeoff {
  const byPolicy = (traceNo: number) =>
    Object.fromEntries(
      TRADEOFF_POLICIES.map((p, rank) => [p, Object.fromEntries(SIM.scaleUpDelaysS.map((d) => [`${d}s`, { burstReplicaSeconds: 1000 * rank + d, overCapacityRequests: 10 * rank + traceNo }]))]),
    ) as Record<TradeoffPolicy, Record<string, { burstReplicaSeconds: number; overCapacityRequests: number }>>;
  return { a: { switch: byPolicy(1), overflow: byPolicy(1) }, b: { switch: byPolicy(2), overflow: byPolicy(2) } };
}

describe("the trade-off figures", () => {
  it("sums each policy over the traces, per delay and mode, and prices the replica-seconds", () => {
    const totals = tradeoffTotals(synthetic(), { burstReplicaHourlyCost: 3.6 });
    expect(Object.keys(totals)).toEqual(SIM.scaleUpDelaysS.map((d) => `${d}s`));
    const level60 = totals["60s"].find((t) => t.policy === "level" && t.mode === "overflow")!;
    // rank 2: 2 × (2000 + 60) replica-s at 0.001 a replica-second; 2 × 20 + 1 + 2 over
    expect(level60).toEqual({ policy: "level", mode: "overflow", burstReplicaSeconds: 4120, cost: 4.12, overCapacityRequests: 43 });
    expect(totals["2s"]).toHaveLength(2 * TRADEOFF_POLICIES.length);
  });

  it("draws a panel per delay with one point per policy and mode", () => {
    const charts = tradeoffCharts(tradeoffTotals(synthetic(), { burstReplicaHourlyCost: 3.6 }), "EUR") as { delay: string; config: any }[];
    expect(charts.map((c) => c.delay)).toEqual(["2s", "60s", "240s"]);
    const sets = charts[2].config.data.datasets;
    expect(sets.map((d: any) => d.label)).toContain("trend (switch)");
    expect(sets.find((d: any) => d.label === "alwaysOn (overflow)").data).toEqual([{ x: 0.48, y: 3 }]);
    expect(charts[0].config.options.scales.x.title.text).toBe("burst pool cost over all traces (EUR)");
  });

  it("writes RESULTS.md's section with the picture, the totals and a reading from the figures", () => {
    const text = tradeoffSection(synthetic(), { burstReplicaHourlyCost: 3.6, currency: "EUR" }).join("\n");
    expect(text).toContain("![cost against overload per policy, a panel per scale-up delay](tradeoff.png)");
    expect(text).toContain("| 60s | overflow | level | 4120 | 4.12 | 43 |");
    // at 60 s, trend (rank 3): 2 × 3060 replica-s against always-on's 2 × 60, level's 2 × 2060 and reactive's 2 × 1060
    expect(text).toContain("- 60s, switch: `trend` costs 6.12 EUR (5100 % of always-on, 149 % of `level`, 289 % of `reactive`) and leaves 63 requests over capacity");
    expect(text).toContain("the cheapest is `alwaysOn`.");
  });

  it("renders the picture with the page's chart library in headless chromium", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tradeoff-"));
    try {
      const out = join(dir, "tradeoff.png");
      await renderTradeoff(tradeoffTotals(synthetic(), { burstReplicaHourlyCost: 3.6 }), "EUR", out);
      const png = readFileSync(out);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      // three 520 px panels side by side
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(3 * 520);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
