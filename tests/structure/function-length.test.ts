/**
 * No function in the watcher, in local mode or in the stack's config.ts is longer than MAX_FUNCTION_LINES, counted from its first
 * line to its last: function declarations, methods (constructors and accessors too), arrow functions
 * and function expressions, found with the TypeScript compiler's own parser. Another folder is checked
 * (or file) by adding it to FOLDERS.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "../..");
/** The folders whose .ts files are walked, and single files (relative to the repository root). */
const FOLDERS = ["watcher/src", "local/src", "config.ts"];
const MAX_FUNCTION_LINES = 60;

interface FunctionSpan {
  /** `file:line name` */
  readonly where: string;
  readonly lines: number;
}

function tsFilesUnder(dir: string): string[] {
  if (!statSync(dir).isDirectory()) return [dir];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
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

describe.each(FOLDERS)("functions in %s", (folder) => {
  const files = tsFilesUnder(join(ROOT, folder));

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
