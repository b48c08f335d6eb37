import * as pulumi from "@pulumi/pulumi";

/** An exec-credential kubeconfig for a GKE cluster (kubectl and the k8s provider run `gke-gcloud-auth-plugin`). */
export function gkeKubeconfig(args: { name: pulumi.Input<string>; endpoint: pulumi.Input<string>; caCertificate: pulumi.Input<string> }): pulumi.Output<string> {
  return pulumi.all([args.name, args.endpoint, args.caCertificate]).apply(([name, endpoint, ca]) =>
    JSON.stringify(
      {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server: `https://${endpoint}`, "certificate-authority-data": ca } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        users: [
          {
            name,
            user: {
              exec: {
                apiVersion: "client.authentication.k8s.io/v1beta1",
                command: "gke-gcloud-auth-plugin",
                installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                provideClusterInfo: true,
                interactiveMode: "Never",
              },
            },
          },
        ],
      },
      null,
      2,
    ),
  );
}
