/**
 * The README's own commands for a stack on two clusters you already have (the fenced block after the
 * marker `<!-- readme-commands: own-clusters -->`), read from README.md and run in order, so that what
 * the README tells users to type is what the real-engine suite runs. Only the placeholders (`<...>`:
 * kubeconfig files, images, addresses, chart folders) are replaced, by the suite's values; a
 * placeholder the suite does not know, or a command that is not `pulumi ...`, is an error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../packages/tooling/src/processes";
import type { CliResult, PulumiCli, StepChange } from "./pulumi";

export const README_MARKER = "<!-- readme-commands: own-clusters -->";
/** The commands of "When `pulumi up` was interrupted". */
export const INTERRUPTED_UP_MARKER = "<!-- readme-commands: interrupted-up -->";

/** One command line of the block: its words, and the file it reads on standard input (`< file`). */
export interface ReadmeCommand {
  /** the line as the README writes it (placeholders and all) */
  text: string;
  args: string[];
  stdinFile?: string;
}

/** The block's lines: `\` continuations joined, comments and blank lines dropped. */
export function readmeBlock(readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8"), marker = README_MARKER): string[] {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker} marker before the commands the suite runs`);
  const fence = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!fence) throw new Error(`README.md has no \`\`\`sh block after ${marker}`);
  return fence[1]
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => stripComment(l).trim())
    .filter((l) => l !== "");
}

/** A line without its `# comment` (a # outside quotes, after white space or at the start). */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) quote = c === quote ? null : quote;
    else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Replaces every `<placeholder>` of a line; an unknown one throws, naming it. */
export function substitute(line: string, values: Record<string, string>): string {
  return line.replace(/<([a-z][^<>]*)>/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`README.md's command "${line}" has the placeholder <${name}>, which the suite has no value for`);
    return values[name];
  });
}

/** Words as sh splits them (single and double quotes; no expansion), and a `< file` redirection. */
export function parseCommand(text: string, line: string): ReadmeCommand {
  const words: string[] = [];
  let stdinFile: string | undefined;
  let redirect = false;
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(<)|([^\s'"<]+)/g)) {
    if (m[3]) {
      redirect = true;
      continue;
    }
    const word = m[1] ?? m[2] ?? m[4];
    if (redirect) {
      stdinFile = word;
      redirect = false;
    } else words.push(word);
  }
  if (words[0] !== "pulumi") throw new Error(`README.md's command "${text}" is not a pulumi command; the suite runs only those`);
  return { text, args: words.slice(1), stdinFile };
}

/** The block as commands to run, in order, each consumed once. */
export class ReadmeCommands {
  private readonly commands: ReadmeCommand[];
  private next = 0;
  /** every command run, as the README writes it */
  readonly ran: string[] = [];

  constructor(
    private readonly cli: PulumiCli,
    values: Record<string, string>,
    lines = readmeBlock(),
  ) {
    this.commands = lines.map((line) => parseCommand(line, substitute(line, values)));
  }

  /**
   * Runs the next commands up to and including the first that starts with `until` (words), and
   * returns that one's result; `pulumi up` runs with its event log read (the changes it made).
   */
  async runThrough(until: string): Promise<CliResult & { changes?: StepChange[] }> {
    await this.runBefore(until);
    const command = this.commands[this.next++];
    return this.runOne(command);
  }

  /** Runs the next commands up to, not including, the first that starts with `until` (words). */
  async runBefore(until: string): Promise<void> {
    const want = until.split(" ");
    for (;;) {
      const command = this.commands[this.next];
      if (!command) throw new Error(`README.md's commands ran out before "pulumi ${until}"`);
      if (want.every((w, i) => command.args[i] === w)) return;
      this.next++;
      await this.runOne(command);
    }
  }

  /** Runs every command left, in order; the results of each. */
  async runAll(): Promise<CliResult[]> {
    const results: CliResult[] = [];
    while (this.next < this.commands.length) results.push(await this.runOne(this.commands[this.next++]));
    return results;
  }

  private async runOne(command: ReadmeCommand): Promise<CliResult & { changes?: StepChange[] }> {
    this.ran.push(command.text);
    const input = command.stdinFile === undefined ? undefined : readFileSync(command.stdinFile, "utf8");
    if (command.args[0] === "up") return this.cli.withEvents(command.args);
    return this.cli.run(command.args, { input });
  }

  /** The commands not run yet (none, once the suite has run the README's whole job). */
  get left(): string[] {
    return this.commands.slice(this.next).map((c) => c.text);
  }
}
