/**
 * The end-to-end tools (e2e/tools/build.sh): built from the pinned Go modules once per machine, found
 * here through the manifest the script writes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../packages/tooling/src/processes";

export const TOOL_NAMES = [
  "pulumi",
  "pulumi-language-nodejs",
  "pulumi-resource-kubernetes",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "etcd",
  "kwok",
  "pilot-discovery",
  "istioctl",
  "ads-probe",
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

export interface ToolInfo {
  version: string;
  /** how long its build took, seconds (0 when it was reused) */
  buildS: number;
  bytes: number;
  path: string;
}

export interface E2eTools {
  /** the folder of the built tools (bin/, tools.json, kwok-stages.yaml) */
  dir: string;
  info: Record<ToolName, ToolInfo>;
  path(name: ToolName): string;
  /** kwok's stages for nodes and pods, from its module */
  kwokStages: string;
}

const BUILD_SCRIPT = join(REPO_ROOT, "e2e", "tools", "build.sh");

function toolsDir(): string {
  const run = spawnSync("bash", [BUILD_SCRIPT, "--dir"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`setup error: bash e2e/tools/build.sh --dir failed: ${run.stderr.trim()}`);
  return run.stdout.trim();
}

/** The built tools; a setup error naming the command to run when they are not all there. */
export function findTools(): E2eTools {
  const dir = toolsDir();
  const manifest = join(dir, "tools.json");
  if (!existsSync(manifest)) throw new Error(`setup error: the end-to-end tools are not built; run: bash e2e/tools/build.sh (npm run test:e2e does)`);
  const info = JSON.parse(readFileSync(manifest, "utf8")) as Record<ToolName, ToolInfo>;
  for (const name of TOOL_NAMES)
    if (!info[name] || !existsSync(info[name].path)) throw new Error(`setup error: ${name} is missing from ${dir}; run: bash e2e/tools/build.sh`);
  return { dir, info, path: (name) => info[name].path, kwokStages: join(dir, "kwok-stages.yaml") };
}

/** Builds what is missing (printing each tool's version, build time and size), then finds them. */
export function ensureTools(): E2eTools {
  const run = spawnSync("bash", [BUILD_SCRIPT], { stdio: "inherit" });
  if (run.status !== 0) throw new Error(`setup error: bash e2e/tools/build.sh failed (exit ${run.status}); its output says why`);
  return findTools();
}

/** The version a tools module pins of a Go module (its go.mod's require line), e.g. istio.io/istio's pseudo-version. */
export function pinnedModule(toolsModule: string, module: string): string {
  const goMod = readFileSync(join(REPO_ROOT, "e2e", "tools", toolsModule, "go.mod"), "utf8");
  const found = new RegExp(`^\\s*${module.replace(/\./g, "\\.")} (v\\S+)`, "m").exec(goMod);
  if (!found) throw new Error(`e2e/tools/${toolsModule}/go.mod pins no ${module}`);
  return `${module} ${found[1]}`;
}
