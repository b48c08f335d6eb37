/**
 * The services' log destination: whole JSON lines, written at once, and nothing that can hold up an
 * exit when nobody reads them (see tests/faults/sigterm.test.ts for the programs themselves).
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger, LineWriter } from "../../packages/common/src/log";
import { makeTempDir } from "../helpers/services";

describe("LineWriter", () => {
  it("writes each line whole, at once", () => {
    const tmp = makeTempDir("log");
    try {
      const path = join(tmp.dir, "out.log");
      const fd = openSync(path, "w");
      const log = createLogger("svc", "info", new LineWriter(fd));
      log.info({ n: 1 }, "first");
      log.warn("second – ünïcode");
      // no flush, no end: it is on disk already
      const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { msg: string; service: string; n?: number });
      expect(lines).toMatchObject([{ msg: "first", service: "svc", n: 1 }, { msg: "second – ünïcode" }]);
      closeSync(fd);
    } finally {
      tmp.remove();
    }
  });

  it("turns itself off, without throwing, when its descriptor cannot be written", () => {
    const tmp = makeTempDir("log");
    try {
      const fd = openSync(join(tmp.dir, "out.log"), "w");
      closeSync(fd);
      const writer = new LineWriter(fd);
      expect(() => writer.write('{"msg":"lost"}\n')).not.toThrow();
      expect(writer.writing).toBe(false);
      expect(() => createLogger("svc", "info", writer).info("still nothing")).not.toThrow();
    } finally {
      tmp.remove();
    }
  });

  it("lets a process log and exit while the reader of its stdout has gone", () => {
    // The reader of the pipe (head) exits after the first line; every later line fails with EPIPE.
    const script = `
      const { createLogger } = require(${JSON.stringify(require.resolve("../../packages/common/dist/log.js"))});
      const log = createLogger("svc");
      log.info("first");
      setTimeout(() => { for (let i = 0; i < 100; i++) log.info({ i }, "nobody reads this"); process.exit(0); }, 300);
    `;
    const node = `timeout -s KILL 8 "${process.execPath}" -e '${script.replace(/'/g, "'\\''")}'`;
    const started = Date.now();
    const r = spawnSync("bash", ["-c", `${node} | head -n 1 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: "utf8", timeout: 15_000 });
    expect(r.stdout.trim()).toBe("0"); // 137: killed by the timeout, it hung
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
