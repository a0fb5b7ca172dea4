#!/usr/bin/env bash
# H2 in CI, without a container: in a network and mount namespace of its own (loopback only),
# /etc/hosts bind-mounted to map the provider's host names to 127.0.0.1, the mock on port 443
# with TLS, and the two unmodified clients of examples/unmodified (Node 20's fetch with
# NODE_EXTRA_CA_CERTS, Python's requests with REQUESTS_CA_BUNDLE) each doing create,
# check-result, balance and download against https://freesoragenerator.com. Then the mock's
# journal must show each client's calls. Needs root, unshare, ip and node: where any is missing,
# or the kernel refuses the namespace, it prints why it skipped and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[tls-namespace] $*"; }
skip() { say "skipped: $*"; exit 0; }

if [ "${1:-}" != --inside ]; then
  [ "$(id -u)" = 0 ] || skip "not root (uid $(id -u)): the namespace and /etc/hosts need it"
  for tool in unshare ip mount node; do
    command -v "$tool" >/dev/null || skip "no $tool on this machine"
  done
  [ -x .venv/bin/sora-mock ] || make .venv/.installed-test >/dev/null
  # the probe does what the run needs: the namespaces, loopback up, a bind mount on /etc/hosts
  if ! why=$(unshare --net --mount --propagation private -- \
    sh -c 'ip link set lo up && mount --bind /etc/hosts /etc/hosts' 2>&1); then
    skip "the namespace cannot be made here (unshare --net --mount, ip link, mount --bind): ${why:-no reason given}"
  fi
  say "on $(uname -n) ($(uname -sr)), as root, in a network and mount namespace of its own"
  exec unshare --net --mount --propagation private -- bash "$0" --inside
fi

# -- inside the namespace: only a loopback interface, and mounts that the machine does not see
ip link set lo up
work=$(mktemp -d)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
printf '%s\n' "127.0.0.1 localhost" "::1 localhost" \
  "127.0.0.1 freesoragenerator.com www.freesoragenerator.com" >"$work/hosts"
mount --bind "$work/hosts" /etc/hosts
# the clients must reach the mock directly, whatever proxy the machine's environment names
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# poll clock: each check-result moves its task on, so the clients' polls finish the task
.venv/bin/sora-mock --host 127.0.0.1 --port 443 --tls true --tls-ca-dir "$work/ca" \
  --clock poll >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/mock.out" && break
  kill -0 "$mock_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q "listening on https://127.0.0.1:443" "$work/mock.out" \
  || { cat "$work/mock.out" "$work/mock.err"; say "FAIL: the mock did not start on 443 with TLS"; exit 1; }
ca="$work/ca/ca.pem"
grep -qF "$ca" "$work/mock.out" || { say "FAIL: the start-up output does not name $ca"; exit 1; }

failed=0
run_client() {  # name, then the command; its output is kept and shown
  local name=$1; shift
  if (cd "$work" && "$@") >"$work/$name.out" 2>&1 \
    && grep -q "^done: create check-result balance download$" "$work/$name.out"; then
    sed "s/^/  $name: /" "$work/$name.out"
  else
    sed "s/^/  $name: /" "$work/$name.out"; say "FAIL: the $name client"; failed=1
  fi
}
run_client node env SORA_API_KEY=sk-unmodified-node NODE_EXTRA_CA_CERTS="$ca" \
  node "$PWD/examples/unmodified/client.mjs" node.mp4
run_client python env SORA_API_KEY=sk-unmodified-python REQUESTS_CA_BUNDLE="$ca" \
  "$PWD/.venv/bin/python" "$PWD/examples/unmodified/client.py" python.mp4

# the journal, read as any client reads the mock: through the provider's name and the CA
curl -fsS --cacert "$ca" https://freesoragenerator.com/__mock/requests >"$work/journal.json" ||
  { say "FAIL: the journal could not be read through https://freesoragenerator.com"; exit 1; }
.venv/bin/python - "$work/journal.json" <<'EOF' || failed=1
import json
import sys

with open(sys.argv[1]) as file:
    rows = json.load(file)["requests"]
for key in ("sk-unmodified-node", "sk-unmodified-python"):
    masked = "*" * (len(key) - 4) + key[-4:]
    mine = [row for row in rows if row["key"] == masked and row["http_status"] == 200]
    routes = {row["route"] for row in mine if row["code"] in (0, None)}
    hosts = {row["headers"].get("Host") for row in mine}
    wanted = {"create", "check_result", "credits", "files"}
    if not wanted <= routes or hosts != {"freesoragenerator.com"}:
        sys.exit(f"[tls-namespace] FAIL: the journal for {masked}: routes {routes}, Host {hosts}")
    print(f"  journal: {masked}: {sorted(routes)} with Host freesoragenerator.com")
EOF
[ "$failed" = 0 ] || { cat "$work/mock.err"; exit 1; }
say "passed: the unmodified Node and Python clients did create, check-result, balance and download against https://freesoragenerator.com (the mock on 127.0.0.1:443 with TLS)"
