#!/usr/bin/env bash
# The container image, for real: builds deploy/Dockerfile (unchanged) with podman through the shared
# oci-real tools (build-image.sh: podman from Debian, a debootstrap base image since no registry is
# reachable, its smoke tests), then runs it the way the manifests do and checks:
#   1. the image: no npm cache baked in (/tmp empty), EXPOSE 7233 7234 9464, uid/gid 1000, HOME=/tmp;
#   2. end to end, every container --read-only as uid 1000 on the host network: nats-server -js on
#      127.0.0.1 (host), a coordinator container (API, ops, dashboard on loopback), an agent container,
#      and a client container that submits examples/quickstart.yaml against an HTTP target on
#      127.0.0.1 and waits; the result must be complete (400 requests per version), the dashboard must
#      serve its page and list the experiment, and SIGTERM must end both services with exit code 0;
#   3. the agent DaemonSet's node-labels init container (its command, from the manifest) in the
#      image, against a real kube-apiserver (kube-real tools), with the agent service account's
#      token and RBAC from deploy/base: it must write node=…,zone=…,region=… from a Node object.
#
# It lives in .ci/, not scripts/: the Dockerfile copies scripts/ into the build, so editing it there
# would invalidate the image's build cache.
# Usage (as root, from anywhere):  bash .ci/image-e2e.sh
# Env: IMAGE (default localhost/assay:e2e)
#      BASE_CACHE (default /var/tmp/assay-base.tar: the base image, kept between runs; delete it to
#                  rebuild the base from debootstrap)
#      OCI_REAL_TOOLS / KUBE_REAL_TOOLS (default: shared/tools/{oci-real,kube-real} above the repo)
# Needs: nats-server, curl, node, kubectl on PATH; kube-apiserver built (bash .ci/run does all that).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE=${IMAGE:-localhost/assay:e2e}
BASE_CACHE=${BASE_CACHE:-/var/tmp/assay-base.tar}

T0=$(date +%s)
STEP_T=$T0
TIMES=()
step() {
  local now; now=$(date +%s)
  if [ -n "${STEP_NAME:-}" ]; then TIMES+=("$(printf '%4ss  %s' $((now - STEP_T)) "$STEP_NAME")"); fi
  STEP_NAME="$*"; STEP_T=$now
  echo "== [$((now - T0))s] $*"
}
fail() { echo "image-e2e: FAILED: $*" >&2; exit 1; }

tools() { # shared/tools/$1 in the repository's parent or above
  local dir=$ROOT
  while [ "$dir" != / ]; do
    dir=$(dirname "$dir")
    if [ -d "$dir/shared/tools/$1" ]; then echo "$dir/shared/tools/$1"; return; fi
  done
  fail "shared/tools/$1 not found above $ROOT (set ${2})"
}
OCI=${OCI_REAL_TOOLS:-$(tools oci-real OCI_REAL_TOOLS)}
KUBE=${KUBE_REAL_TOOLS:-$(tools kube-real KUBE_REAL_TOOLS)}
for c in nats-server curl node kubectl; do command -v "$c" >/dev/null || fail "$c is not on PATH (bash .ci/run installs it)"; done

E=$(mktemp -d /tmp/assay-image-e2e.XXXXXX)
chmod 755 "$E"
NAME=assay-e2e-$$
PIDS=()
cleanup() {
  podman rm -f -t 5 "$NAME-coord" "$NAME-agent" >/dev/null 2>&1 || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  KUBE_REAL_STATE="$E/kube" "$KUBE/stop-apiserver.sh" >/dev/null 2>&1 || true
  rm -rf "$E"
}
trap cleanup EXIT

# Polls a command until it succeeds (every 0.2 s, up to $1 seconds).
poll() {
  local timeout=$1; shift
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
free_ports() { node -e 'const net=require("net");const n=+process.argv[1];const ss=[];let k=0;
for(let i=0;i<n;i++){const s=net.createServer();ss.push(s);s.listen(0,"127.0.0.1",()=>{if(++k===n){console.log(ss.map(x=>x.address().port).join(" "));ss.forEach(x=>x.close());}});}' "$1"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(String(eval(process.argv[1])));});' "$1"; }

# ---- 1. build (and build-image.sh's smoke tests: version, --help, uid 1000, read-only /app) -------
step "build $IMAGE with $OCI/build-image.sh (base cache: $BASE_CACHE)"
IMAGE=$IMAGE BASE_CACHE=$BASE_CACHE SMOKE=1 E2E=0 bash "$OCI/build-image.sh" "$ROOT"

step "image checks"
run_sh() { podman run --rm --entrypoint /bin/sh "$IMAGE" -c "$1"; }
[ -z "$(run_sh 'ls -A /tmp')" ] || fail "the image has files in /tmp: $(run_sh 'ls -A /tmp; du -sh /tmp/.npm 2>/dev/null')"
[ "$(run_sh 'id -u; id -g; echo $HOME' | paste -sd' ')" = "1000 1000 /tmp" ] || fail "expected uid 1000, gid 1000, HOME=/tmp: $(run_sh 'id; echo $HOME')"
exposed=$(podman image inspect -f '{{range $p, $v := .Config.ExposedPorts}}{{$p}} {{end}}' "$IMAGE")
for p in 7233/tcp 7234/tcp 9464/tcp; do [[ " $exposed " == *" $p "* ]] || fail "EXPOSE lacks $p ($exposed)"; done
size=$(podman image inspect -f '{{.Size}}' "$IMAGE")
echo "image $IMAGE: $((size / 1000000)) MB, exposes $exposed, /tmp empty, uid 1000"

# ---- 2. end to end ----------------------------------------------------------------------------
step "e2e: nats-server, HTTP target, coordinator and agent containers (read-only, uid 1000)"
read -r NP MP HP CP OPS UIP AOPS < <(free_ports 7)
mkdir -p "$E/js"
nats-server -js -a 127.0.0.1 -p "$NP" -m "$MP" -sd "$E/js" >"$E/nats.log" 2>&1 & PIDS+=($!)
# v1 and v2 of a tiny service on 127.0.0.1; it ends by itself after 5 minutes.
node -e 'const s=require("http").createServer((q,r)=>r.end("ok")).listen(+process.argv[1],"127.0.0.1");setTimeout(()=>s.close(),300000).unref();setTimeout(()=>process.exit(0),300000);' "$HP" >"$E/http.log" 2>&1 & PIDS+=($!)
poll 30 curl -fsS "http://127.0.0.1:$MP/healthz" || fail "nats-server did not start: $(tail -5 "$E/nats.log")"
poll 30 curl -fsS "http://127.0.0.1:$HP/v1" || fail "the HTTP target did not start"

podman run -d --name "$NAME-coord" --network host --read-only "$IMAGE" \
  coordinator --nats "nats://127.0.0.1:$NP" --listen "127.0.0.1:$CP" --ops-listen "127.0.0.1:$OPS" --ui "127.0.0.1:$UIP" >/dev/null
podman run -d --name "$NAME-agent" --network host --read-only "$IMAGE" \
  agent --nats "nats://127.0.0.1:$NP" --name e2e-agent-1 --ops-listen "127.0.0.1:$AOPS" >/dev/null
poll 60 curl -fsS "http://127.0.0.1:$OPS/readyz" || fail "coordinator not ready: $(podman logs --tail 20 "$NAME-coord" 2>&1)"
poll 60 curl -fsS "http://127.0.0.1:$AOPS/readyz" || fail "agent not ready: $(podman logs --tail 20 "$NAME-agent" 2>&1)"
client() { podman run --rm --network host --read-only "$IMAGE" "$@" --coordinator "127.0.0.1:$CP"; }
agents_have() { client agents -o json | grep -q e2e-agent-1; }
poll 60 agents_have || fail "the agent never registered: $(podman logs --tail 20 "$NAME-coord" 2>&1)"
for c in coord agent; do
  [ "$(podman exec "$NAME-$c" cat /proc/1/comm)" = tini ] || fail "$c: PID 1 is not tini"
  [ "$(podman exec "$NAME-$c" id -u)" = 1000 ] || fail "$c: not uid 1000"
  ! podman exec "$NAME-$c" touch /app/x 2>/dev/null || fail "$c: the root filesystem is writable"
done

step "e2e: a client container submits examples/quickstart.yaml --wait"
timeout 180 podman run --rm --network host --read-only "$IMAGE" submit /app/examples/quickstart.yaml --wait \
  --coordinator "127.0.0.1:$CP" \
  --set "http.versions[0].url=http://127.0.0.1:$HP/v1" --set "http.versions[1].url=http://127.0.0.1:$HP/v2" \
  2>&1 | tee "$E/submit.log"   # exit 0: completed (an SLO the target misses does not fail the run)
ID=$(sed -n 's/^submitted \([^ ]*\).*/\1/p' "$E/submit.log" | head -1)
[ -n "$ID" ] || fail "no experiment id in the submit output"
client get "$ID" -o json > "$E/result.json"
[ "$(json 'v.experiment.state' < "$E/result.json")" = EXPERIMENT_STATE_COMPLETED ] || fail "experiment $ID is not completed: $(head -c 600 "$E/result.json")"
[ "$(json 'v.result.completed === true && !v.result.failure && v.result.incomplete !== true' < "$E/result.json")" = true ] || fail "the result is not complete"
[ "$(json '["v1","v2"].map(x => v.result.metrics[x]["http/request-count"]).join(" ")' < "$E/result.json")" = "400 400" ] || fail "expected 400 requests per version"
echo "experiment $ID completed: 400 requests per version"

step "e2e: the dashboard serves its page and lists the experiment"
curl -fsS "http://127.0.0.1:$UIP/" | grep -qi '<html' || fail "no dashboard page on 127.0.0.1:$UIP"
curl -fsS -o /dev/null "http://127.0.0.1:$UIP/assets/dashboard.js" || fail "no dashboard script"
curl -fsS "http://127.0.0.1:$UIP/api/experiments" | grep -q "$ID" || fail "the dashboard does not list $ID"

step "e2e: SIGTERM (podman stop) ends both services with exit code 0"
podman stop -t 20 "$NAME-coord" "$NAME-agent" >/dev/null
for c in coord agent; do
  code=$(podman inspect -f '{{.State.ExitCode}}' "$NAME-$c")
  [ "$code" = 0 ] || fail "$c exited with $code: $(podman logs --tail 20 "$NAME-$c" 2>&1)"
done

# ---- 3. the node-labels init container against a real kube-apiserver ----------------------------
step "node-labels init container in the image against a real kube-apiserver"
KUBECONFIG=$(KUBE_REAL_STATE="$E/kube" "$KUBE/start-apiserver.sh") || fail "start-apiserver.sh failed (is kube-apiserver built? bash .ci/run)"
export KUBECONFIG
API_URL=$(sed -n 's/^export KUBE_API_URL=//p' "$E/kube/env")
kubectl apply --server-side -f "$ROOT/deploy/base/namespace.yaml" -f "$ROOT/deploy/base/agent/rbac.yaml" >/dev/null
kubectl apply --server-side -n assay -f "$ROOT/deploy/base/agent/serviceaccount.yaml" >/dev/null
NODE=e2e-node-1
kubectl apply --server-side -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE
  labels: {topology.kubernetes.io/zone: eu-west-1a, topology.kubernetes.io/region: eu-west-1}
EOF
mkdir -p "$E/sa" "$E/labels"
kubectl -n assay create token assay-agent --duration=10m > "$E/sa/token"
cp "$E/kube/pki/ca.crt" "$E/sa/ca.crt"
chmod 644 "$E/sa/token" "$E/sa/ca.crt"; chown 1000:1000 "$E/labels"
# The init container's command as the DaemonSet runs it.
SCRIPT=$(grep -o '/app/dist/[^"]*node-labels\.js' "$ROOT/deploy/base/agent/daemonset.yaml" | head -1)
[ -n "$SCRIPT" ] || fail "no node-labels command in deploy/base/agent/daemonset.yaml"
podman run --rm --network host --read-only --user 1000:1000 \
  -e NODE_NAME=$NODE -e KUBERNETES_SERVICE_HOST=127.0.0.1 -e "KUBERNETES_SERVICE_PORT=${API_URL##*:}" \
  -e ASSAY_NODE_LABELS=zone=topology.kubernetes.io/zone,region=topology.kubernetes.io/region \
  -e ASSAY_LABELS_FILE=/var/run/assay/labels \
  -v "$E/sa:/var/run/secrets/kubernetes.io/serviceaccount:ro" -v "$E/labels:/var/run/assay" \
  --entrypoint node "$IMAGE" "$SCRIPT"
labels=$(cat "$E/labels/labels")
[ "$labels" = "node=$NODE,zone=eu-west-1a,region=eu-west-1" ] || fail "node-labels wrote '$labels'"
echo "node-labels wrote: $labels"

step "done"
echo "image-e2e passed in $(( $(date +%s) - T0 ))s:"
printf '  %s\n' "${TIMES[@]}"
