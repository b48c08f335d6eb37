/**
 * BurstScalerAccess (watcher/stack/burst-access.ts) on its own: what the watcher's scaler may do in the
 * burst cluster, its token and kubeconfig, and the alias that keeps the objects of a stack made when
 * the component lived in apps/.
 */
import { SCALER_TOKEN, b64, freshMocks, isSecret, isSecretInput, plain, providerName, settleAll, valueOf } from "../../helpers/pulumi";

async function makeAccess(overrides: { sameProvider?: boolean } = {}) {
  const mocks = freshMocks();
  const k8s = await import("@pulumi/kubernetes");
  const { BurstScalerAccess } = require("../../../watcher/stack/burst-access") as typeof import("../../../watcher/stack/burst-access");
  const burstProvider = new k8s.Provider("burst-k8s", { kubeconfig: "{}" });
  const primaryProvider = overrides.sameProvider ? burstProvider : new k8s.Provider("primary-k8s", { kubeconfig: "{}" });
  const access = new BurstScalerAccess("burst-scaler", {
    burstProvider,
    primaryProvider,
    burstNamespace: "hashr",
    primaryNamespace: "hashr",
    clusterName: "burst",
    server: "198.51.100.9",
    caCertificate: b64("ca-of-burst"),
  });
  await settleAll();
  return { mocks, access };
}

describe("BurstScalerAccess", () => {
  it("lets its ServiceAccount get and patch the scale of worker-deployment and get that Deployment, nothing else", async () => {
    const { mocks } = await makeAccess();
    const role = mocks.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "burst-scaler-role");
    expect(providerName(role.provider)).toBe("burst-k8s");
    expect(role.inputs.metadata).toMatchObject({ name: "istio-watcher-scaler", namespace: "hashr" });
    expect(role.inputs.rules).toEqual([
      { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: ["worker-deployment"], verbs: ["get", "patch"] },
      { apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["worker-deployment"], verbs: ["get"] },
    ]);
    const binding = mocks.get("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "burst-scaler-rolebinding");
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "istio-watcher-scaler", namespace: "hashr" }]);
    expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "istio-watcher-scaler" });
    const account = mocks.get("kubernetes:core/v1:ServiceAccount", "burst-scaler-sa");
    expect(account.inputs.automountServiceAccountToken).toBe(false);
  });

  it("creates the account's token Secret in burst and reads it back after creation", async () => {
    const { mocks } = await makeAccess();
    const token = mocks.get("kubernetes:core/v1:Secret", "burst-scaler-token");
    expect(providerName(token.provider)).toBe("burst-k8s");
    expect(token.inputs.type).toBe("kubernetes.io/service-account-token");
    expect(token.inputs.metadata).toEqual({
      name: "istio-watcher-scaler-token",
      namespace: "hashr",
      labels: { app: "istio-watcher" },
      annotations: { "kubernetes.io/service-account.name": "istio-watcher-scaler" },
    });
    const order = mocks.resources.map((r) => r.name);
    expect(order.indexOf("burst-scaler-token-read")).toBeGreaterThan(order.indexOf("burst-scaler-token"));
    expect(order.indexOf("burst-scaler-token")).toBeGreaterThan(order.indexOf("burst-scaler-sa"));
  });

  it("stores a token kubeconfig for the burst API server in primary, as a secret only", async () => {
    const { mocks, access } = await makeAccess();
    expect(await isSecret(access.kubeconfig)).toBe(true);
    const secret = mocks.get("kubernetes:core/v1:Secret", "burst-scaler-kubeconfig");
    expect(providerName(secret.provider)).toBe("primary-k8s");
    expect(secret.inputs.metadata).toEqual({ name: "istio-watcher-burst-kubeconfig", namespace: "hashr", labels: { app: "istio-watcher" } });
    expect(isSecretInput(secret.inputs.stringData) || isSecretInput(secret.inputs.stringData?.kubeconfig)).toBe(true);
    const kubeconfig = JSON.parse(plain(secret.inputs.stringData).kubeconfig);
    expect(kubeconfig.clusters).toEqual([{ name: "burst", cluster: { server: "https://198.51.100.9", "certificate-authority-data": b64("ca-of-burst") } }]);
    expect(kubeconfig.users).toEqual([{ name: "burst", user: { token: SCALER_TOKEN } }]);
    expect(await valueOf(access.secretName)).toBe("istio-watcher-burst-kubeconfig");
  });

  it("keeps the objects of a stack made when it was apps' component: an alias of its former type", async () => {
    const { mocks } = await makeAccess();
    const component = mocks.get("istio-burst:watcher:BurstScalerAccess", "burst-scaler");
    expect(component.aliases).toEqual([{ type: "istio-burst:apps:BurstScalerAccess" }]);
  });

  it("refuses one provider for both clusters", async () => {
    await expect(makeAccess({ sameProvider: true })).rejects.toThrow(/burstProvider must be the burst cluster's provider/);
  });
});
