/**
 * The tests' own layout. A test file that tests one source file is named after it, in the folder
 * that mirrors the source's (MIRRORS: `tests/watcher/routers/istio.test.ts` tests
 * `watcher/src/routers/istio.ts`; a folder's index is tested as the folder, `tests/infra/gke-cluster.test.ts`);
 * every other test file says what it covers in THEMES. Apart from those mirror-named files (whose path
 * names their unit), every test file's name is unique across tests/, and no describe title is used in
 * two files. Titles are read with the TypeScript compiler's parser: `describe("...")` and
 * `describe.each(...)("...")`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import * as ts from "typescript";
import { importsUnder, ROOT } from "../helpers/imports";

const TESTS = join(ROOT, "tests");

/** Which source folder each tests/ folder mirrors (the programs' and packages' `src/` left out); the longest match wins. */
const MIRRORS: Readonly<Record<string, string>> = {
  "tests/contract": "packages/contract/src",
  "tests/common": "packages/common/src",
  "tests/tooling": "packages/tooling/src",
  "tests/apps/frontend": "apps/frontend/src",
  "tests/apps/worker": "apps/worker/src",
  "tests/apps/stack": "apps/stack",
  "tests/watcher": "watcher/src",
  "tests/watcher/stack": "watcher/stack",
  "tests/local": "local/src",
  "tests/doctor": "doctor/src",
  "tests/config": ".",
  "tests/infra": "infra",
  "tests/istio": "istio",
  "tests/k8s": "k8s",
  "tests/e2e": "e2e/src",
};

/** Folders of tests that cut across sources by design: a whole behaviour, not one file. */
const THEME_FOLDERS: Readonly<Record<string, string>> = {
  "tests/faults": "failures shown on purpose: fuzzed input, SIGTERM, local mode's parts going away",
  "tests/security": "the stack's security invariants across every component",
  "tests/stack": "the whole program under mocks: shapes, burst capacity, the runtime, the watcher's settings end to end",
  "tests/structure": "the tree's own rules: rooms, function length, this layout",
};

/** Test files outside THEME_FOLDERS that are about a behaviour or several sources, and what each covers. */
const THEMES: Readonly<Record<string, string>> = {
  "tests/apps/frontend/api.test.ts": "the frontend's HTTP API in-process (app.ts with its stats)",
  "tests/apps/frontend/frontend-process.test.ts": "the built frontend as a process",
  "tests/apps/frontend/page.test.ts": "the page in a browser against a real worker",
  "tests/apps/frontend/routing-api.test.ts": "/api/routing against a fake watcher",
  "tests/apps/frontend/routing-page.test.ts": "the page's routing panel against local mode",
  "tests/apps/frontend/routing-panel.test.ts": "the routing panel in a browser",
  "tests/apps/worker/process.test.ts": "the built worker as a process",
  "tests/common/pulumi-harness.test.ts": "the Pulumi test harness itself (tests/helpers/pulumi.ts)",
  "tests/config/config-files.test.ts": "Pulumi.yaml and Pulumi.dev.yaml against config.ts's key table",
  "tests/doctor/doctor.test.ts": "npm run doctor against fake API servers, link by link",
  "tests/infra/stack-wiring.test.ts": "index.ts: how the components are wired together",
  "tests/istio/chart-values.test.ts": "every Helm value path against the pinned charts' values and schema",
  "tests/istio/crd-schemas.test.ts": "every Istio object's fields against Istio's CRD schemas",
  "tests/istio/istio-pin.test.ts": "the Istio release: the default, the rendered fixture charts, the README",
  "tests/local/burst-stagger-config.test.ts": "--burst-start-stagger-ms from the flag to the burst pool",
  "tests/local/cli.test.ts": "npm run local as a process: its output and its stop",
  "tests/local/e2e-burst-capacity.test.ts": "local mode end to end: the burst pool scaled by the watcher",
  "tests/local/e2e.test.ts": "local mode end to end: a burst and back",
  "tests/local/stop.test.ts": "local mode stopped in every way it can be",
  "tests/watcher/health-query.test.ts": "the burst health query from config to a real Prometheus",
  "tests/watcher/program.test.ts": "the built watcher as a process",
  "tests/watcher/prometheus-real.test.ts": "the Prometheus source and the controller against a real Prometheus",
  "tests/watcher/staggered-readiness.test.ts": "the controller with a burst pool ready one replica at a time",
};

/** Entries that re-export a package's or a program's parts: importing one says nothing of which part is tested. */
const ENTRIES = ["packages/contract/src/index.ts", "packages/common/src/index.ts", "watcher/src/lib.ts"];

/** Others' test files, laid out by their own rules for now (issue 28). */
const NOT_CHECKED = [/^tests\/watcher\/decide-[^/]*\.test\.ts$/, /^tests\/bench\//];

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : testFiles(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The `describe` callee of a call: `describe(...)`, or `describe.each(...)(...)`, `describe.only(...)`. */
function isDescribe(expr: ts.Expression): boolean {
  if (ts.isIdentifier(expr)) return expr.text === "describe";
  if (ts.isPropertyAccessExpression(expr)) return isDescribe(expr.expression);
  if (ts.isCallExpression(expr)) return isDescribe(expr.expression);
  return false;
}

/** The literal titles of the describe blocks in a test file's text. */
export function describeTitles(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const titles: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isDescribe(node.expression)) {
      const first = node.arguments[0];
      if (first && ts.isStringLiteralLike(first)) titles.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return titles;
}

/** Entries seen under more than one place: `entry: place, place`. */
function seenTwice(pairs: [entry: string, place: string][]): string[] {
  const places = new Map<string, Set<string>>();
  for (const [entry, place] of pairs) places.set(entry, (places.get(entry) ?? new Set()).add(place));
  return [...places].filter(([, where]) => where.size > 1).map(([entry, where]) => `${entry}: ${[...where].sort().join(", ")}`);
}

/** The source file a test file at this path would be named after (relative to ROOT), if the mirror holds one. */
export function mirroredSource(testFile: string): string | undefined {
  const dir = dirname(testFile);
  const folder = Object.keys(MIRRORS)
    .filter((tests) => dir === tests || dir.startsWith(`${tests}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (folder === undefined) return undefined;
  const sourceDir = join(MIRRORS[folder], relative(folder, dir));
  const name = basename(testFile, ".test.ts");
  return [join(sourceDir, `${name}.ts`), join(sourceDir, name, "index.ts")].find((candidate) => existsSync(join(ROOT, candidate)));
}

const files = testFiles(TESTS).map((f) => relative(ROOT, f));
const checked = files.filter((f) => !NOT_CHECKED.some((re) => re.test(f)));
const isTheme = (f: string) => THEMES[f] !== undefined || Object.keys(THEME_FOLDERS).some((folder) => f.startsWith(`${folder}/`));

describe("the reader of describe titles", () => {
  it("finds plain and table describes, nested ones too, and not other calls", () => {
    const text = 'describe("a", () => { describe.each([1])("b %d", () => {}); it("c", () => {}); });\ndescribe.skip("d", () => {});';
    expect(describeTitles("x.test.ts", text)).toEqual(["a", "b %d", "d"]);
  });
});

describe("the mirror of a test file", () => {
  it("drops the programs' and packages' src/, and takes a folder's index as the folder", () => {
    expect(mirroredSource("tests/watcher/routers/istio.test.ts")).toBe("watcher/src/routers/istio.ts");
    expect(mirroredSource("tests/watcher/stack/deployment.test.ts")).toBe("watcher/stack/deployment.ts");
    expect(mirroredSource("tests/contract/weights.test.ts")).toBe("packages/contract/src/weights.ts");
    expect(mirroredSource("tests/infra/gke-cluster.test.ts")).toBe("infra/gke-cluster/index.ts");
    expect(mirroredSource("tests/config/config.test.ts")).toBe("config.ts");
    expect(mirroredSource("tests/e2e/writes.test.ts")).toBe("e2e/src/writes.ts");
    expect(mirroredSource("tests/istio/istio-pin.test.ts")).toBeUndefined();
  });
});

describe("the test files' layout", () => {
  it("has test files", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it("names each test file after the source it tests, in the mirrored folder, or says in THEMES what it covers", () => {
    expect(checked.filter((f) => !isTheme(f) && mirroredSource(f) === undefined)).toEqual([]);
  });

  it("puts a test of one source file (entries that only re-export aside) at that source's mirror", () => {
    const sources = new Map<string, Set<string>>();
    for (const i of importsUnder("tests")) {
      if (!i.file || i.file.startsWith("tests/") || ENTRIES.includes(i.file)) continue;
      sources.set(i.from, (sources.get(i.from) ?? new Set()).add(i.file));
    }
    const misplaced = checked
      .filter((f) => !isTheme(f) && sources.get(f)?.size === 1)
      .map((f) => [f, [...sources.get(f)!][0]] as const)
      .filter(([f, source]) => mirroredSource(f) !== source)
      .map(([f, source]) => `${f} tests ${source}`);
    expect(misplaced).toEqual([]);
  });

  it("lists in THEMES only test files that exist and are not mirror-named", () => {
    expect(Object.keys(THEMES).filter((f) => !files.includes(f) || mirroredSource(f) !== undefined)).toEqual([]);
  });

  it("uses each test file name once across tests/, but for files in their source's mirrored folder", () => {
    expect(seenTwice(files.filter((f) => mirroredSource(f) === undefined).map((f) => [basename(f), f]))).toEqual([]);
  });

  it("uses each describe title in one file only", () => {
    const pairs = files.flatMap((f) => describeTitles(f, readFileSync(join(ROOT, f), "utf8")).map((title): [string, string] => [title, f]));
    expect(seenTwice(pairs)).toEqual([]);
  });
});
