// The Kubernetes provider plugin (pulumi-resource-kubernetes) the end-to-end tests run. Its module
// has no release tags, so it is pinned by pseudo-version: this commit is the provider's v4.25.0
// release, the newest the module proxy serves. In its own repository the provider replaces its Go
// SDK with a folder; built from the module cache it takes that release's SDK module instead.
// Built by e2e/tools/build.sh, which copies the module out of the module cache and generates the
// schema files its main package embeds.
module istio-burst/e2e/tools/provider

go 1.24.7

require (
	github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199 // release v4.25.0
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.25.0
)
