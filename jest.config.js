/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type-checking is `npm run typecheck` (tsc --noEmit over the whole tree); jest only transpiles.
    // CommonJS output so that `await import()` in tests goes through jest's module registry.
    "^.+\\.tsx?$": ["ts-jest", { diagnostics: false, tsconfig: { module: "commonjs", moduleResolution: "node10", isolatedModules: true } }],
  },
  moduleNameMapper: {
    "^@istio-burst/common$": "<rootDir>/packages/common/src/index.ts",
  },
  testTimeout: 60_000,
  // Tests start real services (redis-server, prometheus, chromium) on free ports; two cores.
  maxWorkers: 2,
};
