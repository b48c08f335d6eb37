#!/usr/bin/env bash
# Builds the tools of the end-to-end tests from the pinned Go modules beside this script, once per
# machine, into a cache folder outside the checkout (keyed by the modules and BUILD_FORMAT, so a change
# of version builds afresh and an unchanged set is reused by every checkout):
#   pulumi                      the Pulumi CLI, at the @pulumi/pulumi version of package.json (pulumi/go.mod)
#   pulumi-resource-kubernetes  the Kubernetes provider plugin (provider/go.mod)
#   kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok   (kube/go.mod)
# Everything comes from the Go module proxy; nothing is downloaded from anywhere else.
#
#   bash e2e/tools/build.sh          build what is missing, then print each tool's version, build time and size
#   bash e2e/tools/build.sh --dir    print the folder the tools are (or will be) in, build nothing
#
# ISTIO_BURST_TOOLS_DIR moves the cache (default: $XDG_CACHE_HOME or ~/.cache, then istio-burst/tools).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Raise when the way a tool is built changes (flags, steps); the versions are in the go.mod files.
BUILD_FORMAT=1
key=$( (cat "$here"/*/go.mod "$here"/*/go.sum; echo "$BUILD_FORMAT") | sha256sum | cut -c1-16)
out="${ISTIO_BURST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-burst/tools}/$key"
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

# build NAME VERSION COMMAND...: runs the build unless NAME is already in bin/, and records its time.
build() {
  local name=$1 version=$2
  shift 2
  if [[ -x "$bin/$name" && -f "$meta/$name" ]]; then return 0; fi
  echo "e2e tools: building $name $version ..." >&2
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  [[ -x "$bin/$name" ]] || fail "$name: the build reported success but wrote no $bin/$name"
  awk -v v="$version" -v a="$start" -v b="$end" 'BEGIN { printf "%s %.1f\n", v, b - a }' >"$meta/$name"
}

# --- the Pulumi CLI -------------------------------------------------------------------------------
pulumi_version=$(pinned pulumi github.com/pulumi/pulumi/pkg/v3)
npm_pulumi=$(sed -n 's/.*"@pulumi\/pulumi": "\([^"]*\)".*/\1/p' "$here/../../package.json")
[[ "v$npm_pulumi" == "$pulumi_version" ]] ||
  fail "pulumi/go.mod pins pkg/v3 $pulumi_version but package.json pins @pulumi/pulumi $npm_pulumi: the CLI must be the SDK's version"
build_pulumi() {
  (cd "$here/pulumi" && go build -trimpath -o "$bin/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}
build pulumi "${pulumi_version#v}" build_pulumi

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
    go build -mod=mod -trimpath -o "$bin/pulumi-resource-kubernetes" \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$provider_release" \
      ./cmd/pulumi-resource-kubernetes
  )
  rm -rf "$src"
}
build pulumi-resource-kubernetes "$provider_release" build_provider

# --- the control plane: one Kubernetes release, etcd, kwok -----------------------------------------
kube_version=$(pinned kube k8s.io/kubernetes)
kube_minor=$(echo "$kube_version" | cut -d. -f2)
kube_ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1"
kube_ldflags+=" -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean"
for component in kube-apiserver kube-controller-manager kube-scheduler; do
  build "$component" "${kube_version#v}" \
    bash -c "cd '$here/kube' && go build -trimpath -o '$bin/$component' -ldflags '$kube_ldflags' k8s.io/kubernetes/cmd/$component"
done
etcd_version=$(pinned kube go.etcd.io/etcd/server/v3)
build etcd "${etcd_version#v}" bash -c "cd '$here/kube' && go build -trimpath -o '$bin/etcd' -ldflags '-s -w' go.etcd.io/etcd/server/v3"
kwok_version=$(pinned kube sigs.k8s.io/kwok)
build kwok "${kwok_version#v}" bash -c "cd '$here/kube' && go build -trimpath -o '$bin/kwok' -ldflags '-s -w' sigs.k8s.io/kwok/cmd/kwok"
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

# --- what was built ----------------------------------------------------------------------------------
tools=(pulumi pulumi-resource-kubernetes kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
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
  BEGIN { printf "%-28s %-9s %9s %8s\n", "tool", "version", "build s", "MB" }
  { printf "%-28s %-9s %9.1f %8.1f\n", $1, $2, $3, $4 / 1048576; s += $3; b += $4 }
  END { printf "%-28s %-9s %9.1f %8.1f\n", "total", "", s, b / 1048576 }'
echo "e2e tools: in $bin"

# The Node.js language host is a module of its own with no release tags: the commit of the CLI's tag
# (v3.248.0 is a88168d865b7). The module proxy has refused every version of it so far; the tests
# run the program through @pulumi/pulumi's own language runtime instead (the Automation API's, which
# the CLI reaches with --client). Say which, every run, so a change on the proxy's side is seen.
language_host=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.0.0-20260624120734-a88168d865b7
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
if answer=$(cd "$probe" && go mod init probe >/dev/null 2>&1 && go mod download -json "$language_host" 2>&1); then
  echo "e2e tools: pulumi-language-nodejs: the module proxy now serves $language_host; it is not built yet (the tests use @pulumi/pulumi's own runtime)"
else
  refusal=$(echo "$answer" | grep -o '[0-9][0-9][0-9] [A-Z][A-Za-z ]*' | head -1)
  echo "e2e tools: pulumi-language-nodejs: not built, the module proxy refuses $language_host (${refusal:-no answer}); the program runs in @pulumi/pulumi's own language runtime"
fi
