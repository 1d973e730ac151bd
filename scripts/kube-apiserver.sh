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
#   scripts/kube-apiserver.sh load-bench   add 2,000 pods in namespace `bench`
#   scripts/kube-apiserver.sh bench   time `hackcoach check` and `kubectl get pods -A -o json`
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
# Bumped whenever the build changes, so a cached binary from an older recipe is not reused.
BUILD_REV=2
SCENARIO=${HACKCOACH_SCENARIO:-$HERE/../tests/data/tripinsights-broken.yaml}

log() { printf 'kube-apiserver.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

apiserver_binary() {
    ls "$CACHE"/kube-apiserver-*-b"$BUILD_REV" 2>/dev/null | sort | tail -n 1
}

cmd_build() {
    if [ -n "$(apiserver_binary)" ]; then
        log "using cached $(apiserver_binary)"
        return
    fi
    mkdir -p "$CACHE"
    command -v go >/dev/null && command -v rsync >/dev/null && command -v make >/dev/null ||
        die "install the build tools first: apt-get install -y golang-go rsync make dpkg-dev golang-github-modern-go-reflect2-dev"
    local reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
    [ -f "$reflect2/go_above_118.go" ] ||
        die "install reflect2 1.0.2 first: apt-get install -y golang-github-modern-go-reflect2-dev"

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
    # Kubernetes 1.20 vendors reflect2 1.0.1, whose map iteration crashes under Go 1.18 and
    # later ("unexpected fault address" in mapiterinit, seen here mid-request). Debian's
    # reflect2 1.0.2 is API-compatible and fixes it; vendor/modules.txt keeps its line.
    rsync -a --delete --exclude go.mod --exclude '*_test.go' "$reflect2/" "$work/tree/vendor/github.com/modern-go/reflect2/"
    log "building kube-apiserver (about 10 minutes on 2 cores)"
    (cd "$work/tree" && CGO_ENABLED=0 make WHAT=cmd/kube-apiserver)
    local version
    version=$(basename "$dsc" .dsc | sed 's/^kubernetes_//; s/.*really//; s/+.*//; s/-.*//')
    install -m 0755 "$work/tree/_output/bin/kube-apiserver" "$CACHE/kube-apiserver-$version-b$BUILD_REV"
    rm -rf "$work"
    log "cached $CACHE/kube-apiserver-$version-b$BUILD_REV"
}

cmd_start() {
    local binary
    binary=$(apiserver_binary)
    [ -n "$binary" ] || die "no cached kube-apiserver in $CACHE: run '$0 build' first"
    command -v etcd >/dev/null || die "install etcd first: apt-get install -y etcd-server"
    if [ -f "$STATE/apiserver.pid" ] && kill -0 "$(cat "$STATE/apiserver.pid")" 2>/dev/null; then
        log "already running (state in $STATE)"
        return
    fi
    rm -rf "$STATE" && mkdir -p "$STATE/certs" "$STATE/etcd"
    chmod 700 "$STATE"
    openssl genrsa -out "$STATE/sa.key" 2048 2>/dev/null
    local admin view bot_admin
    admin=$(openssl rand -hex 16)
    bot_admin=$(openssl rand -hex 16)
    view=$(openssl rand -hex 16)
    # token,user,uid,"groups": `admin` loads the scenario; `bot-admin` is the over-privileged
    # credential the tests hand to the bot; `viewer` is bound to view's rules below.
    cat >"$STATE/tokens.csv" <<TOKENS
$admin,admin,1,"system:masters"
$bot_admin,bot-admin,2,"system:masters"
$view,viewer,3,""
TOKENS
    chmod 600 "$STATE/tokens.csv"
    cat >"$STATE/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
POLICY
    etcd --name hackcoach --data-dir "$STATE/etcd" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "hackcoach=http://127.0.0.1:$ETCD_PEER_PORT" \
        >"$STATE/etcd.log" 2>&1 &
    echo $! >"$STATE/etcd.pid"
    "$binary" \
        --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$PORT" --insecure-port 0 \
        --cert-dir "$STATE/certs" \
        --token-auth-file "$STATE/tokens.csv" \
        --authorization-mode RBAC \
        --service-account-key-file "$STATE/sa.key" --service-account-signing-key-file "$STATE/sa.key" \
        --service-account-issuer https://kubernetes.default.svc \
        --service-cluster-ip-range 10.96.0.0/16 \
        --disable-admission-plugins ServiceAccount \
        --endpoint-reconciler-type none \
        --audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$STATE/audit.log" \
        >"$STATE/apiserver.log" 2>&1 &
    echo $! >"$STATE/apiserver.pid"
    local ca="$STATE/certs/apiserver.crt"
    for _ in $(seq 1 120); do
        if [ -s "$ca" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" \
            -H "Authorization: Bearer $admin" "https://127.0.0.1:$PORT/readyz")" = 200 ]; then
            break
        fi
        kill -0 "$(cat "$STATE/apiserver.pid")" 2>/dev/null || die "kube-apiserver exited; see $STATE/apiserver.log"
        sleep 1
    done
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "Authorization: Bearer $admin" \
        "https://127.0.0.1:$PORT/readyz")" = 200 ] || die "kube-apiserver not ready after 120 s; see $STATE/apiserver.log"
    cat >"$STATE/env" <<ENV
HACKCOACH_KUBE_SERVER=https://127.0.0.1:$PORT
HACKCOACH_KUBE_CA_FILE=$ca
HACKCOACH_KUBE_ADMIN_TOKEN=$bot_admin
HACKCOACH_KUBE_VIEW_TOKEN=$view
HACKCOACH_KUBE_AUDIT_LOG=$STATE/audit.log
ENV
    chmod 600 "$STATE/env"
    write_kubeconfig "$STATE/admin.kubeconfig" "$admin"
    log "kube-apiserver ready on https://127.0.0.1:$PORT (state in $STATE)"
}

write_kubeconfig() {
    local file=$1 token=$2
    cat >"$file" <<KUBECONFIG
apiVersion: v1
kind: Config
current-context: local
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority-data: $(base64 -w0 "$STATE/certs/apiserver.crt")
users:
- name: local
  user:
    token: $token
contexts:
- name: local
  context:
    cluster: local
    user: local
KUBECONFIG
    chmod 600 "$file"
}

cmd_load() {
    [ -f "$STATE/admin.kubeconfig" ] || die "not started: run '$0 start' first"
    export KUBECONFIG="$STATE/admin.kubeconfig"
    # `view` is aggregated by the controller-manager, which does not run here: bind the
    # viewer to the role view is built from.
    kubectl create clusterrolebinding hackcoach-viewer --clusterrole=system:aggregate-to-view --user=viewer \
        --dry-run=client -o yaml | kubectl apply -f - >/dev/null
    local now
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    sed "s/@NOW@/$now/g" "$SCENARIO" | kubectl apply -f - >/dev/null
    local subresource=${HACKCOACH_KUBECTL_SUBRESOURCE:-yes}
    kubectl patch --help 2>/dev/null | grep -q -- '--subresource' || subresource=no
    local kind namespace name status
    while read -r kind namespace name status; do
        case "$kind" in ''|'#'*) continue ;; esac
        local nsflag=()
        [ "$namespace" = - ] || nsflag=(-n "$namespace")
        if [ "$subresource" = yes ]; then
            kubectl patch "$kind" "$name" "${nsflag[@]}" --subresource=status --type=merge -p "$status" >/dev/null
        else
            # kubectl before 1.24 cannot address the status subresource; PATCH it directly.
            local path
            case "$kind" in
                node) path="/api/v1/nodes/$name/status" ;;
                pod) path="/api/v1/namespaces/$namespace/pods/$name/status" ;;
                deployment) path="/apis/apps/v1/namespaces/$namespace/deployments/$name/status" ;;
                *) die "no status path for $kind" ;;
            esac
            curl -sf -X PATCH --cacert "$STATE/certs/apiserver.crt" -H "Authorization: Bearer $(awk -F, 'NR==1{print $1}' "$STATE/tokens.csv")" \
                -H 'Content-Type: application/merge-patch+json' --data "$status" "https://127.0.0.1:$PORT$path" >/dev/null
        fi
    done <"${SCENARIO%.yaml}.status"
    log "loaded $(basename "$SCENARIO") with statuses"
}

cmd_load_bench() {
    [ -f "$STATE/admin.kubeconfig" ] || die "not started: run '$0 start' first"
    export KUBECONFIG="$STATE/admin.kubeconfig"
    local count=${HACKCOACH_BENCH_PODS:-2000}
    kubectl create namespace bench --dry-run=client -o yaml | kubectl apply -f - >/dev/null
    local have
    have=$(kubectl get pods -n bench --no-headers 2>/dev/null | wc -l)
    if [ "$have" -ge "$count" ]; then
        log "bench namespace already holds $have pods"
        return
    fi
    local i
    for i in $(seq 1 "$count"); do
        printf -- '---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: bench-%d\n  namespace: bench\n  labels: {app: bench}\nspec:\n  nodeName: node-1\n  containers:\n  - {name: app, image: registry.example.com/bench:1.0}\n' "$i"
    done | kubectl create -f - >/dev/null
    log "created $count pods in namespace bench"
}

cmd_bench() {
    # The bot's check and kubectl listing the same pods, in the same run, same server.
    [ -f "$STATE/env" ] || die "not started: run '$0 start' first"
    . "$STATE/env"
    local view="$STATE/view.kubeconfig" bin=${HACKCOACH_BIN:-target/debug/hackcoach}
    write_kubeconfig "$view" "$HACKCOACH_KUBE_VIEW_TOKEN"
    local pods
    pods=$(KUBECONFIG=$view kubectl get pods -A --no-headers --chunk-size=500 | wc -l)
    local start end
    start=$(date +%s%N)
    "$bin" check --kubeconfig "$view" --allow-private --json >/dev/null
    end=$(date +%s%N)
    echo "hackcoach check (all kinds, $pods pods, pages of 500): $(( (end - start) / 1000000 )) ms"
    start=$(date +%s%N)
    KUBECONFIG=$view kubectl get pods -A -o json --chunk-size=500 >/dev/null
    end=$(date +%s%N)
    echo "kubectl get pods -A -o json --chunk-size=500: $(( (end - start) / 1000000 )) ms"
}

cmd_stop() {
    local name
    for name in apiserver etcd; do
        if [ -f "$STATE/$name.pid" ]; then
            kill "$(cat "$STATE/$name.pid")" 2>/dev/null || true
            rm -f "$STATE/$name.pid"
        fi
    done
    log "stopped"
}

case "${1:-}" in
    build) cmd_build ;;
    start) cmd_start ;;
    load) cmd_load ;;
    up) cmd_build && cmd_start && cmd_load ;;
    load-bench) cmd_load_bench ;;
    bench) cmd_bench ;;
    stop) cmd_stop ;;
    *) die "usage: $0 build|start|load|up|load-bench|bench|stop" ;;
esac
