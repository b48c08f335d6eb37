/** ESM-only packages that tests load (the watcher's Kubernetes client and its ESM dependencies). */
const ESM_PACKAGES = ["@kubernetes/client-node", "openid-client", "oauth4webapi", "jose"];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type-checking is `npm run typecheck` (tsc --noEmit over the whole tree); jest only transpiles.
    // CommonJS output so that `await import()` in tests goes through jest's module registry.
    "^.+\\.tsx?$": ["ts-jest", { diagnostics: false, tsconfig: { module: "commonjs", moduleResolution: "node10", isolatedModules: true } }],
    [`/node_modules/(${ESM_PACKAGES.join("|")})/.+\\.js$`]: [
      "ts-jest",
      { diagnostics: false, tsconfig: { module: "commonjs", moduleResolution: "node10", isolatedModules: true, allowJs: true, target: "ES2022" } },
    ],
  },
  // @kubernetes/client-node 1.x and a few of its dependencies are ESM-only; jest runs CommonJS, so
  // those files are transpiled to CommonJS too (everything else in node_modules is left alone).
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join("|")})/)`],
  moduleNameMapper: {
    "^@istio-burst/common$": "<rootDir>/packages/common/src/index.ts",
    "^@istio-burst/contract$": "<rootDir>/packages/contract/src/index.ts",
    "^@istio-burst/tooling$": "<rootDir>/packages/tooling/src/index.ts",
  },
  setupFilesAfterEnv: ["<rootDir>/tests/helpers/jest-setup.ts"],
  testTimeout: 60_000,
  // Tests start real services (redis-server, prometheus, chromium) on free ports; two cores.
  maxWorkers: 2,
};
