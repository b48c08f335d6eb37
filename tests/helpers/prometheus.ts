/** A throwaway Prometheus, for the tests that import it from here. */
export { startPrometheus, type PrometheusServer } from "../../local/src/prometheus-server";
