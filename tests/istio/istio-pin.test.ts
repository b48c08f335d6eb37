/**
 * The Istio pin: the stack's default `istioVersion` (config.ts DEFAULTS) and the release whose charts
 * the tests render (RENDERED_ISTIO, tests/helpers/pinned-charts.ts) are one minor, the default no older
 * than the rendered patch; the rendered release's whole charts are in the fixtures at that version, and
 * so are those of the release a stack upgrades from, one minor behind. The README and Pulumi.dev.yaml
 * say the same releases.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as yaml from "js-yaml";
import { RENDERED_ISTIO, UPGRADE_FROM_ISTIO, pinnedIstioChart } from "../helpers/pinned-charts";
import { freshMocks } from "../helpers/pulumi";

const root = resolve(__dirname, "../..");
const read = (file: string) => readFileSync(join(root, file), "utf8");

/** `major.minor.patch` as numbers; a test failure (not NaN) for anything else. */
function release(version: string): { major: number; minor: number; patch: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`${JSON.stringify(version)} is not a release x.y.z`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** config.ts's DEFAULTS.istioVersion (config.ts reads a stack's config when loaded, so under mocks). */
function defaultIstio(): string {
  freshMocks();
  let version!: string;
  jest.isolateModules(() => {
    version = (require("../../config") as typeof import("../../config")).DEFAULTS.istioVersion;
  });
  return version;
}

/** A Markdown section of README.md, from its heading to the next heading of the same level or above. */
function readmeSection(heading: string): string {
  const text = read("README.md");
  const m = new RegExp(`^(#+) ${heading}\\s*$`, "m").exec(text);
  if (!m) throw new Error(`README.md has no "${heading}" section`);
  const rest = text.slice(m.index + m[0].length);
  const next = rest.search(new RegExp(`^#{1,${m[1].length}} `, "m"));
  return next < 0 ? rest : rest.slice(0, next);
}

describe("the Istio pin", () => {
  const installed = defaultIstio();

  it("the default istioVersion is a patch of the rendered charts' minor, no older than them", () => {
    const [def, rendered] = [release(installed), release(RENDERED_ISTIO)];
    expect({ default: `${def.major}.${def.minor}`, rendered: `${rendered.major}.${rendered.minor}` }).toEqual({ default: `${rendered.major}.${rendered.minor}`, rendered: `${rendered.major}.${rendered.minor}` });
    expect(def.patch).toBeGreaterThanOrEqual(rendered.patch);
  });

  it.each([RENDERED_ISTIO, UPGRADE_FROM_ISTIO])("the fixtures hold the whole %s charts, each at that version, istiod's image too", (version) => {
    for (const chart of ["base", "istiod", "gateway"] as const) {
      const dir = pinnedIstioChart(chart, version);
      const meta = yaml.load(readFileSync(join(dir, "Chart.yaml"), "utf8")) as { version?: unknown; appVersion?: unknown };
      expect({ chart, version: String(meta.version), appVersion: String(meta.appVersion) }).toEqual({ chart, version, appVersion: version });
      for (const part of ["values.yaml", "templates"]) expect({ chart, part, present: existsSync(join(dir, part)) }).toEqual({ chart, part, present: true });
    }
    expect(existsSync(join(pinnedIstioChart("base", version), "files", "crd-all.gen.yaml"))).toBe(true);
    const istiod = yaml.load(readFileSync(join(pinnedIstioChart("istiod", version), "values.yaml"), "utf8")) as { _internal_defaults_do_not_set: { global: { tag: unknown } } };
    expect(String(istiod._internal_defaults_do_not_set.global.tag)).toBe(version);
  });

  it("the release a stack upgrades from is one minor behind (an in-place upgrade goes one minor at a time)", () => {
    const [from, to] = [release(UPGRADE_FROM_ISTIO), release(RENDERED_ISTIO)];
    expect([from.major, from.minor + 1]).toEqual([to.major, to.minor]);
  });

  it("Pulumi.dev.yaml samples the default istioVersion", () => {
    const sample = (yaml.load(read("Pulumi.dev.yaml")) as { config: Record<string, unknown> }).config["istio-burst:istioVersion"];
    expect(String(sample)).toBe(installed);
  });

  it("README's upgrade sets the default istioVersion, and its chart folder holds the rendered release", () => {
    const upgrade = readmeSection("Upgrade Istio");
    const set = [...upgrade.matchAll(/pulumi config set istio-burst:istioVersion (\S+)/g)].map((m) => m[1]);
    expect(set).toContain(installed);
    const folders = readmeSection("Charts from a mirror or a folder");
    const pulled = [...folders.matchAll(/helm pull istio\/base --version (\S+) --untar -d \/srv\/charts\/istio-(\S+?)`/g)].map((m) => [m[1], m[2]]);
    expect(pulled).toEqual([[RENDERED_ISTIO, RENDERED_ISTIO]]);
  });
});
