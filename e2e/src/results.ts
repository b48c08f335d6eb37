/**
 * e2e/results.json: the figures of the last real-engine run. Each test file records its own top-level
 * sections and leaves the others as they are, so the suite's files can run alone or together.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../packages/tooling/src/processes";

const FILE = join(REPO_ROOT, "e2e", "results.json");

/** Writes `sections` into results.json, replacing those keys and keeping every other. */
export function recordResults(sections: Record<string, unknown>): void {
  const current = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, "utf8")) as Record<string, unknown>) : {};
  writeFileSync(FILE, `${JSON.stringify({ ...current, ...sections }, null, 2)}\n`);
}
