/** The kubeconfig texts the project writes (packages/contract/src/kubeconfig-text.ts): the remote secret's shape, self-contained. */
import { kubeconfigText, tokenKubeconfig } from "../../packages/contract/src";

describe("kubeconfig texts", () => {
  it("with a token: one cluster, context and user, all named after the cluster, as istioctl create-remote-secret writes it", () => {
    expect(JSON.parse(tokenKubeconfig("burst", "https://34.4.5.6", "Q0E=", "t0ken"))).toEqual({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "burst", cluster: { server: "https://34.4.5.6", "certificate-authority-data": "Q0E=" } }],
      contexts: [{ name: "burst", context: { cluster: "burst", user: "burst" } }],
      "current-context": "burst",
      preferences: {},
      users: [{ name: "burst", user: { token: "t0ken" } }],
    });
  });

  it("with a client certificate, and without a CA (the reader trusts its system roots)", () => {
    const config = JSON.parse(kubeconfigText("primary", "https://127.0.0.1:6443", "", { certificateData: "Q0VSVA==", keyData: "S0VZ" }));
    expect(config.clusters).toEqual([{ name: "primary", cluster: { server: "https://127.0.0.1:6443" } }]);
    expect(config.users).toEqual([{ name: "primary", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }]);
  });
});
