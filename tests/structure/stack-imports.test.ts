/**
 * The stack's rooms: the app's components (apps/*.ts and apps/*) import nothing from istio/ or
 * watcher/; what they share with them (pod specs, credentials, names) lives in k8s/ and packages/.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { importsOf } from "../helpers/imports";

const ROOT = resolve(__dirname, "../..");

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name === "dist") return [];
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

describe("the stack's rooms", () => {
  it("apps/ imports nothing from istio/ or watcher/", () => {
    const files = sourcesUnder(join(ROOT, "apps"));
    expect(files.length).toBeGreaterThan(5);
    const crossing = files.flatMap((file) =>
      importsOf(file, readFileSync(file, "utf8"))
        .filter((spec) => spec.startsWith("."))
        .map((spec) => relative(ROOT, resolve(dirname(file), spec)))
        .filter((target) => /^(istio|watcher)(\/|$)/.test(target))
        .map((target) => `${relative(ROOT, file)} imports ${target}`),
    );
    expect(crossing).toEqual([]);
  });
});
