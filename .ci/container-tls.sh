#!/usr/bin/env bash
# H2 in a container, as docs/unmodified-clients.md and examples/unmodified/compose.yaml set it
# up, with podman: the image with SORA_MOCK_TLS=true on port 443 and its CA folder /ca on a
# volume, and a client container beside it on the same network that resolves the provider's
# host name to the mock (--add-host, compose's extra_hosts) and trusts /ca/ca.pem from the
# volume (SSL_CERT_FILE). The client is the image's own Python (no other image can be fetched
# here): create, check-result until succeeded, balance, download, all through
# https://freesoragenerator.com. Also the image's HEALTHCHECK over TLS. Needs podman and the image
# that ../shared/tools/container-smoke.sh builds (IMAGE, default localhost/sora-mock:ci): without
# either it says so and stops without failing, as container-webhook.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-localhost/sora-mock:ci}"
say() { echo "[container-tls] $*"; }
if ! command -v podman >/dev/null || ! podman image exists "$IMAGE" 2>/dev/null; then
  say "skipped: no podman or no $IMAGE image on this machine"
  exit 0
fi
export CONTAINERS_CONF="${CONTAINERS_CONF:-/var/tmp/ci-ctr/containers.conf}"
[ -f "$CONTAINERS_CONF" ] || unset CONTAINERS_CONF
name="sora-mock-tls-$$"
subnet="10.89.$((($$ % 200) + 20))"
work_err=$(mktemp)
cleanup() {
  rm -f "$work_err"
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman volume rm -f "$name-ca" >/dev/null 2>&1 || true
  podman network rm -f "$name-net" >/dev/null 2>&1 || true
}
trap cleanup EXIT
podman network create --subnet "$subnet.0/24" "$name-net" >/dev/null
podman volume create "$name-ca" >/dev/null
# port 443 inside the container for its user 10001: the sysctl lets any user of the container
# bind it (compose.yaml sets the same)
podman run -d --name "$name" --network "$name-net" --ip "$subnet.10" \
  --sysctl net.ipv4.ip_unprivileged_port_start=0 -v "$name-ca:/ca" \
  -e SORA_MOCK_TLS=true -e SORA_MOCK_PORT=443 -e SORA_MOCK_CLOCK=poll "$IMAGE" >/dev/null 2>&1
for _ in $(seq 100); do
  podman logs "$name" 2>/dev/null | grep -q "listening on" && break
  [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] || break
  sleep 0.1
done
logs=$(podman logs "$name" 2>&1)
echo "$logs" | sed 's/^/  mock: /'
echo "$logs" | grep -q "listening on https://0.0.0.0:443" || { say "FAIL: no TLS listening line"; exit 1; }
echo "$logs" | grep -q "/ca/ca.pem" || { say "FAIL: the output does not name /ca/ca.pem"; exit 1; }
podman healthcheck run "$name" >/dev/null 2>&1 || { say "FAIL: the HEALTHCHECK over TLS"; exit 1; }
say "health: $(podman inspect -f '{{.State.Health.Status}}' "$name")"

# the client container: the two settings that point any container at the mock
podman run --rm --network "$name-net" \
  --add-host "freesoragenerator.com:$subnet.10" --add-host "www.freesoragenerator.com:$subnet.10" \
  -v "$name-ca:/ca:ro" -e SSL_CERT_FILE=/ca/ca.pem --entrypoint python "$IMAGE" -c '
import json, time, urllib.request
API = "https://www.freesoragenerator.com"
def call(path, body):
    request = urllib.request.Request(API + path, json.dumps(body).encode(), {
        "Authorization": "Bearer sk-container-tls", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    assert answer["code"] == 0, answer
    return answer["data"]
task_id = call("/api/v1/video/sora-pro", {"model": "sora-2-text-to-video", "prompt": "a fox"})["taskId"]
for _ in range(20):
    task = call("/api/video-generations/check-result", {"taskId": task_id})
    if task["status"] == "succeeded":
        break
    time.sleep(0.2)
print("create, check-result:", task["status"], task["result_url"])
print("balance:", call("/api/get-user-credits", {})["left_credits"])
with urllib.request.urlopen(task["result_url"], timeout=10) as video:
    print("download:", len(video.read()), "bytes,", video.headers["Content-Type"])
' 2>"$work_err" >"$work_err.out" || client_rc=$?
sed 's/^/  client: /' "$work_err.out"
rm -f "$work_err.out"
[ "${client_rc:-0}" = 0 ] || { grep -v systemd "$work_err"; say "FAIL: the client container"; exit 1; }
# the CA key stays in the volume: not in the server's output
if podman logs "$name" 2>&1 | grep -q "PRIVATE KEY"; then say "FAIL: a key in the output"; exit 1; fi
# TLS turned on by a flag, not the variable: the HEALTHCHECK follows what the server speaks
podman rm -f -t 0 "$name" >/dev/null 2>&1
podman run -d --name "$name" --network "$name-net" "$IMAGE" --tls true >/dev/null 2>&1
for _ in $(seq 100); do
  podman logs "$name" 2>/dev/null | grep -q "listening on" && break
  sleep 0.1
done
podman logs "$name" 2>&1 | grep -q "listening on https://" || { say "FAIL: --tls true"; exit 1; }
podman healthcheck run "$name" >/dev/null 2>&1 || { say "FAIL: the HEALTHCHECK with --tls true"; exit 1; }
say "health with --tls true (no SORA_MOCK_TLS): $(podman inspect -f '{{.State.Health.Status}}' "$name")"
say "passed: a client container reached the mock in a container as https://www.freesoragenerator.com"
