/**
 * The values of the README's placeholders for a stack on the suite's two control planes: their
 * kubeconfigs (written as files, as a user keeps them), the three images, the east-west addresses and
 * the charts from the fixtures' folders. Every test file that runs the README's commands fills them so.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalClusters } from "./clusters";
import { FIXTURE_ISTIO, chartSet } from "./fixtures";
import { stackDefaults } from "./pulumi";

/** Images both clusters could pull (no container runs: kwok makes their pods Ready). */
export const E2E_IMAGES = {
  frontendImage: "registry.example.internal/istio-burst/frontend:e2e",
  workerImage: "registry.example.internal/istio-burst/worker:e2e",
  watcherImage: "registry.example.internal/istio-burst/watcher:e2e",
};

export function ownClustersValues(opts: { clusters: LocalClusters; dir: string; backend: string; stack: string; host: string }): Record<string, string> {
  const kubeconfigFile = (side: "primary" | "burst") => {
    const file = join(opts.dir, `${side}.kubeconfig`);
    writeFileSync(file, opts.clusters[side].kubeconfig, { mode: 0o600 });
    return file;
  };
  return {
    "state folder": opts.backend,
    stack: opts.stack,
    "primary kubeconfig": kubeconfigFile("primary"),
    "burst kubeconfig": kubeconfigFile("burst"),
    "frontend image": E2E_IMAGES.frontendImage,
    "worker image": E2E_IMAGES.workerImage,
    "watcher image": E2E_IMAGES.watcherImage,
    // the load balancers' addresses of the two control planes (see LOAD_BALANCER_RANGES), and this machine's
    "primary egress CIDRs": `198.51.100.0/24,${opts.host}/32`,
    "burst egress CIDRs": "203.0.113.0/24",
    // the primary's east-west gateway gets this machine's address, where istiod listens
    "reserved east-west address": opts.host,
    // given, so that no provider but Kubernetes is needed (@pulumi/random's plugin is not built here)
    "redis password": "E2eRedisPassw0rdOnlyForTests",
    "istio charts folder": chartSet(`istio-${FIXTURE_ISTIO.rendered}`),
    "istio release of the charts folder": FIXTURE_ISTIO.rendered,
    "prometheus charts folder": chartSet(`prometheus-${stackDefaults().prometheusChartVersion}`),
  };
}
