import { resolve } from "node:path";

/** The repository root (this file compiles to bench/dist/bench/). */
export const ROOT = resolve(__dirname, "../../..");
