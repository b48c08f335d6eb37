/**
 * Where Helm charts come from: a Helm repository over https (the charts' public homes by default),
 * an OCI registry (`oci://host/path`, the chart's name appended), or a local folder holding one
 * folder per chart (`<dir>/base`, `<dir>/istiod`, ...), as an air-gapped install mirrors them.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import * as yaml from "js-yaml";

/** A pinned release, like 1.31.4 (no range, no `latest`): Istio's version and a chart's. */
export const PINNED_VERSION_RE = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export type ChartSource = { kind: "repository"; url: string } | { kind: "oci"; url: string } | { kind: "folder"; path: string };

/** What a chart setting must be, for error messages. */
export const CHART_SOURCE_REQUIREMENT = "an https:// Helm repository, an oci:// registry, or a folder holding the chart folders";

/**
 * Reads a chart setting: `https://...`, `oci://...`, or a folder (absolute, or relative to `baseDir`,
 * the project folder) in which each of `charts` is a folder with a Chart.yaml of `version`. The
 * reason says what is wrong, never more than the setting's own text.
 */
export function parseChartSource(
  text: string,
  charts: readonly string[],
  version: string,
  baseDir: string = process.cwd(),
): { ok: true; source: ChartSource } | { ok: false; reason: string; /** the version a folder's chart holds, when it is another */ folderVersion?: string } {
  const value = text.trim();
  if (/^https:\/\/[^\s/]+(\/\S*)?$/.test(value)) return { ok: true, source: { kind: "repository", url: value.replace(/\/+$/, "") } };
  if (/^oci:\/\/[^\s/]+(\/\S*)?$/.test(value)) return { ok: true, source: { kind: "oci", url: value.replace(/\/+$/, "") } };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (scheme === "https" || scheme === "oci") return { ok: false, reason: `${scheme}:// needs a host, like ${scheme}://charts.example/istio` };
  if (scheme) return { ok: false, reason: `${scheme}:// is not a chart source; it must be ${CHART_SOURCE_REQUIREMENT}` };
  const folder = isAbsolute(value) ? value : resolve(baseDir, value);
  if (!existsSync(folder)) return { ok: false, reason: `it must be ${CHART_SOURCE_REQUIREMENT}; there is no folder ${value}` };
  for (const chart of charts) {
    const chartFile = join(folder, chart, "Chart.yaml");
    if (!existsSync(chartFile)) return { ok: false, reason: `the folder ${value} has no chart ${chart} (${chart}/Chart.yaml); it must hold ${charts.map((c) => `${c}/`).join(", ")}` };
    const found = (yaml.load(readFileSync(chartFile, "utf8")) as { version?: unknown } | null)?.version;
    if (String(found) !== version) return { ok: false, reason: `its chart ${chart} is version ${String(found)}, not the pinned ${version}`, folderVersion: String(found) };
  }
  return { ok: true, source: { kind: "folder", path: folder } };
}

/** The Helm release arguments that install `chart` at `version` from `source`. */
export function helmChart(source: ChartSource, chart: string, version: string): { chart: string; version?: string; repositoryOpts?: { repo: string } } {
  switch (source.kind) {
    case "repository":
      return { chart, version, repositoryOpts: { repo: source.url } };
    case "oci":
      return { chart: `${source.url}/${chart}`, version };
    case "folder":
      // A chart from a folder has one version, checked against the pin when the setting was read.
      return { chart: join(source.path, chart) };
  }
}
