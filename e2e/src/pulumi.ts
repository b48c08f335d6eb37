/**
 * The stack under the real Pulumi engine, offline, driven as a user drives it: the `pulumi` CLI built
 * from source, run in the project folder (the repository's root, its own Pulumi.yaml), the program run
 * by the Node.js language host, the Kubernetes provider found on PATH as an ambient plugin, a local file
 * backend chosen with `pulumi login`, no update check and no plugin download. PULUMI_HOME is the run's
 * own, so nothing of the user's is read or written; in the project folder only the
 * `Pulumi.<stack>.yaml` that `pulumi stack init` and `pulumi config set` write, which `pulumi stack rm`
 * takes away again.
 */
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { REPO_ROOT, killedWithParentTree } from "../../packages/tooling/src/processes";
import * as pulumi from "@pulumi/pulumi";
import type { E2eTools } from "./tools";

/** Where one end-to-end stack keeps its state: the backend, PULUMI_HOME and the CLI's log. */
export interface StackHome {
  /** the folder of everything below */
  dir: string;
  /** the file backend (`pulumi login file://<backend>`) */
  backend: string;
  /** PULUMI_HOME (credentials, workspace settings): nothing of the user's */
  pulumiHome: string;
  /** every command's output, in order */
  log: string;
}

export function stackHome(dir: string): StackHome {
  const home = { dir, backend: join(dir, "backend"), pulumiHome: join(dir, "pulumi-home"), log: join(dir, "pulumi.log") };
  for (const d of [home.backend, home.pulumiHome]) mkdirSync(d, { recursive: true });
  return home;
}

/** The passphrase of the e2e stack's secrets (a throwaway file backend); users are asked for theirs. */
export const E2E_PASSPHRASE = "istio-burst-e2e-only";

/** The stack config file `pulumi stack init` leaves in the project folder. */
export const stackConfigFile = (stack: string) => join(REPO_ROOT, `Pulumi.${stack}.yaml`);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface CliOptions {
  /** text on standard input (`pulumi config set --secret key < file`) */
  input?: string;
  /** a non-zero exit is the expected outcome: return it instead of throwing */
  mayFail?: boolean;
}

/** A `pulumi` command running. */
export interface RunningCli {
  readonly done: Promise<CliResult>;
  /** what it has written so far (standard output and error) */
  output(): string;
  /** sends a signal to the pulumi process itself (Ctrl-C is SIGINT), not to the namespace's keeper */
  signal(sig: NodeJS.Signals): void;
}

/**
 * Signals the program a wrapper started: the first child of util-linux `unshare` (the program, first
 * process of its PID namespace), or the process itself when it runs without one.
 */
function signalProgram(pid: number, sig: NodeJS.Signals): void {
  const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  if (comm !== "unshare") return void process.kill(pid, sig);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  if (children.length !== 1) throw new Error(`unshare (pid ${pid}) has ${children.length} children; expected the pulumi CLI alone`);
  process.kill(children[0], sig);
}

/** The `pulumi` CLI of the tools folder, in the project folder, with this run's home and backend. */
export class PulumiCli {
  constructor(
    private readonly tools: E2eTools,
    readonly home: StackHome,
  ) {}

  /**
   * The environment of every command: offline and quiet. PATH starts with the tools folder, where the
   * CLI finds the language host and the Kubernetes provider (ambient plugins), then node's own folder.
   */
  env(): NodeJS.ProcessEnv {
    const path = [dirname(this.tools.path("pulumi")), dirname(process.execPath), process.env.PATH ?? ""].join(delimiter);
    return {
      ...process.env,
      PATH: path,
      PULUMI_HOME: this.home.pulumiHome,
      PULUMI_CONFIG_PASSPHRASE: E2E_PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // shows the CLI's --event-log flag (as the Automation API does), through which the suite reads
      // the steps an update took; the commands themselves are the user's
      PULUMI_DEBUG_COMMANDS: "true",
      // none of the user's: the backend is the one `pulumi login` chose in this PULUMI_HOME
      PULUMI_BACKEND_URL: undefined,
      PULUMI_ACCESS_TOKEN: undefined,
    };
  }

  /**
   * Starts `pulumi <args>` in the project folder, in a PID namespace of its own under a parent-death
   * signal: it and the plugins it starts end with this process however it ends. Its output goes to the
   * home's log and is kept (`output()`); `done` resolves when it exits, throwing with the end of its
   * output on a non-zero exit unless `mayFail`.
   */
  start(args: string[], opts: CliOptions = {}): RunningCli {
    const started = Date.now();
    const shown = args.map((a) => (a.length > 80 ? `${a.slice(0, 40)}...` : a)).join(" ");
    appendFileSync(this.home.log, `\n===== pulumi ${shown}  (${new Date().toISOString()})\n`);
    const cmd = killedWithParentTree(this.tools.path("pulumi"), args);
    const child = spawn(cmd.file, cmd.args, { cwd: REPO_ROOT, env: this.env(), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
      appendFileSync(this.home.log, d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
      appendFileSync(this.home.log, d);
    });
    child.stdin.end(opts.input ?? "");
    const done = new Promise<number | null>((resolve) => child.once("close", resolve)).then((code) => {
      const result = { code, stdout, stderr, seconds: (Date.now() - started) / 1000 };
      if (code !== 0 && !opts.mayFail) {
        const tail = (stdout + stderr).split("\n").slice(-60).join("\n");
        throw new Error(`pulumi ${shown} exited with ${code}:\n${tail}\n--- the whole output: ${this.home.log}`);
      }
      return result;
    });
    return { done, output: () => stdout + stderr, signal: (sig) => signalProgram(child.pid!, sig) };
  }

  /** Runs `pulumi <args>` (start()) and waits for it. */
  run(args: string[], opts: CliOptions = {}): Promise<CliResult> {
    return this.start(args, opts).done;
  }

  /** A command whose standard output is JSON (`--json`). */
  async json<T>(args: string[]): Promise<T> {
    const { stdout } = await this.run(args);
    return JSON.parse(stdout) as T;
  }

  /**
   * `pulumi up` or `pulumi destroy` with the engine's event log beside it: the steps the engine took,
   * read from the log (observation only; the command is the user's).
   */
  async withEvents(args: string[]): Promise<CliResult & { changes: StepChange[] }> {
    const file = join(this.home.dir, `events-${Date.now()}.jsonl`);
    const result = await this.run([...args, "--event-log", file]);
    const changes = existsSync(file) ? changesOf(readFileSync(file, "utf8")) : [];
    rmSync(file, { force: true });
    return { ...result, changes };
  }
}

/** One step the engine took on a resource (`same` and `read` are not changes). */
export interface StepChange {
  op: string;
  type: string;
  urn: string;
}

/** The changes in an engine event log (one JSON event a line). */
export function changesOf(eventLog: string): StepChange[] {
  const changes: StepChange[] = [];
  for (const line of eventLog.split("\n")) {
    if (line.trim() === "") continue;
    const step = (JSON.parse(line) as { resOutputsEvent?: { metadata?: StepChange } }).resOutputsEvent?.metadata;
    if (step && step.op !== "same" && step.op !== "read") changes.push({ op: step.op, type: step.type, urn: step.urn });
  }
  return changes;
}

/**
 * The stack's documented defaults (config.ts DEFAULTS). config.ts reads the stack's config when it is
 * loaded: a project lets it load here, outside any stack.
 */
export function stackDefaults(): typeof import("../../config").DEFAULTS {
  pulumi.runtime.setConfig("gcp:project", "defaults-only");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../../config") as typeof import("../../config")).DEFAULTS;
}
