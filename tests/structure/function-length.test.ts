/**
 * No function outside the tests is longer than MAX_FUNCTION_LINES, counted from its first line to
 * its last: function declarations, methods (constructors and accessors too), arrow functions and
 * function expressions, found with the TypeScript compiler's own parser. Every top-level source
 * folder and file is checked (a new one too) but those in NOT_CHECKED, and no file under NOT_CHECKED_UNDER.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";
import { ROOT, sourcesUnder } from "../helpers/imports";

/** Test code: tests/ at the top, and the e2e suite's tests (e2e/src, its harness, is checked). */
const NOT_CHECKED = new Set(["tests", "node_modules"]);
const NOT_CHECKED_UNDER = ["e2e/tests/"];
/** The top-level folders and .ts files whose functions are measured (relative to the repository root). */
const FOLDERS = readdirSync(ROOT).filter(
  (name) => !name.startsWith(".") && !NOT_CHECKED.has(name) && (statSync(join(ROOT, name)).isDirectory() ? sourcesUnder(join(ROOT, name)).length > 0 : name.endsWith(".ts")),
);
const MAX_FUNCTION_LINES = 60;

interface FunctionSpan {
  /** `file:line name` */
  readonly where: string;
  readonly lines: number;
}

function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node)
  );
}

/** A function's name as a reader would look for it: its own, or the variable, property or class member it is assigned to. */
function nameOf(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText(source);
  return ts.isArrowFunction(node) ? "(arrow function)" : "(function expression)";
}

/** Every function in a source text with its length in lines (first line to last, both counted). */
export function functionSpans(fileName: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ where: `${fileName}:${first + 1} ${nameOf(node, source)}`, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

describe("function-length check (the counter itself)", () => {
  it("counts a function from its first line to its last, whatever its kind", () => {
    const text = ["function one() {", "  return 1;", "}", "class K {", "  two() {", "    const three = () => {", "      return 3;", "    };", "    return three();", "  }", "}", "const four = function () { return 4; };"].join("\n");
    const found = Object.fromEntries(functionSpans("x.ts", text).map((s) => [s.where, s.lines]));
    expect(found).toEqual({ "x.ts:1 one": 3, "x.ts:5 two": 6, "x.ts:6 three": 3, "x.ts:12 four": 1 });
  });
});

describe("the folders measured", () => {
  it("are every source folder but the tests (e2e/tests/ left out of e2e/)", () => {
    expect(FOLDERS).toEqual(expect.arrayContaining(["apps", "bench", "config.ts", "doctor", "e2e", "index.ts", "infra", "istio", "k8s", "local", "packages", "scripts", "watcher"]));
    expect(FOLDERS.filter((folder) => NOT_CHECKED.has(folder))).toEqual([]);
  });
});

describe.each(FOLDERS)("functions in %s", (folder) => {
  const files = sourcesUnder(join(ROOT, folder)).filter((file) => !NOT_CHECKED_UNDER.some((under) => relative(ROOT, file).startsWith(under)));

  it("has .ts files to check", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it(`are at most ${MAX_FUNCTION_LINES} lines long`, () => {
    const tooLong = files
      .flatMap((file) => functionSpans(relative(ROOT, file), readFileSync(file, "utf8")))
      .filter((span) => span.lines > MAX_FUNCTION_LINES)
      .map((span) => `${span.where}: ${span.lines} lines`);
    expect(tooLong).toEqual([]);
  });
});
