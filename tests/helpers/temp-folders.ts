/**
 * Folders a test file writes (a kubeconfig, stack outputs, a folder of charts), made under the
 * system's temp folder and removed when the test file ends, whatever its tests did. Import it
 * statically: the removal is an afterAll hook of the importing file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, type TempDir } from "../../packages/tooling/src/processes";

const made: TempDir[] = [];

afterAll(() => {
  for (const temp of made.splice(0)) temp.remove();
});

/** A new empty folder `istio-burst-<prefix>-*`, removed when the test file ends. */
export function testFolder(prefix: string): string {
  const temp = makeTempDir(prefix);
  made.push(temp);
  return temp.dir;
}

/** A folder of chart folders, each with a Chart.yaml of the version given (null: a chart folder without one). */
export function chartFolder(charts: Record<string, string | null>): string {
  const dir = testFolder("charts");
  for (const [chart, version] of Object.entries(charts)) {
    mkdirSync(join(dir, chart));
    if (version !== null) writeFileSync(join(dir, chart, "Chart.yaml"), `apiVersion: v2\nname: ${chart}\nversion: ${version}\n`);
  }
  return dir;
}
