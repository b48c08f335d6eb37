/**
 * `istioctl analyze` over both clusters, as an operator runs it (`--context primary --remote-contexts
 * burst -A`, one kubeconfig holding both), with the istioctl the suite builds: the run and its reading
 * are the tooling package's, which `npm run doctor` shares (packages/tooling/src/istioctl.ts).
 */
import { istioctlAnalyze, type AnalyzedClusters, type AnalyzerMessage } from "../../packages/tooling/src/istioctl";
import type { E2eTools } from "./tools";

export type { AnalyzerMessage };

/** The analyzers' messages for the two clusters (info included); an error when istioctl fails to run. */
export function analyze(tools: E2eTools, dir: string, configs: AnalyzedClusters): AnalyzerMessage[] {
  return istioctlAnalyze(tools.path("istioctl"), dir, configs);
}
