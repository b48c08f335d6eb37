/** Set up after jest's environment in every test file (jest.config.js `setupFilesAfterEnv`). */
import { dropModuleExitHooks } from "./module-exit-hooks";

// modules loaded afresh by a test leave nothing on the worker's process (see module-exit-hooks.ts)
afterEach(() => void dropModuleExitHooks());
afterAll(() => void dropModuleExitHooks());
