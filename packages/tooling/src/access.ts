/**
 * What each of the stack's identities may do, asked of the real API servers with its real token
 * (SelfSubjectAccessReview, as the identity itself): the watcher in the primary, its scaler in burst
 * (the kubeconfig the stack stores for it), and istiod's reader in burst (the remote secret's).
 */
import { kubeFrom } from "./kube";

export interface Access {
  verb: string;
  group?: string;
  resource: string;
  subresource?: string;
  name?: string;
  namespace?: string;
}

export interface AccessCase extends Access {
  allowed: boolean;
}

export const describeAccess = (a: Access) =>
  `${a.verb} ${a.group ? `${a.group}/` : ""}${a.resource}${a.subresource ? `/${a.subresource}` : ""}${a.name ? ` ${a.name}` : ""}${a.namespace ? ` in ${a.namespace}` : " (cluster-wide)"}`;

/** Whether the kubeconfig's identity may do `access`, by its own SelfSubjectAccessReview. */
export async function mayI(kubeconfig: string, access: Access): Promise<boolean> {
  const kube = await kubeFrom(kubeconfig);
  const authz = kube.config.makeApiClient(kube.lib.AuthorizationV1Api);
  const review = await authz.createSelfSubjectAccessReview({
    body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { ...access, group: access.group ?? "" } } },
  });
  return review.status?.allowed === true;
}

/** Every case whose answer is not the expected one, described. */
export async function checkAccess(who: string, kubeconfig: string, cases: AccessCase[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const c of cases) {
    const allowed = await mayI(kubeconfig, c);
    if (allowed !== c.allowed) wrong.push(`${who} ${allowed ? "may" : "may not"} ${describeAccess(c)} (expected ${c.allowed ? "allowed" : "denied"})`);
  }
  return wrong;
}

const VS = { group: "networking.istio.io", resource: "virtualservices" };

/** The watcher in the primary: the worker VirtualService's weights and Events on it, with leader election (`lease`) its Lease, nothing else. */
export function watcherCases(namespace: string, virtualService: string, lease?: string): AccessCase[] {
  const leases = { group: "coordination.k8s.io", resource: "leases", namespace };
  const election: AccessCase[] = lease
    ? [
        { ...leases, verb: "get", name: lease, allowed: true },
        { ...leases, verb: "update", name: lease, allowed: true },
        { ...leases, verb: "create", allowed: true },
        { ...leases, verb: "update", name: "another-lease", allowed: false },
        { ...leases, verb: "delete", name: lease, allowed: false },
        { ...leases, verb: "list", allowed: false },
      ]
    : [{ ...leases, verb: "update", name: "istio-watcher-leader", allowed: false }];
  return [
    ...election,
    { ...VS, verb: "get", name: virtualService, namespace, allowed: true },
    { ...VS, verb: "patch", name: virtualService, namespace, allowed: true },
    { verb: "create", resource: "events", namespace, allowed: true },
    { ...VS, verb: "update", name: virtualService, namespace, allowed: false },
    { ...VS, verb: "delete", name: virtualService, namespace, allowed: false },
    { ...VS, verb: "patch", name: "another-virtual-service", namespace, allowed: false },
    { ...VS, verb: "list", namespace, allowed: false },
    { ...VS, verb: "get", name: virtualService, namespace: "istio-system", allowed: false },
    { group: "networking.istio.io", resource: "destinationrules", verb: "patch", name: "worker-destination-rule", namespace, allowed: false },
    { verb: "get", resource: "secrets", name: "istio-watcher-burst-kubeconfig", namespace, allowed: false },
    { verb: "list", resource: "secrets", namespace, allowed: false },
    { group: "apps", resource: "deployments", verb: "patch", name: "worker-deployment", namespace, allowed: false },
    { group: "apps", resource: "deployments", subresource: "scale", verb: "patch", name: "worker-deployment", namespace, allowed: false },
    { verb: "create", resource: "pods", namespace, allowed: false },
    { verb: "delete", resource: "events", namespace, allowed: false },
  ];
}

/** The watcher's scaler in burst: the scale of the one worker Deployment, and reading that Deployment. */
export function scalerCases(namespace: string, deployment: string): AccessCase[] {
  const apps = { group: "apps", namespace };
  return [
    { ...apps, resource: "deployments", subresource: "scale", verb: "get", name: deployment, allowed: true },
    { ...apps, resource: "deployments", subresource: "scale", verb: "patch", name: deployment, allowed: true },
    { ...apps, resource: "deployments", verb: "get", name: deployment, allowed: true },
    { ...apps, resource: "deployments", subresource: "scale", verb: "update", name: deployment, allowed: false },
    { ...apps, resource: "deployments", verb: "patch", name: deployment, allowed: false },
    { ...apps, resource: "deployments", verb: "delete", name: deployment, allowed: false },
    { ...apps, resource: "deployments", verb: "list", allowed: false },
    { ...apps, resource: "deployments", subresource: "scale", verb: "patch", name: "redis-cache", allowed: false },
    { ...apps, resource: "deployments", verb: "get", name: "another-deployment", allowed: false },
    { group: "apps", resource: "deployments", subresource: "scale", verb: "patch", name: deployment, namespace: "kube-system", allowed: false },
    { verb: "list", resource: "pods", namespace, allowed: false },
    { verb: "get", resource: "secrets", name: "istio-watcher-scaler-token", namespace, allowed: false },
    { verb: "create", resource: "pods", namespace, allowed: false },
    { ...apps, resource: "replicasets", verb: "patch", allowed: false },
  ];
}

/**
 * istiod's reader in burst (the remote profile's istio-reader-clusterrole): it reads what istiod
 * watches in a remote cluster, may check tokens and access, and in the remote profile writes only what
 * istiod keeps there (its root-certificate ConfigMaps, its webhooks' CA bundles); nothing else.
 */
export function readerCases(): AccessCase[] {
  const read = ["list", "watch"].flatMap((verb) =>
    [
      { resource: "pods" },
      { resource: "services" },
      { resource: "endpoints" },
      { resource: "namespaces" },
      { resource: "nodes" },
      { resource: "secrets" },
      { group: "discovery.k8s.io", resource: "endpointslices" },
      { group: "networking.istio.io", resource: "virtualservices" },
      { group: "networking.istio.io", resource: "workloadentries" },
      { group: "apps", resource: "replicasets" },
    ].map((r) => ({ ...r, verb, allowed: true })),
  );
  const reviews: AccessCase[] = [
    { group: "authentication.k8s.io", resource: "tokenreviews", verb: "create", allowed: true },
    { group: "authorization.k8s.io", resource: "subjectaccessreviews", verb: "create", allowed: true },
  ];
  const remoteProfileWrites: AccessCase[] = [
    { resource: "configmaps", verb: "create", namespace: "default", allowed: true },
    { resource: "configmaps", verb: "update", namespace: "default", allowed: true },
    { group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations", verb: "patch", allowed: true },
    { group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", verb: "update", allowed: true },
  ];
  const writes: AccessCase[] = [
    ...["create", "update", "patch", "delete"].flatMap((verb) =>
      [
        { resource: "pods", namespace: "default" },
        { resource: "services", namespace: "default" },
        { resource: "secrets", namespace: "istio-system" },
        { resource: "namespaces" },
        { resource: "serviceaccounts", namespace: "istio-system" },
        { group: "apps", resource: "deployments", namespace: "default" },
        { group: "networking.istio.io", resource: "virtualservices", namespace: "default" },
        { group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" },
        { group: "rbac.authorization.k8s.io", resource: "roles", namespace: "istio-system" },
        { group: "apiextensions.k8s.io", resource: "customresourcedefinitions" },
      ].map((r) => ({ ...r, verb, allowed: false })),
    ),
    { group: "apps", resource: "deployments", subresource: "scale", verb: "patch", name: "worker-deployment", namespace: "default", allowed: false },
    { resource: "pods", subresource: "exec", verb: "create", namespace: "default", allowed: false },
    { resource: "configmaps", verb: "delete", namespace: "default", allowed: false },
    { group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations", verb: "delete", allowed: false },
    { group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations", verb: "create", allowed: false },
  ];
  return [...read, ...reviews, ...remoteProfileWrites, ...writes];
}
