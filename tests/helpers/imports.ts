/** What a TypeScript file imports, read with the compiler's own parser (for the structure tests). */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";

/** The repository root. */
export const ROOT = resolve(__dirname, "../..");

/** The module specifiers a file imports (static imports, re-exports and `import()` types). */
export function importsOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) found.push(node.argument.literal.text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) found.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The .ts sources under a folder (or the file itself), leaving out node_modules, dist and declaration files. */
export function sourcesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => {
    const child = join(path, name);
    if (name === "node_modules" || name === "dist") return [];
    if (statSync(child).isDirectory()) return sourcesUnder(child);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [child] : [];
  });
}

/** The workspaces' package names, as the programs import them, and their source entry points. */
const WORKSPACE_PACKAGES: Readonly<Record<string, string>> = {
  "@istio-burst/contract": "packages/contract/src/index.ts",
  "@istio-burst/common": "packages/common/src/index.ts",
};

/** One import of a repository file: who imports, what it wrote, and the file (repository-relative) or the package it names. */
export interface Import {
  readonly from: string;
  readonly spec: string;
  /** the imported repository file, relative to ROOT; absent for a package outside the repository */
  readonly file?: string;
}

/** The repository file a module specifier names (relative to ROOT), or undefined for a package from node_modules. */
export function resolveImport(fromFile: string, spec: string): string | undefined {
  if (WORKSPACE_PACKAGES[spec]) return WORKSPACE_PACKAGES[spec];
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(fromFile), spec);
  const found = [`${base}.ts`, join(base, "index.ts"), base].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return relative(ROOT, found ?? base);
}

/** Every import of every source under these folders (relative to ROOT). */
export function importsUnder(...folders: string[]): Import[] {
  return folders.flatMap((folder) =>
    sourcesUnder(join(ROOT, folder)).flatMap((file) =>
      importsOf(file, readFileSync(file, "utf8")).map((spec) => ({ from: relative(ROOT, file), spec, file: resolveImport(file, spec) })),
    ),
  );
}
