/**
 * The links a burst goes through, each checked against the live clusters: what is wrong and what to
 * do when one is broken. Every check returns a Finding; none throws.
 */
import { BURST_KUBECONFIG_KEY, BURST_KUBECONFIG_SECRET, EAST_WEST_RELEASE, ISTIO_NAMESPACE, NAMES, WIRING_ENV, type RoutingState } from "../../packages/contract/src";
import { checkAccess, scalerCases, watcherCases } from "../../packages/tooling/src/access";
import { secretText, serviceAccountKubeconfig } from "../../packages/tooling/src/credentials";
import { kubeFrom, statusOf, type Kube } from "../../packages/tooling/src/kube";

export interface Finding {
  link: string;
  ok: boolean;
  /** what was found (OK) or what is wrong; when skipped, what is missing here to check it */
  detail: string;
  /** more lines of what was found, each printed under the link */
  notes?: string[];
  /** what to do, when it is wrong; when skipped, how to check it */
  fix?: string;
  /** not checked from here (a tool is missing): neither OK nor broken */
  skipped?: boolean;
}

/** A link checked and found broken (a skipped one is not). */
export const isBroken = (f: Finding): boolean => !f.ok && !f.skipped;

/** What the doctor knows of the stack: its outputs, and where the watcher and frontend answer. */
export interface StackView {
  primaryKubeconfig: string;
  burstKubeconfig: string;
  namespace: string;
  /** `istio-system/istio-remote-secret-burst` */
  remoteSecretName: string;
  eastWestGatewayAddress?: string;
  /** the frontend's base URL (the stack's `frontendUrl`, or another way in) */
  frontendUrl: string;
  /** the Istio release the stack installs in both clusters (its `istioVersion` output) */
  istioVersion: string;
}

export interface Clusters {
  primary: Kube;
  burst: Kube;
}

/** A client-node error in one line: the API server's message when it sent one. */
export function errorText(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === "string") {
    try {
      const message = (JSON.parse(body) as { message?: string }).message;
      if (message) return message;
    } catch {
      // not JSON: fall through
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0];
}

/** A link's check, its error (whatever it is) a broken link with this fix. */
export async function safely(link: string, check: () => Promise<Finding>, fix: string): Promise<Finding> {
  try {
    return await check();
  } catch (err) {
    return { link, ok: false, detail: errorText(err), fix };
  }
}

export function apiServerAnswers(side: "primary" | "burst", kube: Kube): Promise<Finding> {
  const link = `the ${side} API server answers`;
  return safely(
    link,
    async () => {
      const version = await kube.config.makeApiClient(kube.lib.VersionApi).getCode();
      return { link, ok: true, detail: `Kubernetes ${version.gitVersion} at ${kube.config.getCurrentCluster()?.server}` };
    },
    `check the stack's ${side}Kubeconfig output (pulumi stack output --show-secrets ${side}Kubeconfig), that its server is reachable from here, and its credentials (gke-gcloud-auth-plugin for a GKE cluster)`,
  );
}

/** A worker pod as the burst Deployment would create it, created in a server-side dry run: the webhooks run, nothing is stored. */
export function injectionInBurst(clusters: Clusters, view: StackView): Promise<Finding> {
  const link = "sidecar injection in burst (a worker pod, server-side dry run)";
  const fix =
    "the burst API server calls istiod's injector through the primary's east-west gateway (eastWestGatewayAddress, port 15017): " +
    "check that the gateway has that address and reaches istiod, that the Endpoints istio-system/istiod in burst name it, and that the burst control plane can reach it " +
    "(on GKE with eastWestExposure internal, switch to public with eastWestSourceRanges if the control plane cannot reach an internal address)";
  return safely(
    link,
    async () => {
      const template = (await clusters.burst.apps.readNamespacedDeployment({ name: NAMES.workerDeployment, namespace: view.namespace })).spec!.template;
      let pod;
      try {
        pod = await clusters.burst.core.createNamespacedPod({
          namespace: view.namespace,
          dryRun: "All",
          body: { apiVersion: "v1", kind: "Pod", metadata: { generateName: "doctor-injection-", namespace: view.namespace, labels: template.metadata?.labels, annotations: template.metadata?.annotations }, spec: template.spec! },
        });
      } catch (err) {
        return { link, ok: false, detail: `the dry run failed: ${errorText(err)}`, fix };
      }
      const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
      if (names.includes("istio-proxy")) return { link, ok: true, detail: `the pod comes back with istio-proxy (containers: ${names.join(", ")})` };
      return {
        link,
        ok: false,
        detail: `the pod came back without istio-proxy (containers: ${names.join(", ")}): no injector matched it`,
        fix: `check the label istio-injection=enabled on namespace ${view.namespace} in burst and the MutatingWebhookConfiguration istio-sidecar-injector there`,
      };
    },
    fix,
  );
}

/** istiod in the primary watches burst with the remote secret's kubeconfig: it must be able to list pods there. */
export function remoteSecretReadsBurst(clusters: Clusters, view: StackView): Promise<Finding> {
  const link = "istiod's remote secret can list pods in burst";
  return safely(
    link,
    async () => {
      const [namespace, name] = view.remoteSecretName.split("/");
      const secret = await clusters.primary.core.readNamespacedSecret({ name, namespace });
      const key = Object.keys(secret.data ?? {})[0];
      const reader = await kubeFrom(await secretText(clusters.primary, namespace, name, key));
      try {
        const pods = await reader.core.listNamespacedPod({ namespace: view.namespace });
        return { link, ok: true, detail: `${pods.items.length} pods in ${view.namespace}, read as ${reader.config.getCurrentCluster()?.server}` };
      } catch (err) {
        const status = statusOf(err);
        const fix =
          status === 401
            ? "its token is not valid there any more: re-create the token Secret istio-system/istio-reader-service-account-token in burst (pulumi up --replace on it)"
            : status === 403
              ? "the reader's ClusterRole (from Istio's remote profile) does not allow it: check the istiod release in burst"
              : `istiod reaches the burst API server at this address from the primary's pods: it must be reachable from there`;
        return { link, ok: false, detail: errorText(err), fix };
      }
    },
    "read the Secret as the operator: pulumi stack output remoteSecretName names it",
  );
}

/** The Lease the watchers elect their leader on, as their Deployment names it (LEASE_NAME); undefined for a single watcher. */
async function watcherLease(clusters: Clusters, namespace: string): Promise<string | undefined> {
  const deployment = await clusters.primary.apps.readNamespacedDeployment({ name: NAMES.watcher, namespace });
  return deployment.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === WIRING_ENV.leaseName)?.value;
}

/** The watcher may move the weights and scale the burst pool (and hold its Lease), and nothing more, each asked with its own token. */
export function watcherAccess(clusters: Clusters, view: StackView): Promise<Finding> {
  const link = "the watcher may patch the VirtualService and scale the burst Deployment, and nothing more";
  return safely(
    link,
    async () => {
      const primary = await serviceAccountKubeconfig(clusters.primary, view.namespace, NAMES.watcher);
      const burst = await secretText(clusters.primary, view.namespace, BURST_KUBECONFIG_SECRET, BURST_KUBECONFIG_KEY);
      const watcher = watcherCases(view.namespace, NAMES.workerVirtualService, await watcherLease(clusters, view.namespace));
      const scaler = scalerCases(view.namespace, NAMES.workerDeployment);
      const wrong = [...(await checkAccess("the watcher (primary)", primary, watcher)), ...(await checkAccess("its scaler (burst)", burst, scaler))];
      if (wrong.length === 0) return { link, ok: true, detail: `${watcher.length + scaler.length} permissions as expected, asked with its own tokens` };
      return { link, ok: false, detail: wrong.join("; "), fix: "its Roles (istio-watcher in primary, istio-watcher-scaler in burst) differ from what the stack defines: pulumi up --refresh puts them back" };
    },
    "the operator's kubeconfig must be allowed to request a token for the watcher's ServiceAccount and read its Secret",
  );
}

export function eastWestGatewayHasAddress(clusters: Clusters, view: StackView): Promise<Finding> {
  const link = "the primary's east-west gateway has its address";
  return safely(
    link,
    async () => {
      const service = await clusters.primary.core.readNamespacedService({ name: EAST_WEST_RELEASE, namespace: ISTIO_NAMESPACE });
      const ingress = service.status?.loadBalancer?.ingress?.[0];
      const address = ingress?.ip ?? ingress?.hostname;
      const fix = "kubectl -n istio-system describe service istio-eastwestgateway in the primary shows why the load balancer has no (or another) address";
      if (!address) return { link, ok: false, detail: "its load balancer has no address yet", fix };
      if (view.eastWestGatewayAddress && address !== view.eastWestGatewayAddress)
        return { link, ok: false, detail: `its load balancer has ${address}, but burst is told ${view.eastWestGatewayAddress} (remotePilotAddress)`, fix };
      return { link, ok: true, detail: address };
    },
    "the Service istio-system/istio-eastwestgateway in the primary must exist",
  );
}

/** The frontend answers, and reads the watcher's /status through the mesh (as the page does). */
export async function frontendAndWatcher(view: StackView): Promise<Finding[]> {
  const frontend = "the frontend answers";
  const watcher = "the watcher's /status is ok (as the frontend reads it through the mesh)";
  const url = `${view.frontendUrl.replace(/\/+$/, "")}/api/routing`;
  let answer: RoutingState;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    answer = (await res.json()) as typeof answer;
  } catch (err) {
    const fix = "the frontend is reached through the ingress gateway (frontendUrl): check its load balancer and the frontend Deployment in the primary";
    return [
      { link: frontend, ok: false, detail: `GET ${url}: ${errorText(err)}`, fix },
      { link: watcher, ok: false, detail: "not checked: the frontend does not answer" },
    ];
  }
  const ok = answer.watcher === "ok";
  return [
    { link: frontend, ok: true, detail: url },
    {
      link: watcher,
      ok,
      detail: answer.watcher === "ok" ? `phase ${answer.phase ?? "not read yet"}, weights ${answer.weights ? `${answer.weights.primary}/${answer.weights.burst}` : "not read yet"}` : `${answer.watcher}: ${answer.error}`,
      fix: ok ? undefined : "check the watcher Deployment istio-watcher in the primary (its logs name the failing part) and the AuthorizationPolicy istio-watcher, which lets only the frontend read /status",
    },
  ];
}
