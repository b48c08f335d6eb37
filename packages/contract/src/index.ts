/**
 * The contract between the parts of istio-burst, defined once: the stack imports it by source path,
 * the services, the watcher, local mode and the tooling package by package name. No dependencies.
 */
export * from "./names";
export * from "./duration";
export * from "./weights";
export * from "./decisions";
export * from "./queries";
export * from "./watcher-settings";
export * from "./policy";
export * from "./cost";
export * from "./status";
export * from "./routing";
export * from "./wiring";
export * from "./kubeconfig-text";
