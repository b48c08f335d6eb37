/**
 * The reading side of `istioctl analyze` (packages/tooling/src/istioctl.ts): the one kubeconfig both
 * clusters are analyzed with, the `-o json` messages, what istioctl said when it failed, and a message
 * printed as istioctl's log format prints it. The run itself is tested through the doctor's link
 * (tests/doctor/istio-analyze.test.ts), against a stand-in istioctl.
 */
import { analyzerLine, istioctlError, mergedKubeconfig, parseAnalyzerMessages } from "../../packages/tooling/src/istioctl";
import { kubeconfigText } from "../../packages/contract/src";

/** A kubeconfig as a user keeps it: YAML, several contexts, the current one a GKE cluster through the auth plugin. */
const USER_KUBECONFIG = `apiVersion: v1
kind: Config
current-context: gke_proj_europe-west1-b_onprem
clusters:
- name: kind-dev
  cluster: {server: "https://127.0.0.1:6443"}
- name: gke_proj_europe-west1-b_onprem
  cluster:
    server: https://10.0.0.2
    certificate-authority-data: Q0E=
contexts:
- name: kind-dev
  context: {cluster: kind-dev, user: kind-dev}
- name: gke_proj_europe-west1-b_onprem
  context: {cluster: gke_proj_europe-west1-b_onprem, user: gke-user, namespace: hashr}
users:
- name: kind-dev
  user: {token: "y"}
- name: gke-user
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: gke-gcloud-auth-plugin, provideClusterInfo: true}
`;

describe("istioctl analyze: the merged kubeconfig", () => {
  it("holds each cluster's current context, its cluster and user kept as they are, renamed after the side", () => {
    const burst = kubeconfigText("burst-cluster", "https://34.4.5.6", "Q0I=", { token: "t" });
    const merged = JSON.parse(mergedKubeconfig({ primary: USER_KUBECONFIG, burst }));
    expect(merged).toEqual({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "primary", cluster: { server: "https://10.0.0.2", "certificate-authority-data": "Q0E=" } },
        { name: "burst", cluster: { server: "https://34.4.5.6", "certificate-authority-data": "Q0I=" } },
      ],
      users: [
        { name: "primary", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin", provideClusterInfo: true } } },
        { name: "burst", user: { token: "t" } },
      ],
      contexts: [
        { name: "primary", context: { cluster: "primary", user: "primary" } },
        { name: "burst", context: { cluster: "burst", user: "burst" } },
      ],
      "current-context": "primary",
    });
  });

  it.each([
    ["a current context naming a missing user", USER_KUBECONFIG.replace("user: gke-user,", "user: nobody,"), "the primary kubeconfig has no user nobody for its current context"],
    ["several clusters and no current context", USER_KUBECONFIG.replace(/^current-context: .*\n/m, ""), "the primary kubeconfig has no cluster for its current context"],
    ["nothing at all", "", "the primary kubeconfig has no cluster for its current context"],
  ])("names what is missing: %s", (_case, text, message) => {
    expect(() => mergedKubeconfig({ primary: text })).toThrow(message);
  });
});

describe("istioctl analyze: its -o json messages", () => {
  const MESSAGE = { code: "IST0101", documentationUrl: "https://istio.io/v1.31/docs/reference/config/analysis/ist0101/?ref=istioctl-analyze", level: "Error", message: 'Referenced gateway not found: "missing-gateway"' };

  it.each<[string, string, object[]]>([
    ["none", "[]\n", []],
    ["none, as null", "null\n", []],
    ["none, nothing printed", "", []],
    ["one from a file (origin and reference, no cluster)", JSON.stringify([{ ...MESSAGE, origin: "VirtualService hashr/frontend", reference: "vs.yaml:8" }], null, "\t"), [{ code: "IST0101", level: "Error", message: MESSAGE.message, origin: "VirtualService hashr/frontend" }]],
    ["one from a cluster of two", JSON.stringify([{ ...MESSAGE, cluster: "burst", origin: "VirtualService hashr/frontend" }]), [{ code: "IST0101", level: "Error", message: MESSAGE.message, origin: "VirtualService hashr/frontend", cluster: "burst" }]],
    ["one about no object", JSON.stringify([{ ...MESSAGE, code: "IST0151", level: "Info" }]), [{ code: "IST0151", level: "Info", message: MESSAGE.message }]],
  ])("reads %s", (_case, stdout, expected) => {
    expect(parseAnalyzerMessages(stdout)).toEqual(expected);
  });

  it.each([
    ["the log format", "Error [IST0101] (VirtualService hashr/frontend) Referenced gateway not found", /printed no JSON: "Error \[IST0101\]/],
    ["JSON that is not its messages", '{"code": "IST0101"}', /printed no list of messages/],
    ["a message without its level", '[{"code": "IST0101", "message": "x"}]', /printed no list of messages/],
  ])("refuses %s, quoting it", (_case, stdout, message) => {
    expect(() => parseAnalyzerMessages(stdout)).toThrow(message);
  });

  it("prints a message as istioctl's log format does", () => {
    expect(analyzerLine({ code: "IST0170", level: "Warning", message: "The service istiod ...", origin: "Service istio-system/istiod", cluster: "burst" })).toBe(
      "Warning [IST0170] [cluster-burst] (Service istio-system/istiod) The service istiod ...",
    );
    expect(analyzerLine({ code: "IST0101", level: "Error", message: "Referenced gateway not found", origin: "VirtualService hashr/frontend" })).toBe("Error [IST0101] (VirtualService hashr/frontend) Referenced gateway not found");
  });

  it("takes istioctl's Error lines from what it said when it failed, else its last line", () => {
    expect(istioctlError('2026-09-01T10:00:00Z\twarn\tsomething\nError: context "burst" not found\n')).toBe('Error: context "burst" not found');
    expect(istioctlError("first\nlast\n")).toBe("last");
    expect(istioctlError("")).toBe("(nothing on stderr)");
  });
});
