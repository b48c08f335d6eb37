/** A ServiceAccount and what it may do in its namespace: the Role and the RoleBinding between them. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** The three objects, named `<name>-sa`, `<name>-role` and `<name>-rolebinding`, under one metadata. */
export interface AccountWithRole {
  serviceAccount: k8s.core.v1.ServiceAccount;
  role: k8s.rbac.v1.Role;
  roleBinding: k8s.rbac.v1.RoleBinding;
}

/**
 * A ServiceAccount, a Role with these rules and the RoleBinding that gives the one to the other, all
 * with the same metadata (name, namespace, labels). `automountServiceAccountToken` is set on the
 * account only when given.
 */
export function accountWithRole(
  name: string,
  a: {
    metadata: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
    rules: k8s.types.input.rbac.v1.PolicyRule[];
    automountServiceAccountToken?: boolean;
  },
  opts: { parent: pulumi.Resource; provider: k8s.Provider },
): AccountWithRole {
  const { metadata } = a;
  const automount = a.automountServiceAccountToken === undefined ? {} : { automountServiceAccountToken: a.automountServiceAccountToken };
  const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata, ...automount }, opts);
  const role = new k8s.rbac.v1.Role(`${name}-role`, { metadata, rules: a.rules }, opts);
  const roleBinding = new k8s.rbac.v1.RoleBinding(
    `${name}-rolebinding`,
    {
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: metadata.namespace }],
    },
    opts,
  );
  return { serviceAccount, role, roleBinding };
}
