import { READER_TOKEN, b64, freshMocks, isSecret, isSecretInput, plain, providerName, settleAll, valueOf, programRun } from "../helpers/pulumi";

const SECRET = "kubernetes:core/v1:Secret";

describe("remote secret (whole program)", () => {
  const run = programRun();

  it("creates a service-account-token Secret for istio-reader-service-account in burst, after the remote install", () => {
    const token = run.mocks.get(SECRET, "remote-secret-reader-token");
    expect(providerName(token.provider)).toBe("burst-k8s");
    expect(token.inputs.type).toBe("kubernetes.io/service-account-token");
    expect(token.inputs.metadata).toEqual({
      name: "istio-reader-service-account-token",
      namespace: "istio-system",
      annotations: { "kubernetes.io/service-account.name": "istio-reader-service-account" },
    });
  });

  it("reads the token Secret back from burst once created (the token controller fills it in later)", () => {
    const read = run.mocks.get(SECRET, "remote-secret-reader-token-read");
    expect(providerName(read.provider)).toBe("burst-k8s");
    const order = run.mocks.resources.map((r) => r.name);
    expect(order.indexOf("remote-secret-reader-token-read")).toBeGreaterThan(order.indexOf("remote-secret-reader-token"));
    expect(order.indexOf("remote-secret-reader-token")).toBeGreaterThan(order.indexOf("istio-remote-istiod"));
  });

  it("creates istio-remote-secret-burst in primary with the multicluster label, cluster annotation and key burst", () => {
    const s = run.mocks.get(SECRET, "remote-secret-remote-secret");
    expect(providerName(s.provider)).toBe("primary-k8s");
    expect(s.inputs.metadata).toEqual({
      name: "istio-remote-secret-burst",
      namespace: "istio-system",
      labels: { "istio/multiCluster": "true" },
      annotations: { "networking.istio.io/cluster": "burst" },
    });
    expect(Object.keys(plain(s.inputs.stringData))).toEqual(["burst"]);
  });

  it("key burst is a kubeconfig with burst's server, CA and the reader token, passed as a secret", () => {
    const s = run.mocks.get(SECRET, "remote-secret-remote-secret");
    expect(isSecretInput(s.inputs.stringData) || isSecretInput(s.inputs.stringData?.burst)).toBe(true);
    const kc = JSON.parse(plain(s.inputs.stringData).burst);
    expect(kc["current-context"]).toBe("burst");
    expect(kc.clusters).toEqual([{ name: "burst", cluster: { server: "https://203.0.113.2", "certificate-authority-data": b64("ca-of-burst") } }]);
    expect(kc.users).toEqual([{ name: "burst", user: { token: READER_TOKEN } }]);
    expect(kc.contexts).toEqual([{ name: "burst", context: { cluster: "burst", user: "burst" } }]);
  });

  it("exports the secret's name", async () => {
    expect(await valueOf(run.program.remoteSecretName)).toBe("istio-system/istio-remote-secret-burst");
  });
});

describe("RemoteSecret component", () => {
  async function make() {
    const mocks = freshMocks();
    const k8s = await import("@pulumi/kubernetes");
    const { RemoteSecret } = (require("../../istio/remote-secret") as typeof import("../../istio/remote-secret"));
    const remoteProvider = new k8s.Provider("burst-k8s", { kubeconfig: "{}" });
    const primaryProvider = new k8s.Provider("primary-k8s", { kubeconfig: "{}" });
    const rs = new RemoteSecret("rs", {
      remoteProvider,
      primaryProvider,
      remoteClusterName: "cloud-2",
      server: "198.51.100.7",
      caCertificate: b64("ca"),
      readerReady: [],
      primaryNamespace: "istio-system",
    });
    return { mocks, rs };
  }

  it("its kubeconfig output is a secret", async () => {
    const { rs } = await make();
    expect(await isSecret(rs.kubeconfig)).toBe(true);
    const kubeconfig = JSON.parse(await valueOf(rs.kubeconfig));
    expect(kubeconfig.clusters[0]).toEqual({ name: "cloud-2", cluster: { server: "https://198.51.100.7", "certificate-authority-data": b64("ca") } });
    expect(await valueOf(rs.secretName)).toBe("istio-system/istio-remote-secret-cloud-2");
    await settleAll();
  });

  it("decodes the token, and fails with a clear message when it was never filled in", async () => {
    const { readerToken } = (require("../../istio/remote-secret") as typeof import("../../istio/remote-secret"));
    expect(readerToken({ token: b64("abc") }, "burst", false)).toBe("abc");
    expect(readerToken(undefined, "burst", true)).toBe("");
    expect(() => readerToken({}, "burst", false)).toThrow(
      /istio-system\/istio-reader-service-account-token in the burst cluster has no token yet/,
    );
  });
});
