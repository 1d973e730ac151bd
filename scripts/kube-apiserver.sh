#!/usr/bin/env bash
# Build, start and load a real kube-apiserver on 127.0.0.1 for hackcoach's cluster tests.
#
#   scripts/kube-apiserver.sh build   build kube-apiserver from Debian's `kubernetes` source
#                                     package once; the binary is cached in $HACKCOACH_CACHE
#   scripts/kube-apiserver.sh start   start etcd and the API server on 127.0.0.1 (state in
#                                     $HACKCOACH_KUBE_DIR) and write $HACKCOACH_KUBE_DIR/env
#   scripts/kube-apiserver.sh load    load the broken TripInsights scenario with kubectl
#   scripts/kube-apiserver.sh up      build + start + load
#   scripts/kube-apiserver.sh stop    stop what `start` started
#
# Nothing listens anywhere but 127.0.0.1. No controller-manager, scheduler or kubelet runs,
# so objects keep exactly the status the scenario writes through the status subresource.
# Tests read $HACKCOACH_KUBE_DIR/env (HACKCOACH_KUBE_SERVER, HACKCOACH_KUBE_CA_FILE,
# HACKCOACH_KUBE_ADMIN_TOKEN, HACKCOACH_KUBE_VIEW_TOKEN, HACKCOACH_KUBE_AUDIT_LOG).
set -euo pipefail

CACHE=${HACKCOACH_CACHE:-/var/cache/hackcoach}
STATE=${HACKCOACH_KUBE_DIR:-/tmp/hackcoach-kube}
PORT=${HACKCOACH_KUBE_PORT:-16443}
ETCD_PORT=${HACKCOACH_ETCD_PORT:-12379}
ETCD_PEER_PORT=${HACKCOACH_ETCD_PEER_PORT:-12380}
HERE=$(cd "$(dirname "$0")" && pwd)
SCENARIO=${HACKCOACH_SCENARIO:-$HERE/../tests/data/tripinsights-broken.yaml}

log() { printf 'kube-apiserver.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

apiserver_binary() {
    ls "$CACHE"/kube-apiserver-* 2>/dev/null | sort | tail -n 1
}

cmd_build() {
    if [ -n "$(apiserver_binary)" ]; then
        log "using cached $(apiserver_binary)"
        return
    fi
    mkdir -p "$CACHE"
    command -v go >/dev/null && command -v rsync >/dev/null && command -v make >/dev/null ||
        die "install the build tools first: apt-get install -y golang-go rsync make"

    # The machine lists no deb-src entries. Derive one from its own Debian source (same URIs
    # and key) into a private apt directory so the machine's own lists stay untouched.
    local apt="$CACHE/apt"
    mkdir -p "$apt/sources" "$apt/lists/partial"
    local uris signed
    uris=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    signed=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    [ -n "$uris" ] || die "no Debian URIs found in /etc/apt/sources.list.d/debian.sources"
    . /etc/os-release
    cat >"$apt/sources/debian-src.sources" <<SRC
Types: deb-src
URIs: $uris
Suites: ${VERSION_CODENAME:-bookworm}
Components: main
Signed-By: ${signed:-/usr/share/keyrings/debian-archive-keyring.gpg}
SRC
    local opts=(-o "Dir::Etc::sourceparts=$apt/sources" -o Dir::Etc::sourcelist=/dev/null
        -o "Dir::State::Lists=$apt/lists")
    apt-get "${opts[@]}" update
    local work="$CACHE/src"
    rm -rf "$work" && mkdir -p "$work"
    (cd "$work" && apt-get "${opts[@]}" source --download-only kubernetes)
    local dsc
    dsc=$(ls "$work"/kubernetes_*.dsc | head -n 1)
    (cd "$work" && dpkg-source --no-check -x "$dsc" tree >/dev/null)
    log "building kube-apiserver (about 10 minutes on 2 cores)"
    (cd "$work/tree" && CGO_ENABLED=0 make WHAT=cmd/kube-apiserver)
    local version
    version=$(basename "$dsc" .dsc | sed 's/^kubernetes_//; s/.*really//; s/+.*//; s/-.*//')
    install -m 0755 "$work/tree/_output/bin/kube-apiserver" "$CACHE/kube-apiserver-$version"
    rm -rf "$work"
    log "cached $CACHE/kube-apiserver-$version"
}
