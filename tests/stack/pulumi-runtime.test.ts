/**
 * The program loads the way the Pulumi CLI's Node.js runtime loads it (@pulumi/pulumi cmd/run): the
 * TypeScript and ts-node it picks (tsutils.typeScriptRequireStrings: the project's typescript, its
 * vendored ts-node), the project's tsconfig.json, and the compiler options the runtime forces. The
 * mock tests load the program through ts-jest instead, so a tsconfig the CLI cannot use would pass
 * them and fail `pulumi up`; this test runs index.ts in a separate node process through the CLI's
 * loader, under mocks, and reads the stack outputs back.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "../helpers/services";
import { ROOT } from "../helpers/programs";

const LOADER = `
const path = require("path");
const root = process.argv[2];
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [root] }));
const tsutils = require(path.join(pulumiDir, "tsutils"));
const semver = require(require.resolve("semver", { paths: [pulumiDir] }));
const tsconfig = path.join(root, "tsconfig.json");
// As cmd/run/run.js does for a CommonJS project.
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsconfig);
// run.js requires them from inside @pulumi/pulumi: resolve bare names from there
const fromPulumi = (id) => (path.isAbsolute(id) ? id : require.resolve(id, { paths: [pulumiDir] }));
const ts = require(fromPulumi(typescriptRequire));
const nodeNext = semver.gte(semver.coerce(ts.version), "4.7.0");
require(fromPulumi(tsnodeRequire)).register({
  compiler: typescriptRequire,
  transpileOnly: compilerOptions.noCheck,
  project: tsconfig,
  compilerOptions: { target: "ES2020", module: nodeNext ? "nodenext" : "commonjs", moduleResolution: nodeNext ? "nodenext" : "node", sourceMap: "true", ...compilerOptions },
});
const { freshMocks } = require(path.join(root, "tests/helpers/pulumi.ts"));
const pulumi = require(path.join(pulumiDir));
freshMocks({});
const program = require(path.join(root, "index.ts"));
const names = Object.keys(program).sort();
pulumi.all([program.frontendUrl, program.primaryClusterName, program.burstClusterName]).apply(([url, primary, burst]) => {
  process.stdout.write(JSON.stringify({ typescript: ts.version, tsnode: tsnodeRequire.includes("vendor") ? "vendored" : "project", names, url, primary, burst }) + "\\n");
});
`;

describe("the program under the Pulumi CLI's TypeScript loader", () => {
  it("compiles with the project's tsconfig.json and exports the stack outputs", () => {
    const tmp = makeTempDir("pulumi-loader");
    try {
      const script = join(tmp.dir, "load.js");
      writeFileSync(script, LOADER);
      const r = spawnSync(process.execPath, [script, ROOT], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
      expect(r.stderr).not.toMatch(/error|TSError/i);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
      expect(out.typescript).toMatch(/^5\./);
      expect(out.names).toEqual(expect.arrayContaining(["frontendUrl", "primaryClusterName", "burstClusterName", "primaryKubeconfig", "burstKubeconfig", "imageRefs", "watcherSettings"]));
      expect(out.url).toMatch(/^http:\/\/34\.82\.10\.20\/?$/);
      expect(out.primary).toMatch(/^primary-/);
      expect(out.burst).toMatch(/^burst-/);
    } finally {
      tmp.remove();
    }
  });
});
