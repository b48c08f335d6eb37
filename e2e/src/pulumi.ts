/**
 * The stack under the real Pulumi engine, offline: the CLI built from source, a local file backend,
 * the Kubernetes provider plugin from the tools folder (the project's `plugins.providers`), no update
 * check and no plugin download. The program (index.ts, compiled) runs in @pulumi/pulumi's own
 * language runtime, the Automation API's, which the CLI reaches with `--client`: the Node.js language
 * host binary is not served by the module proxy (see e2e/tools/build.sh).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { LocalWorkspace, PulumiCommand, Stack, type ProjectSettings, type PulumiFn } from "@pulumi/pulumi/automation";
import { REPO_ROOT, killedWithParent } from "../../local/src/processes";
import type { E2eTools } from "./tools";

export const STACK_NAME = "e2e";

/** Where one end-to-end stack keeps its state: the backend, PULUMI_HOME and the project folder. */
export interface StackHome {
  /** the folder of everything below */
  dir: string;
  /** the file backend (`file://<backend>`) */
  backend: string;
  /** PULUMI_HOME (plugins, credentials): nothing of the user's */
  pulumiHome: string;
  /** the project folder: Pulumi.yaml and Pulumi.e2e.yaml */
  workDir: string;
}

export function stackHome(dir: string): StackHome {
  const home = { dir, backend: join(dir, "backend"), pulumiHome: join(dir, "pulumi-home"), workDir: join(dir, "project") };
  for (const d of [home.backend, home.pulumiHome, home.workDir]) mkdirSync(d, { recursive: true });
  return home;
}

/** The passphrase of the e2e stack's secrets (a throwaway file backend). */
export const E2E_PASSPHRASE = "istio-burst-e2e-only";

/** The environment of every CLI run: offline, quiet, in the stack's own home. */
export function pulumiEnv(home: StackHome): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${home.backend}`,
    PULUMI_HOME: home.pulumiHome,
    PULUMI_CONFIG_PASSPHRASE: E2E_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
}

/**
 * The project as users have it (the repository's Pulumi.yaml), with one addition: the Kubernetes
 * provider plugin is the one built into the tools folder, whatever version the SDK asks for.
 */
export function projectSettings(tools: E2eTools): Record<string, unknown> {
  const project = yaml.load(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  return { ...project, plugins: { providers: [{ name: "kubernetes", path: join(tools.dir, "bin") }] } };
}

/**
 * The CLI as the Automation API finds it (`<root>/bin/pulumi`), started under a parent-death signal:
 * it (and so the plugins it runs) ends with the process that runs this operation, however that ends.
 */
function cliRoot(tools: E2eTools, home: StackHome): string {
  const root = join(home.dir, "cli");
  mkdirSync(join(root, "bin"), { recursive: true });
  const cmd = killedWithParent(tools.path("pulumi"));
  const quote = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;
  writeFileSync(join(root, "bin", "pulumi"), `#!/bin/sh\nexec ${[cmd.file, ...cmd.args].map(quote).join(" ")} "$@"\n`, { mode: 0o755 });
  return root;
}

/** The e2e stack, created on first use, with the program to run for up and preview (none for the rest). */
export async function openStack(tools: E2eTools, home: StackHome, program?: PulumiFn): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({ root: cliRoot(tools, home), skipVersionCheck: true });
  const workspace = await LocalWorkspace.create({
    workDir: home.workDir,
    pulumiHome: home.pulumiHome,
    envVars: pulumiEnv(home),
    projectSettings: projectSettings(tools) as unknown as ProjectSettings,
    program,
    pulumiCommand,
  });
  return Stack.createOrSelect(STACK_NAME, workspace);
}
