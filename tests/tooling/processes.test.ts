/**
 * A program started with killedWithParentTree ends, with every program it started, when the process
 * that started it is killed (SIGKILL: no cleanup runs). Leftovers are found by command line.
 */
import { spawn, spawnSync } from "node:child_process";
import { builtProgram, waitFor } from "../../packages/tooling/src/processes";

/** The processes (pid and command line) the starter's program started: shells named after `marker`. */
function running(marker: string): string[] {
  const ps = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps.stdout.split("\n").filter((l) => l.includes(marker) && !l.includes("ps -eo") && !l.includes("node"));
}

describe("killedWithParentTree", () => {
  it("ends the program and its own children when its starter is SIGKILLed", async () => {
    const marker = `istio-burst-tree-${process.pid}-${Date.now()}`;
    // the starter: a node process that runs a shell which starts two sleepers of its own, then waits
    const starter = `
      const { spawn } = require("node:child_process");
      const { killedWithParentTree } = require(${JSON.stringify(builtProgram("packages/tooling/dist/processes.js"))});
      const sleeper = (name) => "sh -c 'sleep 300; true' " + name;
      const cmd = killedWithParentTree("/bin/sh", ["-c", sleeper("${marker}-a") + " & " + sleeper("${marker}-b") + " & wait"]);
      spawn(cmd.file, cmd.args, { stdio: "ignore" });
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["-e", starter], { stdio: "ignore" });
    await waitFor("both sleepers to run", () => running(marker).length >= 2, 60_000, 100);
    child.kill("SIGKILL");
    await waitFor("every sleeper to be gone", () => running(marker).length === 0 || undefined, 30_000, 100).catch(() => undefined);
    expect(running(marker)).toEqual([]);
  });
});
