/**
 * Each of the watcher's modes is one strategy (watcher/src/decide/modes/: switch.ts, overflow.ts),
 * and the mode's burst threshold is the contract's BURST_THRESHOLDS: no other code branches on the
 * mode. Read with the TypeScript compiler's parser, a branch is a comparison (`===`, `!==`, `==`,
 * `!=`) with a mode's name ("switch", "overflow") or with a `mode` (a variable or a property), a
 * `switch` statement over a `mode`, or a `case` of a mode's name. Where a comparison filters data by
 * mode (rows of results, not what a mode does), it is listed in DATA_FILTERS with its reason, and
 * must still be there.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as ts from "typescript";
import { MODES } from "@istio-burst/contract";
import { ROOT, sourcesUnder } from "../helpers/imports";

/** Where a branch on the mode would belong to a mode's strategy instead. */
const SCANNED = ["watcher/src", "local/src", "bench", "packages/contract/src"];

/** Comparisons by mode that select data, not behaviour: the file, the comparison's text, and why. */
const DATA_FILTERS: readonly { file: string; text: string; why: string }[] = [
  { file: "bench/tradeoff.ts", text: "r.mode === mode", why: "picks one mode's rows of the benchmark's result table for the reading of that mode" },
  { file: "bench/tradeoff.ts", text: 'r.mode === "switch"', why: "picks switch mode's rows of the result table for a sentence about switch mode" },
];

const COMPARISONS = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);

const isModeName = (node: ts.Node): boolean => ts.isStringLiteralLike(node) && (MODES as readonly string[]).includes(node.text);
const isModeValue = (node: ts.Node): boolean => (ts.isIdentifier(node) && node.text === "mode") || (ts.isPropertyAccessExpression(node) && node.name.text === "mode");

/** The branches on the mode in a source text: `line: text` each. */
export function modeBranches(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const note = (node: ts.Node) => found.push(`${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${node.getText(source)}`);
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind) && [node.left, node.right].some((side) => isModeName(side) || isModeValue(side))) note(node);
    if (ts.isSwitchStatement(node) && isModeValue(node.expression)) note(node.expression);
    if (ts.isCaseClause(node) && isModeName(node.expression)) note(node.expression);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every branch on the mode under SCANNED: `file:line: text`. */
function branchesInTree(): { file: string; line: string }[] {
  return SCANNED.flatMap((folder) =>
    sourcesUnder(join(ROOT, folder)).flatMap((path) => {
      const file = relative(ROOT, path);
      return modeBranches(file, readFileSync(path, "utf8")).map((line) => ({ file, line }));
    }),
  );
}

describe("the finder of branches on the mode", () => {
  it("finds comparisons with a mode's name or a mode, switches over a mode and cases of a mode's name", () => {
    const text = [
      'if (policy.mode === "switch") a();',
      'const b = "overflow" !== c.mode ? 1 : 2;',
      "const d = mode == other;",
      "switch (p.mode) {",
      '  case "overflow": break;',
      "}",
    ].join("\n");
    expect(modeBranches("x.ts", text)).toEqual(['1: policy.mode === "switch"', '2: "overflow" !== c.mode', "3: mode == other", "4: p.mode", '5: "overflow"']);
  });

  it("leaves alone what does not branch: comments, strings, lookups by mode, other comparisons", () => {
    const text = ['// policy.mode === "switch"', 'const s = `mode === "overflow"`;', "const t = STRATEGIES[policy.mode];", 'if (kind === "mode") f();', 'switch (kind) { case "mode": break; }'].join("\n");
    expect(modeBranches("x.ts", text)).toEqual([]);
  });
});

describe("one strategy a mode", () => {
  const branches = branchesInTree();
  const isDataFilter = ({ file, line }: { file: string; line: string }) => DATA_FILTERS.some((d) => d.file === file && line.endsWith(`: ${d.text}`));

  it("reads the folders it guards", () => {
    for (const folder of SCANNED) expect(sourcesUnder(join(ROOT, folder)).length).toBeGreaterThan(0);
  });

  it("no code branches on the mode: what a mode does is its strategy's (data filters aside)", () => {
    expect(branches.filter((b) => !isDataFilter(b)).map(({ file, line }) => `${file}:${line}`)).toEqual([]);
  });

  it("every data filter listed is still there", () => {
    expect(DATA_FILTERS.filter((d) => !branches.some((b) => b.file === d.file && b.line.endsWith(`: ${d.text}`)))).toEqual([]);
  });
});
