import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { OWN_PRIMARY_KUBECONFIG, freshMocks } from "../helpers/pulumi";
import { WATCHER_SETTINGS, parseSetting, type SettingSpec } from "../../packages/contract/src";
import type * as ConfigModule from "../../config";

// js-yaml comes with @pulumi/pulumi; no types needed for this.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(text: string): any } = require("js-yaml");

const root = path.resolve(__dirname, "../..");
const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");

/** A section of a Markdown file: from its `## heading` line to the next `## ` heading. */
function section(text: string, heading: string): string {
  const start = text.search(new RegExp(`^## ${heading}\\s*$`, "m"));
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const next = text.slice(start + 3).search(/^## /m);
  return next < 0 ? text.slice(start) : text.slice(start, start + 3 + next);
}

/** Table rows of a Markdown section whose first cell is a code span: key -> the other cells. */
function codeRows(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const m of text.matchAll(/^\| `([\w.]+)` \|(.*)\|\s*$/gm)) {
    expect(rows.has(m[1])).toBe(false); // one row per key
    rows.set(m[1], m[2].split(" | ").map((c) => c.trim()));
  }
  return rows;
}

/** The config module as loaded by the recording run below (its DEFAULTS). */
let configModule!: typeof ConfigModule;

/** The keys `loadConfig` reads, found by running it against a recording Config. */
function keysRead(): Set<string> {
  freshMocks();
  let mod!: typeof ConfigModule;
  jest.isolateModules(() => {
    mod = require("../../config");
  });
  configModule = mod;
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

/** A config value as text, the way the stack reads it (a YAML list or map as JSON). */
const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** Whether a setting's default is a value of its own (not derived from others, nor left to the watcher). */
const hasOwnDefault = (spec: SettingSpec) => typeof spec.default !== "function" && spec.default !== undefined;

describe("config files", () => {
  const keys = keysRead();
  const projectKeys = [...keys].filter((k) => k.startsWith("istio-burst:")).map((k) => k.slice("istio-burst:".length));
  const watcherKeys = new Set<string>(WATCHER_SETTINGS.map((s) => s.key));

  it("reads a sensible set of keys", () => {
    expect(keys.has("gcp:project")).toBe(true);
    for (const k of ["zone", "gkeMinVersion", "eastWestExposure", "eastWestAddress", "primaryNodeCount", "burstMinNodes", "burstMaxNodes", "istioVersion", "highRps", "lowRps", "mode", "naturalWeights", "burstWeights", "frontendImage", "workerImage", "watcherImage", "appNamespace", "dryRun", "query"])
      expect(projectKeys).toContain(k);
    for (const spec of WATCHER_SETTINGS) expect(projectKeys).toContain(spec.key);
  });

  it("Pulumi.dev.yaml samples every key (set or commented) and its values are valid", () => {
    const text = read("Pulumi.dev.yaml");
    const mentioned = new Set([...text.matchAll(/^\s*#?\s*istio-burst:(\w+):/gm)].map((m) => m[1]));
    expect([...mentioned].sort()).toEqual([...projectKeys].sort());
    // The uncommented sample values load without error.
    const config = yaml.load(text).config as Record<string, unknown>;
    freshMocks(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, asText(v)])));
    let mod!: typeof ConfigModule;
    expect(() =>
      jest.isolateModules(() => {
        mod = require("../../config");
      }),
    ).not.toThrow();
    expect(mod.watcherConfig.naturalWeights).toEqual({ primary: 100, burst: 0 });
    expect(mod.infraConfig.gcp?.project).toBe("my-gcp-project");
  });

  it("Pulumi.dev.yaml samples each watcher setting with the table's default, and leaves derived ones commented out", () => {
    const lines = new Map([...read("Pulumi.dev.yaml").matchAll(/^\s*(#?)\s*istio-burst:(\w+):\s*(.*)$/gm)].map((m) => [m[2], { commented: m[1] === "#", value: m[3] }]));
    for (const spec of WATCHER_SETTINGS) {
      const line = lines.get(spec.key)!;
      if (!hasOwnDefault(spec)) {
        expect({ key: spec.key, commented: line.commented }).toEqual({ key: spec.key, commented: true });
        continue;
      }
      const parsed = parseSetting(spec, asText(yaml.load(`v: ${line.value}`).v));
      expect({ key: spec.key, sample: parsed }).toEqual({ key: spec.key, sample: { ok: true, value: spec.default } });
    }
  });

  it("README.md's Configuration section has a row for every key, with the default config.ts uses", () => {
    const rows = codeRows(section(read("README.md"), "Configuration"));
    expect([...rows.keys()].sort()).toEqual([...projectKeys].sort());
    const defaults = configModule.DEFAULTS as Record<string, unknown>;
    const checked = projectKeys.filter((k) => k in defaults);
    // and the keys whose default depends on the shape (checked against loadConfig below)
    const shapeDependent = ["eastWestExposure", "burstNetwork"];
    expect(checked.length + shapeDependent.length).toBeGreaterThan(20);
    for (const k of checked) expect({ key: k, default: rows.get(k)![0] }).toEqual({ key: k, default: "`" + String(defaults[k]) + "`" });
  });

  it("reads none of the removed keys, and neither README.md nor Pulumi.dev.yaml offers one", () => {
    const removed = configModule.REMOVED_KEYS.map(([key]) => key);
    expect(removed).toEqual(expect.arrayContaining(["burstWorkerReplicas", "network", "eastWestInternal"]));
    const rows = codeRows(section(read("README.md"), "Configuration"));
    const sample = read("Pulumi.dev.yaml");
    for (const key of removed) {
      expect({ key, read: projectKeys.includes(key), row: rows.has(key) }).toEqual({ key, read: false, row: false });
      expect({ key, sampled: new RegExp(`^\\s*#?\\s*istio-burst:${key}:`, "m").test(sample) }).toEqual({ key, sampled: false });
    }
  });

  it("README.md's shape-dependent defaults are what config.ts does on one network, on two, and with primaryKubeconfig", () => {
    const rows = codeRows(section(read("README.md"), "Configuration"));
    const istio = (config: Record<string, string>) => {
      freshMocks(config);
      let mod!: typeof ConfigModule;
      jest.isolateModules(() => {
        mod = require("../../config");
      });
      return mod.istioConfig;
    };
    const ranges = { eastWestSourceRanges: "198.51.100.0/24" };
    const images = { frontendImage: "ghcr.io/e/f:1", workerImage: "ghcr.io/e/w:1", watcherImage: "ghcr.io/e/x:1" };
    const one = istio({});
    const two = istio({ burstNetwork: "other", ...ranges });
    const own = istio({ primaryKubeconfig: OWN_PRIMARY_KUBECONFIG, ...ranges, ...images });
    expect(rows.get("eastWestExposure")![0]).toBe(`\`${one.eastWestExposure}\` on one network, \`${two.eastWestExposure}\` on two`);
    expect(own.eastWestExposure).toBe("public");
    expect(one.burstNetwork).toBe(one.primaryNetwork);
    expect(rows.get("burstNetwork")![0]).toBe(`\`meshNetwork\`; \`${own.burstNetwork}\` with \`primaryKubeconfig\` or \`burstKubeconfig\``);
  });

  it("README.md's watcher rows are the settings table's: default, env var and documentation", () => {
    const rows = codeRows(section(read("README.md"), "Configuration"));
    const code = (text: string) => (/^[`(]/.test(text) ? text : "`" + text + "`");
    for (const spec of WATCHER_SETTINGS) {
      const [def, env, meaning] = rows.get(spec.key) ?? [];
      expect({ key: spec.key, def, env, documented: meaning?.startsWith(spec.doc) }).toEqual({ key: spec.key, def: code(spec.defaultText), env: "`" + spec.env + "`", documented: true });
    }
    expect(projectKeys.filter((k) => watcherKeys.has(k))).toHaveLength(WATCHER_SETTINGS.length);
  });

  it("README.md's stack outputs table has a row for every export of index.ts", () => {
    const exported = [...read("index.ts").matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
    expect(exported.length).toBeGreaterThan(10);
    const rows = codeRows(section(read("README.md"), "Deploy to GKE"));
    for (const name of exported) expect({ output: name, documented: rows.has(name) }).toEqual({ output: name, documented: true });
  });

  it("Pulumi.yaml names the project and disables the kubernetes and gcp default providers", () => {
    const project = yaml.load(read("Pulumi.yaml"));
    expect(project.name).toBe("istio-burst");
    expect(project.runtime.name).toBe("nodejs");
    expect(project.config["pulumi:disable-default-providers"].value).toEqual(expect.arrayContaining(["kubernetes", "gcp"]));
  });
});

/**
 * What the engine accepts for a declared type (the CLI's ValidateConfigValue for a plain value):
 * text for `string`, a whole number for `integer`, exactly `true` or `false` for `boolean`.
 */
function engineAccepts(type: string, value: unknown): boolean {
  if (type === "string") return typeof value === "string";
  if (type === "integer") return Number.isInteger(value) || (typeof value === "string" && /^[-+]?\d+$/.test(value));
  if (type === "boolean") return typeof value === "boolean" || value === "true" || value === "false";
  return false;
}

describe("Pulumi.yaml's config block", () => {
  const project = () => yaml.load(read("Pulumi.yaml")) as { config: Record<string, { type?: string; description?: string; default?: unknown; secret?: boolean; value?: unknown }> };
  const keys = keysRead();
  const projectKeys = [...keys].filter((k) => k.startsWith("istio-burst:")).map((k) => k.slice("istio-burst:".length));

  it("is what npm run pulumi-yaml generates from config.ts and the settings table", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { renderProjectFile } = require("../../scripts/pulumi-yaml") as typeof import("../../scripts/pulumi-yaml");
    const text = read("Pulumi.yaml");
    expect(renderProjectFile(text, configModule.projectConfigBlock())).toBe(text);
  });

  it("declares every key config.ts reads, each with a type and a description, and no other", () => {
    const declared = Object.entries(project().config).filter(([k]) => !k.includes(":"));
    expect(declared.map(([k]) => k).sort()).toEqual([...projectKeys].sort());
    for (const [key, entry] of declared) {
      expect({ key, type: ["string", "integer", "boolean"].includes(entry.type ?? "") }).toEqual({ key, type: true });
      expect({ key, described: (entry.description ?? "").length > 5 }).toEqual({ key, described: true });
    }
  });

  it("gives each key the fixed default config.ts uses, of the declared type, or the empty text (unset) where the default is derived", () => {
    const block = project().config;
    const defaults = configModule.DEFAULTS as Record<string, unknown>;
    // the engine requires a value for a declared key without a default: every key has one
    for (const [key, entry] of Object.entries(block).filter(([k]) => !k.includes(":"))) expect({ key, hasDefault: entry.default !== undefined }).toEqual({ key, hasDefault: true });
    const withDefault = Object.entries(block).filter(([k, e]) => !k.includes(":") && e.default !== "");
    expect(withDefault.length).toBeGreaterThan(30);
    for (const [key, entry] of withDefault) {
      expect({ key, accepted: engineAccepts(entry.type!, entry.default) }).toEqual({ key, accepted: true });
      const spec = WATCHER_SETTINGS.find((s) => s.key === key);
      if (spec) expect({ key, parsed: parseSetting(spec, asText(entry.default)) }).toEqual({ key, parsed: { ok: true, value: spec.default } });
      else expect({ key, default: entry.default }).toEqual({ key, default: defaults[key] });
    }
    // the derived ones (a function of other settings, or of the stack's shape) and the optional ones: unset
    for (const key of ["project", "burstNetwork", "eastWestExposure", "burstWorkerPool", "primaryCapacityRps", "rateWindow", "query", "primaryKubeconfig", "redisPassword"])
      expect({ key, type: block[key].type, default: block[key].default }).toEqual({ key, type: "string", default: "" });
  });

  it("an empty value is read as unset: the stack with every key at Pulumi.yaml's default is the stack with no key set", () => {
    const block = project().config;
    const load = (config: Record<string, string>) => {
      freshMocks(config);
      let mod!: typeof ConfigModule;
      jest.isolateModules(() => {
        mod = require("../../config");
      });
      return mod.stackConfig;
    };
    const all = Object.fromEntries(Object.entries(block).filter(([k]) => !k.includes(":")).map(([k, e]) => [k, String(e.default)]));
    expect({ ...load({ ...all, project: "my-gcp-project" }) }).toEqual({ ...load({ project: "my-gcp-project" }) });
  });

  it("declares no key secret (the engine would require it in every stack), and says to set the secret ones with --secret", () => {
    expect(Object.entries(project().config).filter(([, e]) => e.secret).map(([k]) => k)).toEqual([]);
    for (const key of ["primaryKubeconfig", "burstKubeconfig", "redisPassword"]) expect({ key, says: project().config[key].description!.startsWith("secret") }).toEqual({ key, says: true });
  });

  it("describes each key as README.md's row starts", () => {
    const rows = codeRows(section(read("README.md"), "Configuration"));
    for (const [key, entry] of Object.entries(project().config).filter(([k]) => !k.includes(":"))) {
      const cells = rows.get(key) ?? [];
      const meaning = cells[cells.length - 1] ?? "";
      expect({ key, startsWith: meaning.startsWith(entry.description!) }).toEqual({ key, startsWith: true });
    }
  });

  it("Pulumi.dev.yaml's sample values are of the declared types (the engine refuses others)", () => {
    const block = project().config;
    const sample = yaml.load(read("Pulumi.dev.yaml")).config as Record<string, unknown>;
    const ours = Object.entries(sample).filter(([k]) => k.startsWith("istio-burst:"));
    expect(ours.length).toBeGreaterThan(30);
    for (const [k, v] of ours) {
      const key = k.slice("istio-burst:".length);
      expect({ key, accepted: engineAccepts(block[key].type!, v) }).toEqual({ key, accepted: true });
    }
    // the commented samples too, as they would be once uncommented
    // (a secret's sample is a `secure:` map on the lines below: encrypted text, which the engine decrypts first)
    for (const m of read("Pulumi.dev.yaml").matchAll(/^[ \t]*#[ \t]*istio-burst:(\w+):[ \t]*(\S.*)$/gm)) {
      const value = yaml.load(`v: ${m[2]}`).v;
      expect({ key: m[1], accepted: engineAccepts(block[m[1]].type!, value) }).toEqual({ key: m[1], accepted: true });
    }
  });
});
