/**
 * k8s/charts.ts: where Helm charts come from (a repository, an OCI registry, a folder), checked
 * against the upstream chart layout, and the Helm release arguments for each.
 */
import * as path from "node:path";
import { PINNED_VERSION_RE, helmChart, parseChartSource } from "../../k8s/charts";
import { chartFolder } from "../helpers/temp-folders";


describe("parseChartSource", () => {
  it("reads an https repository and an oci registry, without a trailing slash", () => {
    expect(parseChartSource("https://charts.example/istio/", ["base"], "1.0.0")).toEqual({ ok: true, source: { kind: "repository", url: "https://charts.example/istio" } });
    expect(parseChartSource(" oci://registry.example/charts ", ["base"], "1.0.0")).toEqual({ ok: true, source: { kind: "oci", url: "oci://registry.example/charts" } });
  });

  it("reads a folder holding every chart at the pinned version, absolute or relative to the project folder", () => {
    const dir = chartFolder({ base: "1.31.4", istiod: "1.31.4" });
    expect(parseChartSource(dir, ["base", "istiod"], "1.31.4")).toEqual({ ok: true, source: { kind: "folder", path: dir } });
    expect(parseChartSource(path.basename(dir), ["base", "istiod"], "1.31.4", path.dirname(dir))).toEqual({ ok: true, source: { kind: "folder", path: dir } });
  });

  it.each([
    ["http://charts.example/istio", /http:\/\/ is not a chart source/],
    ["s3://bucket/charts", /s3:\/\/ is not a chart source/],
    ["https://", /https:\/\/ needs a host/],
    ["oci:///charts", /oci:\/\/ needs a host/],
    ["/no/such/folder", /there is no folder \/no\/such\/folder/],
  ])("refuses %s", (text, reason) => {
    const found = parseChartSource(text, ["base"], "1.0.0");
    expect(found.ok).toBe(false);
    expect(!found.ok && found.reason).toMatch(reason);
  });

  it("refuses a folder missing a chart, or holding another version", () => {
    const missing = parseChartSource(chartFolder({ base: "1.31.4", istiod: null }), ["base", "istiod"], "1.31.4");
    expect(!missing.ok && missing.reason).toMatch(/has no chart istiod \(istiod\/Chart.yaml\); it must hold base\/, istiod\//);
    expect(!missing.ok && missing.folderVersion).toBeUndefined();
    // a folder of the previous pin, left in place when only the version was moved on
    const other = parseChartSource(chartFolder({ base: "1.30.3" }), ["base"], "1.31.4");
    expect(!other.ok && other.reason).toMatch(/its chart base is version 1.30.3, not the pinned 1.31.4/);
    expect(!other.ok && other.folderVersion).toBe("1.30.3");
  });
});

describe("helmChart", () => {
  it("installs from a repository by name and version, from a registry by reference and version, from a folder by path", () => {
    expect(helmChart({ kind: "repository", url: "https://r.example" }, "istiod", "1.31.4")).toEqual({ chart: "istiod", version: "1.31.4", repositoryOpts: { repo: "https://r.example" } });
    expect(helmChart({ kind: "oci", url: "oci://r.example/charts" }, "istiod", "1.31.4")).toEqual({ chart: "oci://r.example/charts/istiod", version: "1.31.4" });
    expect(helmChart({ kind: "folder", path: "/srv/charts" }, "istiod", "1.31.4")).toEqual({ chart: "/srv/charts/istiod" });
  });

  it("PINNED_VERSION_RE takes releases, not ranges or latest", () => {
    for (const ok of ["1.31.4", "27.37.0", "1.32.0-beta.1"]) expect({ ok, pinned: PINNED_VERSION_RE.test(ok) }).toEqual({ ok, pinned: true });
    for (const bad of ["latest", "1.31", "v1.31.4", "~1.31.0", "1.31.x", "^1.31.4", ">=1.31.0"]) expect({ bad, pinned: PINNED_VERSION_RE.test(bad) }).toEqual({ bad, pinned: false });
  });
});
