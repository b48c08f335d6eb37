/**
 * The upstream charts at the pinned versions, for installing with no chart repository: a folder
 * `shared/fixtures/charts` beside the checkout (or beside the repository it was cloned from), or
 * wherever ISTIO_BURST_CHART_FIXTURES says. They are used from there, never copied into the project.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { REPO_ROOT } from "../../packages/tooling/src/processes";

const RELATIVE = join("shared", "fixtures", "charts");

/** The folder of the local repository this checkout was cloned from, if it was cloned from a folder. */
function originFolder(): string | undefined {
  const run = spawnSync("git", ["-C", REPO_ROOT, "remote", "get-url", "origin"], { encoding: "utf8" });
  const url = run.status === 0 ? run.stdout.trim().replace(/^file:\/\//, "") : "";
  return isAbsolute(url) && existsSync(url) ? resolve(url) : undefined;
}

/** The chart fixtures folder; a setup error saying where it was looked for when there is none. */
export function chartFixtures(): string {
  const candidates = [process.env.ISTIO_BURST_CHART_FIXTURES, join(dirname(REPO_ROOT), RELATIVE), ...[originFolder()].filter((d) => d !== undefined).map((d) => join(dirname(d!), RELATIVE))]
    .filter((d): d is string => d !== undefined && d !== "");
  const found = candidates.find((d) => existsSync(d));
  if (!found)
    throw new Error(`setup error: no chart fixtures (the upstream Istio and Prometheus charts at the pinned versions); looked in ${candidates.join(", ")}; set ISTIO_BURST_CHART_FIXTURES to the folder holding istio-<version>/ and prometheus-<version>/`);
  return found;
}

/** The folder of one pinned chart set, e.g. `istio-1.28.0` (holding base/, istiod/, gateway/); a setup error when absent. */
export function chartSet(name: string): string {
  const dir = join(chartFixtures(), name);
  if (!existsSync(dir)) throw new Error(`setup error: the chart fixtures have no ${name}/ (in ${chartFixtures()})`);
  return dir;
}

/**
 * The Istio releases the tests render and install from the fixtures, said here only: `rendered`, the
 * newest whose whole charts are there (charts/istio-1.31.0, the charts of the release-1.31 commit
 * istiod and istioctl are built from; see the fixtures' SOURCE.md); the stack's default `istioVersion`
 * is a newer patch of the same minor, which real clusters take from Istio's chart repository (a patch
 * makes no backward-incompatible change). `upgradeFrom`: the release stacks made before it run, one
 * minor behind, from which the in-place upgrade is tested.
 */
export const FIXTURE_ISTIO = { rendered: "1.31.0", upgradeFrom: "1.30.3" } as const;
