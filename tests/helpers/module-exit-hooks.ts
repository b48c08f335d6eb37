/**
 * The tests load the program and its config afresh many times (jest.isolateModules), and each fresh
 * copy of the Pulumi runtime hooks the process's `exit`: its promise-leak check (runtime/debuggable,
 * once per copy, at its first resource) and the `tmp` package's clean-up (once per copy, at load). A
 * jest worker runs many test files in one process, so those hooks piled up on it
 * (MaxListenersExceededWarning: 11 exit listeners) and would run at the worker's exit, long after the
 * run they belong to. A run under mocks is over when it settles (runProgram) or its test ends
 * (jest-setup.ts); its copy's hooks go with it. Other exit listeners (the local supervisor's, which
 * kills its children) are left alone.
 */
type ExitListener = (code: number) => void;

/** The hooks a copy of the Pulumi runtime and its dependencies leave, by what they run. */
const MODULE_COPY_HOOKS: readonly RegExp[] = [/leakedPromises\(\)/, /^function _garbageCollector\(\)/];

/** Removes the exit hooks of module copies from the process; returns how many there were. */
export function dropModuleExitHooks(): number {
  const hooks = (process.listeners("exit") as ExitListener[]).filter((l) => MODULE_COPY_HOOKS.some((re) => re.test(String(l))));
  for (const hook of hooks) process.off("exit", hook);
  return hooks.length;
}
