/**
 * The certificates of a local control plane, made with the openssl command line: a CA per cluster,
 * the API server's serving certificate (for 127.0.0.1, localhost and the in-cluster names), an
 * administrator's client certificate (group system:masters), and the service-account signing key.
 * ECDSA P-256 throughout: quick to make, and every component accepts it.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kubeconfigText } from "../../packages/contract/src";
import { requireProgram } from "../../packages/tooling/src/processes";

export interface ControlPlanePki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  /** service-account token signing key (private) and its public half */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync(requireProgram("openssl", "openssl"), args, { cwd, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr.trim()}`);
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A key and a certificate signed by the CA in `dir`, with the given subject and extensions. */
function signed(dir: string, name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(["req", "-new", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
  openssl(
    ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "7", "-out", `${name}.crt`, "-extfile", `${name}.ext`],
    dir,
  );
}

/** A CA in `dir` and a serving certificate for `names` (DNS names) signed by it: `ca.crt`, `<name>.crt`, `<name>.key`. */
export function makeServingPki(dir: string, name: string, names: string[]): { caCert: string; cert: string; key: string } {
  openssl(["req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "7", "-subj", `/CN=istio-burst-e2e-${name}-ca`], dir);
  signed(dir, name, `/CN=${names[0]}`, `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`);
  return { caCert: join(dir, "ca.crt"), cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * Writes the PKI of cluster `name` into `dir`. `serviceIp` is the first address of the service range
 * (the in-cluster `kubernetes` Service), which the serving certificate must name.
 */
export function makeControlPlanePki(dir: string, name: string, serviceIp: string): ControlPlanePki {
  openssl(["req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "7", "-subj", `/CN=istio-burst-e2e-${name}-ca`], dir);
  const names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
  signed(
    dir,
    "apiserver",
    `/CN=kube-apiserver`,
    `subjectAltName=${[...names.map((n) => `DNS:${n}`), "IP:127.0.0.1", `IP:${serviceIp}`].join(",")}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`,
  );
  signed(dir, "admin", "/O=system:masters/CN=istio-burst-e2e-admin", "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n");
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "sa.key"], dir);
  openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  const at = (file: string) => join(dir, file);
  return {
    dir,
    caCert: at("ca.crt"),
    caKey: at("ca.key"),
    servingCert: at("apiserver.crt"),
    servingKey: at("apiserver.key"),
    adminCert: at("admin.crt"),
    adminKey: at("admin.key"),
    serviceAccountKey: at("sa.key"),
    serviceAccountPub: at("sa.pub"),
  };
}

/** The administrator's kubeconfig of a control plane. */
export function adminKubeconfig(cluster: string, server: string, pki: ControlPlanePki): string {
  const read = (f: string) => readFileSync(f, "utf8");
  const b64 = (f: string) => Buffer.from(read(f), "utf8").toString("base64");
  return kubeconfigText(cluster, server, b64(pki.caCert), { certificateData: b64(pki.adminCert), keyData: b64(pki.adminKey) });
}
