/**
 * Runs of the whole program under mocks leave nothing on the process they run in: a jest worker runs
 * many, and each loads the Pulumi runtime afresh (see tests/helpers/module-exit-hooks.ts).
 */
import { runProgram } from "../helpers/pulumi";

it("leaves no hook on the process's exit, run after run, and keeps the exit listeners that are not a module copy's", async () => {
  const ours = () => undefined;
  process.on("exit", ours);
  try {
    await runProgram();
    const afterOne = process.listeners("exit");
    expect(afterOne).toContain(ours);
    for (let run = 2; run <= 3; run++) {
      const { mocks } = await runProgram();
      expect(mocks.resources.length).toBeGreaterThan(0);
      expect(process.listeners("exit")).toEqual(afterOne);
    }
  } finally {
    process.off("exit", ours);
  }
});
