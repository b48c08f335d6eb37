/**
 * The process helpers, now in @istio-burst/tooling, and local mode's throwaway Prometheus: what
 * e2e/tests/ still imports by this path (until its imports move to packages/tooling).
 */
export * from "@istio-burst/tooling";
export { startPrometheus, type PrometheusServer } from "./prometheus-server";
