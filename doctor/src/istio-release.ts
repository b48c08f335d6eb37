/**
 * The Istio release each cluster runs, against the stack's `istioVersion`. Burst's sidecars are
 * served by the primary's istiod, so both clusters must run one release, the one the stack pins: a
 * `pulumi up` that stopped half way through an upgrade leaves them apart.
 *
 * Where it is read: the `istiod` chart labels every object it renders with the release
 * (`app.kubernetes.io/version: <appVersion>`, and `helm.sh/chart: istiod-<version>`; its
 * templates/zzz_profile.yaml, `istio.labels`). In the primary, its Deployment `istio-system/istiod`;
 * in burst, where the remote profile renders no istiod Deployment, its `istio-system/values` ConfigMap
 * (rendered in every profile).
 */
import { ISTIO_NAMESPACE } from "../../packages/contract/src";
import { errorText, safely, type Clusters, type Finding, type StackView } from "./links";
import { statusOf, type Kube } from "../../packages/tooling/src/kube";

export const ISTIO_RELEASE_LINK = "both clusters run the stack's Istio release";

/** The istiod chart's object each cluster is read from. */
export const ISTIO_RELEASE_SOURCES = {
  primary: { kind: "Deployment", name: "istiod" },
  burst: { kind: "ConfigMap", name: "values" },
} as const;

type Side = keyof typeof ISTIO_RELEASE_SOURCES;

/** One cluster's Istio release, or why it could not be read. */
export interface ClusterRelease {
  side: Side;
  /** `Deployment istio-system/istiod` */
  source: string;
  release?: string;
  problem?: string;
}

/** The release an istiod chart's labels name: `app.kubernetes.io/version`, else the version in `helm.sh/chart: istiod-<version>`. */
export function chartRelease(labels: Record<string, string> | undefined): string | undefined {
  const version = labels?.["app.kubernetes.io/version"];
  if (version) return version;
  return /^istiod-(.+)$/.exec(labels?.["helm.sh/chart"] ?? "")?.[1];
}

/** The Istio release one cluster runs, read from its istiod chart's object. */
export async function clusterRelease(side: Side, kube: Kube): Promise<ClusterRelease> {
  const { kind, name } = ISTIO_RELEASE_SOURCES[side];
  const source = `${kind} ${ISTIO_NAMESPACE}/${name}`;
  try {
    const object =
      kind === "Deployment"
        ? await kube.apps.readNamespacedDeployment({ name, namespace: ISTIO_NAMESPACE })
        : await kube.core.readNamespacedConfigMap({ name, namespace: ISTIO_NAMESPACE });
    const release = chartRelease(object.metadata?.labels);
    return release ? { side, source, release } : { side, source, problem: `its ${source} has no app.kubernetes.io/version or helm.sh/chart label` };
  } catch (err) {
    return { side, source, problem: statusOf(err) === 404 ? `no ${source}: Istio's istiod chart is not installed there` : `${source}: ${errorText(err)}` };
  }
}

/** The finding from both clusters' releases and the stack's `istioVersion`. */
export function releaseFinding(primary: ClusterRelease, burst: ClusterRelease, istioVersion: string): Finding {
  const link = ISTIO_RELEASE_LINK;
  const unread = [primary, burst].filter((c) => c.release === undefined);
  if (unread.length > 0)
    return {
      link,
      ok: false,
      detail: unread.map((c) => `${c.side}: ${c.problem}`).join("; "),
      fix: "pulumi up installs Istio in both clusters (istiod in the primary, the remote profile in burst); kubectl -n istio-system get deployment,configmap shows what is there",
    };
  const both = `primary runs Istio ${primary.release}, burst ${burst.release}`;
  if (primary.release !== burst.release)
    return {
      link,
      ok: false,
      detail: `${both}: the clusters differ (the stack's istioVersion is ${istioVersion})`,
      fix: `burst's sidecars are served by the primary's istiod, so both clusters run one release: pulumi up installs ${istioVersion} in both (README: Upgrade Istio), then restart the workloads in both clusters`,
    };
  if (primary.release !== istioVersion)
    return {
      link,
      ok: false,
      detail: `${both}, but the stack's istioVersion is ${istioVersion}`,
      fix: `pulumi up installs istioVersion ${istioVersion} in both clusters (README: Upgrade Istio), then restart the workloads in both clusters`,
    };
  return { link, ok: true, detail: `Istio ${primary.release} in both clusters, the stack's istioVersion (primary: ${primary.source}; burst: ${burst.source})` };
}

/** Both clusters run the stack's Istio release. */
export function istioReleases(clusters: Clusters, view: StackView): Promise<Finding> {
  return safely(
    ISTIO_RELEASE_LINK,
    async () => releaseFinding(await clusterRelease("primary", clusters.primary), await clusterRelease("burst", clusters.burst), view.istioVersion),
    "the operator's kubeconfigs must be allowed to read Deployments and ConfigMaps in istio-system",
  );
}
