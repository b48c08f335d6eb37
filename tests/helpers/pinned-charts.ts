/**
 * The upstream charts at the versions the stack pins (config.ts DEFAULTS), from the chart fixtures
 * (e2e/src/fixtures: a setup error naming where it looked when they are absent, never a skip).
 */
import { join } from "node:path";
import { chartSet } from "../../e2e/src/fixtures";
import { freshMocks } from "./pulumi";

export interface PinnedVersions {
  istio: string;
  prometheus: string;
}

let pinned: PinnedVersions | undefined;

/** `DEFAULTS.istioVersion` and `DEFAULTS.prometheusChartVersion` (config.ts reads a stack's config when loaded, so under mocks). */
export function pinnedVersions(): PinnedVersions {
  if (!pinned) {
    freshMocks();
    let defaults!: typeof import("../../config").DEFAULTS;
    jest.isolateModules(() => {
      defaults = (require("../../config") as typeof import("../../config")).DEFAULTS;
    });
    pinned = { istio: defaults.istioVersion, prometheus: defaults.prometheusChartVersion };
  }
  return pinned;
}

/** The folder of a pinned Istio chart (`base`, `istiod`, `gateway`), templates and files included. */
export function pinnedIstioChart(chart: "base" | "istiod" | "gateway"): string {
  return join(chartSet(`istio-${pinnedVersions().istio}`), chart);
}

/** The folder of the pinned prometheus-community `prometheus` chart. */
export function pinnedPrometheusChart(): string {
  return join(chartSet(`prometheus-${pinnedVersions().prometheus}`), "prometheus");
}
