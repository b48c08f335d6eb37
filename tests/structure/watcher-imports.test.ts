/**
 * Each watcher file in the room of what it serves: the scalers (the burst pool's side) import nothing
 * from the routers (the traffic side); what both need (the Kubernetes API's errors) lives beside them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { importsOf } from "../helpers/imports";

const ROOT = resolve(__dirname, "../..");
const SCALERS = join(ROOT, "watcher/src/scalers");
const ROUTERS = join(ROOT, "watcher/src/routers");

describe("the watcher's scalers and routers", () => {
  it("the import reader sees imports, re-exports, import() and import types", () => {
    const text = 'import { a } from "./a";\nexport { b } from "./b";\ntype C = import("./c").C;\nconst d = () => import("./d");';
    expect(importsOf("x.ts", text)).toEqual(["./a", "./b", "./c", "./d"]);
  });

  it("no scaler imports a router", () => {
    const files = readdirSync(SCALERS).filter((name) => name.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(0);
    const crossing = files.flatMap((name) => {
      const file = join(SCALERS, name);
      return importsOf(file, readFileSync(file, "utf8"))
        .filter((spec) => spec.startsWith("."))
        .filter((spec) => {
          const target = resolve(SCALERS, spec);
          return target === ROUTERS || target.startsWith(`${ROUTERS}/`);
        })
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`);
    });
    expect(crossing).toEqual([]);
  });
});
