#!/usr/bin/env bash
# Build/fetch the binaries of a real Kubernetes v1.20.2 control plane for tests, offline.
#
# kube-apiserver and kube-controller-manager are built from Debian bookworm's `kubernetes`
# source package (the complete upstream v1.20.2 tree, vendor/ included) with Debian's Go 1.19;
# etcd and kubectl are unpacked from Debian binary packages with `dpkg -x` (no service starts,
# nothing is installed system-wide). Idempotent: present, correct binaries are kept.
#
# Go 1.19 needs github.com/modern-go/reflect2 >= 1.0.2: with the v1.0.1 vendored in 1.20.2, the
# apiserver dies ("fatal error: fault" in mapiterinit) on the first custom resource it decodes.
# Debian's golang-github-modern-go-reflect2-dev (1.0.2) replaces it in vendor/ before the build.
#
# Usage: tests/cluster/build.sh        (cache: ${PILOTHOUSE_CACHE:-$HOME/.cache/pilothouse})
set -euo pipefail

K8S_VERSION=v1.20.2
K8S_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56
BUILD=r2  # bumped when the build itself changes (r2: reflect2 1.0.2), so stale binaries are rebuilt
CACHE=${PILOTHOUSE_CACHE:-$HOME/.cache/pilothouse}
BIN=$CACHE/k8s-$K8S_VERSION-$BUILD/bin
APT_DIR=$CACHE/apt
SCRATCH=$CACHE/scratch

# The Debian mirror the machine already uses (deb822 or one-line sources), else deb.debian.org.
system_mirror() {
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
        grep -oE '^(URIs:|deb) +https?://[^ ]*/debian/?( |$)' | head -n1 | awk '{print $2}') || true
    echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${PILOTHOUSE_DEBIAN_MIRROR:-$(system_mirror)}
SECURITY_MIRROR=${PILOTHOUSE_DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian*}/debian-security}

log() { printf '[build.sh] %s\n' "$*" >&2; }

# apt options for a private sources dir with deb-src, leaving the system's apt state alone.
APT_OPTS=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$APT_DIR/sources"
    -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache")
# _apt cannot write into a root-owned private cache; download as root instead of warning.
[[ $EUID -eq 0 ]] && APT_OPTS+=(-o APT::Sandbox::User=root)
papt() { apt-get -q "${APT_OPTS[@]}" "$@"; }

apt_ready=0
private_apt_update() {
    [[ $apt_ready -eq 1 ]] && return
    mkdir -p "$APT_DIR/sources" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
    cat >"$APT_DIR/sources/bookworm.sources" <<EOF
Types: deb deb-src
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: $SECURITY_MIRROR
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    log "refreshing private apt lists in $APT_DIR"
    papt update >/dev/null
    apt_ready=1
}

ensure_tools() {
    local missing=() pair
    for pair in rsync:rsync make:make openssl:openssl patch:patch xz:xz-utils tar:tar; do
        command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
    done
    [[ ${#missing[@]} -eq 0 ]] && return
    log "installing build tools: ${missing[*]}"
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/dev/null
}

has_version() { [[ -x $1 ]] && "$1" --version 2>/dev/null | grep -q "$K8S_VERSION"; }

# Downloads a Debian binary package and unpacks it into $2 (a scratch root).
unpack_deb() {
    local pkg=$1 root=$2
    (cd "$SCRATCH/debs" && papt download "$pkg" >/dev/null)
    dpkg -x "$(ls -t "$SCRATCH"/debs/"${pkg}"_*.deb | head -n1)" "$root"
}

build_kube() {
    private_apt_update
    ensure_tools
    local src=$SCRATCH/src goroot=$SCRATCH/goroot
    rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/debs" "$src" "$goroot"
    log "downloading Debian source package kubernetes and golang-1.19"
    (cd "$SCRATCH" && papt source --download-only kubernetes >/dev/null)
    unpack_deb golang-1.19-go "$goroot"
    unpack_deb golang-1.19-src "$goroot"
    tar -xzf "$SCRATCH"/kubernetes_*.orig.tar.gz -C "$src" --strip-components=1
    tar -xJf "$SCRATCH"/kubernetes_*.debian.tar.xz -C "$src"
    local p
    while read -r p; do
        [[ -z $p || $p == \#* ]] && continue
        patch -d "$src" -p1 -s <"$src/debian/patches/$p"
    done <"$src/debian/patches/series"
    local reflect2=$SCRATCH/reflect2 vendored=$src/vendor/github.com/modern-go/reflect2
    unpack_deb golang-github-modern-go-reflect2-dev "$reflect2"
    rm -rf "$vendored" && cp -r "$reflect2/usr/share/gocode/src/github.com/modern-go/reflect2" "$vendored"
    log "building kube-apiserver and kube-controller-manager (cold: ~4-7 min on 2 cores)"
    # The upstream Makefile runs the openapi generators that a plain `go build` skips.
    (
        cd "$src"
        export GOROOT=$goroot/usr/lib/go-1.19 GOPROXY=off CGO_ENABLED=0
        export PATH=$GOROOT/bin:$PATH GOCACHE=$SCRATCH/gocache
        export KUBE_GIT_VERSION=$K8S_VERSION KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT=$K8S_COMMIT
        make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" \
            KUBE_BUILD_PLATFORMS=linux/amd64 GOLDFLAGS="-s -w"
    ) >"$CACHE/make.log" 2>&1 || { tail -n 40 "$CACHE/make.log" >&2; exit 1; }
    install -m 0755 "$src"/_output/bin/kube-apiserver "$src"/_output/bin/kube-controller-manager "$BIN/"
    # Go marks its module cache read-only; make it removable.
    chmod -R u+w "$SCRATCH" && rm -rf "$SCRATCH"
}

# Copies /usr/bin/$2 out of Debian package $1 into $BIN.
fetch_from_deb() {
    local pkg=$1 exe=$2 root=$SCRATCH/root-$1
    private_apt_update
    rm -rf "$root" && mkdir -p "$root" "$SCRATCH/debs"
    log "fetching $exe from Debian package $pkg"
    unpack_deb "$pkg" "$root"
    install -m 0755 "$root/usr/bin/$exe" "$BIN/$exe"
    rm -rf "$root"
}

main() {
    mkdir -p "$BIN"
    if has_version "$BIN/kube-apiserver" && has_version "$BIN/kube-controller-manager"; then
        log "kube-apiserver/kube-controller-manager $K8S_VERSION already built"
    else
        local start=$SECONDS
        build_kube
        log "built in $((SECONDS - start)) s"
    fi
    [[ -x $BIN/etcd ]] || fetch_from_deb etcd-server etcd
    if [[ ! -x $BIN/kubectl ]]; then
        private_apt_update
        if apt-cache "${APT_OPTS[@]}" show kubernetes-client >/dev/null 2>&1; then
            fetch_from_deb kubernetes-client kubectl
        else
            log "note: Debian package kubernetes-client not found; kubectl not provided"
        fi
    fi
    rm -rf "$SCRATCH"
    log "binaries ready in:"
    echo "$BIN"
}

main "$@"
