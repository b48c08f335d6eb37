/**
 * The tests' own layout: every test file's name is unique across tests/ (so a name says which unit
 * it tests, wherever it is found), and no describe title is used in two files. Titles are read with
 * the TypeScript compiler's parser: `describe("...")` and `describe.each(...)("...")`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "../..");
const TESTS = join(ROOT, "tests");

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

const files = testFiles(TESTS);

describe("the reader of describe titles", () => {
  it("finds plain and table describes, nested ones too, and not other calls", () => {
    const text = 'describe("a", () => { describe.each([1])("b %d", () => {}); it("c", () => {}); });\ndescribe.skip("d", () => {});';
    expect(describeTitles("x.test.ts", text)).toEqual(["a", "b %d", "d"]);
  });
});

describe("the test files' layout", () => {
  it("has test files", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it("uses each test file name once across tests/", () => {
    expect(seenTwice(files.map((f) => [basename(f), relative(ROOT, f)]))).toEqual([]);
  });

  it("uses each describe title in one file only", () => {
    const pairs = files.flatMap((f) => describeTitles(f, readFileSync(f, "utf8")).map((title): [string, string] => [title, relative(ROOT, f)]));
    expect(seenTwice(pairs)).toEqual([]);
  });
});
