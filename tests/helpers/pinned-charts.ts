/**
 * The upstream charts the tests render, from the chart fixtures (e2e/src/fixtures: a setup error
 * naming where it looked when they are absent, never a skip): Istio's at RENDERED_ISTIO, Prometheus'
 * at the stack's pin (config.ts DEFAULTS). Importing this file has no side effect (the e2e imports
 * the releases from here too); pinnedVersions() loads config.ts under mocks when first called.
 */
import { join } from "node:path";
import { FIXTURE_ISTIO, chartSet } from "../../e2e/src/fixtures";

/**
 * The Istio release whose charts every fast test renders, and against which every Helm value
 * (tests/istio/chart-values.test.ts) and every Istio object (tests/istio/crd-schemas.test.ts) is
 * checked, and the release a stack upgrades from: FIXTURE_ISTIO of e2e/src/fixtures.ts, the one place
 * that says them (the end-to-end suite installs the same). The stack's default, DEFAULTS.istioVersion,
 * is a newer patch of the rendered minor; tests/istio/istio-pin.test.ts holds that the two share it.
 */
export const RENDERED_ISTIO: string = FIXTURE_ISTIO.rendered;
export const UPGRADE_FROM_ISTIO: string = FIXTURE_ISTIO.upgradeFrom;

export interface PinnedVersions {
  /** RENDERED_ISTIO: the Istio release the tests render */
  istio: string;
  /** DEFAULTS.prometheusChartVersion */
  prometheus: string;
}

let pinned: PinnedVersions | undefined;

/** The releases the tests render: RENDERED_ISTIO, and `DEFAULTS.prometheusChartVersion` (config.ts reads a stack's config when loaded, so under mocks). */
export function pinnedVersions(): PinnedVersions {
  if (!pinned) {
    // loaded here, not at the top: the Pulumi harness patches the mock engine when imported
    const { freshMocks } = require("./pulumi") as typeof import("./pulumi");
    freshMocks();
    let defaults!: typeof import("../../config").DEFAULTS;
    jest.isolateModules(() => {
      defaults = (require("../../config") as typeof import("../../config")).DEFAULTS;
    });
    pinned = { istio: RENDERED_ISTIO, prometheus: defaults.prometheusChartVersion };
  }
  return pinned;
}

/** The folder of one of an Istio release's charts (`base`, `istiod`, `gateway`), templates and files included; RENDERED_ISTIO's unless told. */
export function pinnedIstioChart(chart: "base" | "istiod" | "gateway", release: string = RENDERED_ISTIO): string {
  return join(chartSet(`istio-${release}`), chart);
}

/** The folder of the pinned prometheus-community `prometheus` chart. */
export function pinnedPrometheusChart(): string {
  return join(chartSet(`prometheus-${pinnedVersions().prometheus}`), "prometheus");
}
