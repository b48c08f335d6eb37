import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { freshMocks } from "../helpers/pulumi-gke";
import type * as ConfigModule from "../../config";

// js-yaml comes with @pulumi/pulumi; no types needed for this.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(text: string): any } = require("js-yaml");

const root = path.resolve(__dirname, "../..");
const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");

/** The keys `loadConfig` reads, found by running it against a recording Config. */
function keysRead(): Set<string> {
  freshMocks();
  let mod!: typeof ConfigModule;
  jest.isolateModules(() => {
    mod = require("../../config");
  });
  const seen = new Set<string>();
  const record = (cfg: pulumi.Config): pulumi.Config =>
    new Proxy(cfg, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function" || typeof prop !== "string" || !/^(get|require)/.test(prop)) return v;
        return (key: string, ...rest: unknown[]) => {
          seen.add(`${target.name}:${key}`);
          return (v as (...a: unknown[]) => unknown).call(target, key, ...rest);
        };
      },
    });
  mod.loadConfig(record(new pulumi.Config("istio-burst")), record(new pulumi.Config("gcp")));
  return seen;
}

describe("config files", () => {
  const keys = keysRead();
  const projectKeys = [...keys].filter((k) => k.startsWith("istio-burst:")).map((k) => k.slice("istio-burst:".length));

  it("reads a sensible set of keys", () => {
    expect(keys.has("gcp:project")).toBe(true);
    for (const k of ["zone", "primaryNodeCount", "burstMinNodes", "burstMaxNodes", "istioVersion", "highRps", "lowRps", "mode", "naturalWeights", "burstWeights", "frontendImage", "workerImage", "watcherImage", "appNamespace", "dryRun", "query"])
      expect(projectKeys).toContain(k);
  });

  it("Pulumi.dev.yaml samples every key (set or commented) and its values are valid", () => {
    const text = read("Pulumi.dev.yaml");
    const mentioned = new Set([...text.matchAll(/^\s*#?\s*istio-burst:(\w+):/gm)].map((m) => m[1]));
    expect([...mentioned].sort()).toEqual([...projectKeys].sort());
    // The uncommented sample values load without error.
    const config = yaml.load(text).config as Record<string, unknown>;
    const asStrings = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    freshMocks(asStrings);
    let mod!: typeof ConfigModule;
    expect(() =>
      jest.isolateModules(() => {
        mod = require("../../config");
      }),
    ).not.toThrow();
    expect(mod.watcherConfig.naturalWeights).toEqual([100, 0]);
    expect(mod.infraConfig.project).toBe("my-gcp-project");
  });

  it("docs/config.md has a row for every key", () => {
    const text = read("docs/config.md");
    const rows = new Set([...text.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]));
    expect([...rows].sort()).toEqual([...projectKeys].sort());
  });

  it("Pulumi.yaml names the project and disables the kubernetes and gcp default providers", () => {
    const project = yaml.load(read("Pulumi.yaml"));
    expect(project.name).toBe("istio-burst");
    expect(project.runtime.name).toBe("nodejs");
    expect(project.config["pulumi:disable-default-providers"].value).toEqual(expect.arrayContaining(["kubernetes", "gcp"]));
  });
});
