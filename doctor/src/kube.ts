/** The Kubernetes client helpers, now in packages/tooling: what e2e/tests/ still imports by this path (until its imports move there). */
export * from "../../packages/tooling/src/kube";
