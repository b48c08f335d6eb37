/**
 * Every room one kind of code, and imports that follow the README's "Project layout": the programs
 * (`src/` of apps/frontend, apps/worker, watcher) import only the packages; the stack (index.ts,
 * config.ts, infra/, istio/, k8s/ and the `stack/` folders beside the programs) imports only stack
 * code and the contract, and its components do not import each other's rooms; tooling imports what it
 * drives, packages/tooling (shared by local, doctor, bench, e2e and the tests) imports nothing of the
 * tree but the contract, and nothing but the tests imports tests/. Tooling reaches a program only
 * through its public entry (PUBLIC_ENTRIES). The rooms that run without Pulumi never reach a
 * `@pulumi/` package, however indirectly. No exceptions: a new crossing fails the import rule.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { importsUnder, ROOT, type Import } from "../helpers/imports";

const ROOM_NAMES = [
  "contract",
  "common",
  "tooling",
  "frontend program",
  "worker program",
  "watcher program",
  "k8s",
  "infra",
  "istio",
  "apps stack",
  "watcher stack",
  "stack root",
  "local",
  "doctor",
  "scripts",
  "bench",
  "e2e",
  "tests",
] as const;
type RoomName = (typeof ROOM_NAMES)[number];

interface Room {
  /** what it holds: folders (ending in `/`) and files, from the repository root; the longest match wins */
  readonly holds: readonly string[];
  /** the other rooms it may import from */
  readonly mayImport: readonly RoomName[];
  /** it runs without Pulumi: no `@pulumi/` package, directly or through a file it imports */
  readonly pulumiFree?: boolean;
}

const PACKAGES: readonly RoomName[] = ["contract", "common"];
const STACK: readonly RoomName[] = ["stack root", "infra", "istio", "k8s", "apps stack", "watcher stack"];

const ROOMS: Readonly<Record<RoomName, Room>> = {
  contract: { holds: ["packages/contract/"], mayImport: [], pulumiFree: true },
  common: { holds: ["packages/common/"], mayImport: ["contract"], pulumiFree: true },
  tooling: { holds: ["packages/tooling/"], mayImport: ["contract"], pulumiFree: true },
  "frontend program": { holds: ["apps/frontend/"], mayImport: PACKAGES, pulumiFree: true },
  "worker program": { holds: ["apps/worker/"], mayImport: PACKAGES, pulumiFree: true },
  "watcher program": { holds: ["watcher/src/"], mayImport: PACKAGES, pulumiFree: true },
  k8s: { holds: ["k8s/"], mayImport: ["contract"] },
  infra: { holds: ["infra/"], mayImport: ["contract", "k8s"] },
  istio: { holds: ["istio/"], mayImport: ["contract", "k8s"] },
  "apps stack": { holds: ["apps/stack/"], mayImport: ["contract", "k8s"] },
  "watcher stack": { holds: ["watcher/stack/"], mayImport: ["contract", "k8s"] },
  "stack root": { holds: ["index.ts", "config.ts"], mayImport: ["contract", ...STACK] },
  local: { holds: ["local/"], mayImport: [...PACKAGES, "tooling"], pulumiFree: true },
  doctor: { holds: ["doctor/"], mayImport: ["contract", "tooling"], pulumiFree: true },
  scripts: { holds: ["scripts/"], mayImport: ["contract", ...STACK] },
  bench: { holds: ["bench/"], mayImport: [...PACKAGES, "tooling"] },
  e2e: { holds: ["e2e/"], mayImport: [...PACKAGES, "tooling", ...STACK] },
  tests: { holds: ["tests/"], mayImport: ROOM_NAMES },
};

/** A program's public entry: what tooling (benchmarks, the e2e) may import from it without reaching into its internals. */
const PUBLIC_ENTRIES: Readonly<Record<string, readonly RoomName[]>> = {
  "watcher/src/lib.ts": ["bench", "e2e"],
  "local/src/index.ts": ["bench"],
};

/** The room of a repository file (relative to ROOT), by the longest `holds` entry that matches. */
function roomOf(file: string): RoomName | undefined {
  let best: { room: RoomName; length: number } | undefined;
  for (const [room, { holds }] of Object.entries(ROOMS) as [RoomName, Room][])
    for (const held of holds)
      if ((held.endsWith("/") ? file.startsWith(held) : file === held) && held.length > (best?.length ?? -1)) best = { room, length: held.length };
  return best?.room;
}

/** The top-level folders and .ts files that hold sources (dot folders and node_modules left out). */
function topLevelSources(): string[] {
  return readdirSync(ROOT).filter((name) => {
    if (name.startsWith(".") || name === "node_modules") return false;
    return statSync(join(ROOT, name)).isDirectory() || (name.endsWith(".ts") && !name.endsWith(".d.ts"));
  });
}

const imports: Import[] = importsUnder(...topLevelSources());
const repoImports = imports.filter((i): i is Import & { file: string } => i.file !== undefined);

/** Whether an import from one room of another is allowed: same room, a room it may import, or a public entry. */
function allowed(from: RoomName, to: RoomName, file: string): boolean {
  if (from === to) return true;
  if (ROOMS[from].mayImport.includes(to)) return true;
  return PUBLIC_ENTRIES[file]?.includes(from) ?? false;
}

describe("the rooms of the tree", () => {
  it("every source is in a room, and every room holds sources", () => {
    const homeless = [...new Set(imports.map((i) => i.from))].filter((file) => roomOf(file) === undefined);
    expect(homeless).toEqual([]);
    const inUse = new Set(imports.map((i) => roomOf(i.from)));
    expect(ROOM_NAMES.filter((room) => !inUse.has(room))).toEqual([]);
  });

  it("each room imports only the rooms it may (the README's Project layout)", () => {
    const crossing = repoImports.flatMap(({ from, file }) => {
      const [fromRoom, toRoom] = [roomOf(from)!, roomOf(file)];
      if (toRoom === undefined) return [`${from} imports ${file}, which is in no room`];
      return allowed(fromRoom, toRoom, file) ? [] : [`${from} imports ${file}: ${fromRoom} may not import ${toRoom}`];
    });
    expect([...new Set(crossing)]).toEqual([]);
  });

  it("nothing outside tests/ imports tests/", () => {
    const intoTests = repoImports.filter(({ from, file }) => roomOf(file) === "tests" && roomOf(from) !== "tests");
    expect(intoTests.map(({ from, file }) => `${from} -> ${file}`)).toEqual([]);
  });

  it("what runs without Pulumi never reaches a @pulumi/ package, however indirectly", () => {
    const byFile = new Map<string, Import[]>();
    for (const i of imports) byFile.set(i.from, [...(byFile.get(i.from) ?? []), i]);
    const reachesPulumi = (start: string): string | undefined => {
      const seen = new Set<string>();
      const todo = [start];
      for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
        if (seen.has(file)) continue;
        seen.add(file);
        for (const i of byFile.get(file) ?? []) {
          if (i.spec.startsWith("@pulumi/")) return `${i.from} imports ${i.spec}`;
          if (i.file) todo.push(i.file);
        }
      }
      return undefined;
    };
    const pulumiFree = [...byFile.keys()].filter((file) => ROOMS[roomOf(file)!].pulumiFree);
    expect(pulumiFree.length).toBeGreaterThan(40);
    const found = pulumiFree.flatMap((file) => {
      const path = reachesPulumi(file);
      return path ? [`${file} (${roomOf(file)}) reaches Pulumi: ${path}`] : [];
    });
    expect(found).toEqual([]);
  });

  it("apps/ imports nothing from istio/ or watcher/", () => {
    const appsFiles = imports.filter((i) => i.from.startsWith("apps/"));
    expect(new Set(appsFiles.map((i) => i.from)).size).toBeGreaterThan(5);
    const crossing = appsFiles.filter((i) => i.file !== undefined && /^(istio|watcher)(\/|$)/.test(i.file)).map((i) => `${i.from} imports ${i.file}`);
    expect(crossing).toEqual([]);
  });
});

describe("the README's Project layout", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Project layout"), readme.indexOf("\n## ", readme.indexOf("## Project layout") + 1));
  const listed = new Set([...section.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]));

  it("lists every top-level folder (itself or its subfolders)", () => {
    const folders = readdirSync(ROOT).filter((name) => !name.startsWith(".") && name !== "node_modules" && statSync(join(ROOT, name)).isDirectory());
    expect(folders.length).toBeGreaterThan(10);
    expect(folders.filter((folder) => ![...listed].some((path) => path.startsWith(`${folder}/`)))).toEqual([]);
  });
});
