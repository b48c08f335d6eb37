/**
 * The end-to-end suite (npm run test:e2e): the stack under the real Pulumi engine against two local
 * control planes. One file, its steps in order; the same transforms as the fast suite.
 */
const base = require("../jest.config.js");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: "..",
  roots: ["<rootDir>/e2e/tests"],
  testTimeout: 20 * 60_000,
  maxWorkers: 1,
};
