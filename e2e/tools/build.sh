#!/usr/bin/env bash
# Builds the tools of the end-to-end tests from the pinned Go modules beside this script, once per
# machine, into a cache folder outside the checkout (keyed by the modules and BUILD_FORMAT, so a change
# of version builds afresh and an unchanged set is reused by every checkout):
#   pulumi                      the Pulumi CLI, at the @pulumi/pulumi version of package.json (pulumi/go.mod)
#   pulumi-resource-kubernetes  the Kubernetes provider plugin (provider/go.mod)
#   pulumi-language-nodejs      the Node.js language host that runs the program (nodejs/go.mod)
#   kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok   (kube/go.mod)
#   pilot-discovery, istioctl   istiod and istioctl at the pinned charts' commit (istio/go.mod)
#   ads-probe                   asks istiod for what a named pod's sidecar gets (ads-probe/, ours)
# Everything comes from the Go module proxy; nothing is downloaded from anywhere else.
#
#   bash e2e/tools/build.sh          build what is missing, then print each tool's version, build time and size
#   bash e2e/tools/build.sh --dir    print the folder the tools are (or will be) in, build nothing
#
# ISTIO_BURST_TOOLS_DIR moves the cache (default: $XDG_CACHE_HOME or ~/.cache, then istio-burst/tools).
# Each tools module's binaries are also kept under store/, keyed by that module alone, so a change to
# one module rebuilds its own tools and no others.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Raise when the way a tool is built changes (flags, steps); the versions are in the go.mod files.
BUILD_FORMAT=2
# A tools module's key: its go.mod, go.sum and any Go source of its own, with BUILD_FORMAT.
module_key() {
  (cd "$here" && find "$@" -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) | LC_ALL=C sort |
    xargs cat; echo "$BUILD_FORMAT") | sha256sum | cut -c1-16
}
modules=$(cd "$here" && ls -d */ | tr -d /)
# shellcheck disable=SC2086
key=$(module_key $modules)
root="${ISTIO_BURST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-burst/tools}"
out="$root/$key"
bin="$out/bin"
meta="$out/meta"

if [[ "${1:-}" == "--dir" ]]; then
  echo "$out"
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "usage: bash e2e/tools/build.sh [--dir]" >&2
  exit 2
fi

fail() {
  echo "e2e tools: $*" >&2
  exit 1
}
command -v go >/dev/null || fail "Go is not installed: the tools are built from Go modules with Go 1.26 or newer (the kube module's go line)"
go_minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
[[ -n "$go_minor" && "$go_minor" -ge 26 ]] || fail "$(go env GOVERSION) is too old: the kube module needs Go 1.26 or newer"

# The machine's own Go, static binaries, no VCS stamping (the sources come from the module cache).
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
mkdir -p "$bin" "$meta"

# The version a tools module requires of a module, as go.mod pins it (vX.Y.Z).
pinned() { (cd "$here/$1" && go list -m -f '{{.Version}}' "$2"); }

# build MODULE NAME VERSION COMMAND...: unless NAME is already in bin/, takes it from MODULE's store or
# runs COMMAND, which writes the binary to $target; records the build time beside it.
build() {
  local module=$1 name=$2 version=$3
  shift 3
  if [[ -x "$bin/$name" && -f "$meta/$name" ]]; then return 0; fi
  local store
  store="$root/store/$module-$(module_key "$module")"
  mkdir -p "$store"
  if [[ ! -x "$store/$name" || ! -f "$store/$name.meta" ]]; then
    echo "e2e tools: building $name $version ..." >&2
    local start end
    start=$(date +%s.%N)
    target="$store/$name.tmp" "$@"
    end=$(date +%s.%N)
    [[ -x "$store/$name.tmp" ]] || fail "$name: the build reported success but wrote no binary"
    mv "$store/$name.tmp" "$store/$name"
    awk -v v="$version" -v a="$start" -v b="$end" 'BEGIN { printf "%s %.1f\n", v, b - a }' >"$store/$name.meta"
  fi
  ln -f "$store/$name" "$bin/$name" 2>/dev/null || cp "$store/$name" "$bin/$name"
  cp "$store/$name.meta" "$meta/$name"
}

# --- the Pulumi CLI -------------------------------------------------------------------------------
pulumi_version=$(pinned pulumi github.com/pulumi/pulumi/pkg/v3)
npm_pulumi=$(sed -n 's/.*"@pulumi\/pulumi": "\([^"]*\)".*/\1/p' "$here/../../package.json")
[[ "v$npm_pulumi" == "$pulumi_version" ]] ||
  fail "pulumi/go.mod pins pkg/v3 $pulumi_version but package.json pins @pulumi/pulumi $npm_pulumi: the CLI must be the SDK's version"
build_pulumi() {
  (cd "$here/pulumi" && go build -trimpath -o "$target" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}
build pulumi pulumi "${pulumi_version#v}" build_pulumi

# --- the Node.js language host ----------------------------------------------------------------------
# The newest release that carries it inside the sdk module is v3.68.0 (from v3.69.0 on it is a module of
# its own, which the module proxy does not serve). The CLI finds it on PATH beside itself.
nodejs_version=$(pinned nodejs github.com/pulumi/pulumi/sdk/v3)
build_nodejs() {
  (cd "$here/nodejs" && go build -trimpath -o "$target" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$nodejs_version" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
}
build nodejs pulumi-language-nodejs "${nodejs_version#v}" build_nodejs

# --- the Kubernetes provider plugin ----------------------------------------------------------------
provider_module=github.com/pulumi/pulumi-kubernetes/provider/v4
provider_release=$(sed -n 's#.*provider/v4 v[^ ]* // release v\([0-9.]*\).*#\1#p' "$here/provider/go.mod")
[[ -n "$provider_release" ]] || fail "provider/go.mod must say which release its pseudo-version is (// release vX.Y.Z)"
build_provider() {
  local src="$out/src/provider" dir sdk
  dir=$(cd "$here/provider" && go mod download -json "$provider_module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$dir" ]] || fail "go mod download $provider_module gave no folder"
  sdk=$(pinned provider github.com/pulumi/pulumi-kubernetes/sdk/v4)
  rm -rf "$src" && mkdir -p "$out/src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
  (
    cd "$src"
    go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdk"
    # The main package embeds schema-embed.json and terraform-mapping-embed.json, which the module
    # does not hold: its own go:generate step writes them (the schema stamped with the version).
    (cd cmd/pulumi-resource-kubernetes && VERSION="$provider_release" go generate ./...)
    go build -mod=mod -trimpath -o "$target" \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$provider_release" \
      ./cmd/pulumi-resource-kubernetes
  )
  rm -rf "$src"
}
build provider pulumi-resource-kubernetes "$provider_release" build_provider

# --- the control plane: one Kubernetes release, etcd, kwok -----------------------------------------
kube_version=$(pinned kube k8s.io/kubernetes)
kube_minor=$(echo "$kube_version" | cut -d. -f2)
kube_ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1"
kube_ldflags+=" -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean"
for component in kube-apiserver kube-controller-manager kube-scheduler; do
  build kube "$component" "${kube_version#v}" \
    bash -c "cd '$here/kube' && go build -trimpath -o \"\$target\" -ldflags '$kube_ldflags' k8s.io/kubernetes/cmd/$component"
done
etcd_version=$(pinned kube go.etcd.io/etcd/server/v3)
build kube etcd "${etcd_version#v}" bash -c "cd '$here/kube' && go build -trimpath -o \"\$target\" -ldflags '-s -w' go.etcd.io/etcd/server/v3"
kwok_version=$(pinned kube sigs.k8s.io/kwok)
build kube kwok "${kwok_version#v}" bash -c "cd '$here/kube' && go build -trimpath -o \"\$target\" -ldflags '-s -w' sigs.k8s.io/kwok/cmd/kwok"
# kwok does nothing without stages; its module ships the ones kwokctl uses by default (nodes become
# Ready and keep a heartbeat with a Lease; pods become Ready, complete and go on deletion).
if [[ ! -s "$out/kwok-stages.yaml" ]]; then
  kwok_dir=$(cd "$here/kube" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    cat "$kwok_dir/kustomize/stage/$stage.yaml"
    echo "---"
  done >"$out/kwok-stages.yaml.tmp"
  mv "$out/kwok-stages.yaml.tmp" "$out/kwok-stages.yaml"
fi

# --- istiod and istioctl -----------------------------------------------------------------------------
# From istio.io/istio at the commit whose charts the tests render (the module proxy serves it as a
# pseudo-version only). Stamped as Istio stamps a build from its release branch: VERSION-dev.
istio_module=$(pinned istio istio.io/istio)
istio_dir=$(cd "$here/istio" && go mod download -json istio.io/istio | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -f "$istio_dir/VERSION" ]] || fail "go mod download istio.io/istio gave no folder with a VERSION file"
istio_version="$(cat "$istio_dir/VERSION")-dev"
istio_ldflags="-s -w -X istio.io/istio/pkg/version.buildVersion=$istio_version"
istio_ldflags+=" -X istio.io/istio/pkg/version.buildGitRevision=${istio_module##*-} -X istio.io/istio/pkg/version.buildStatus=Clean"
build_istio() { (cd "$here/istio" && go build -trimpath -o "$target" -ldflags "$istio_ldflags" "$1"); }
build istio pilot-discovery "$istio_version" build_istio istio.io/istio/pilot/cmd/pilot-discovery
build istio istioctl "$istio_version" build_istio istio.io/istio/istioctl/cmd/istioctl
# The probe: our own small xDS client (ads-probe/main.go) on go-control-plane's generated API.
probe_version=$(pinned ads-probe github.com/envoyproxy/go-control-plane/envoy)
build ads-probe ads-probe "go-control-plane-${probe_version#v}" \
  bash -c "cd '$here/ads-probe' && go build -trimpath -o \"\$target\" -ldflags '-s -w' ."

# --- what was built ----------------------------------------------------------------------------------
tools=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes kube-apiserver kube-controller-manager kube-scheduler etcd kwok pilot-discovery istioctl ads-probe)
{
  echo "{"
  sep=""
  for name in "${tools[@]}"; do
    read -r version seconds <"$meta/$name"
    printf '%s  "%s": {"version": "%s", "buildS": %.1f, "bytes": %d, "path": "%s"}' \
      "$sep" "$name" "$version" "$seconds" "$(stat -c %s "$bin/$name")" "$bin/$name"
    sep=$',\n'
  done
  printf '\n}\n'
} >"$out/tools.json.tmp"
mv "$out/tools.json.tmp" "$out/tools.json"

for name in "${tools[@]}"; do
  read -r version seconds <"$meta/$name"
  echo "$name $version $seconds $(stat -c %s "$bin/$name")"
done | awk '
  BEGIN { printf "%-28s %-24s %9s %8s\n", "tool", "version", "build s", "MB" }
  { printf "%-28s %-24s %9.1f %8.1f\n", $1, $2, $3, $4 / 1048576; s += $3; b += $4 }
  END { printf "%-28s %-24s %9.1f %8.1f\n", "total", "", s, b / 1048576 }'
echo "e2e tools: in $bin"
