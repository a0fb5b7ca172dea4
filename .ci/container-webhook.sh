#!/usr/bin/env bash
# The docs' container recipe (docs/webhooks-and-streams.md), run as written with podman: the
# mock in a container on a bridge network, the test on this machine, a webhook from the container to the test's receiver
# ("A mock in a container sends webhooks to the tests"). Needs the image that
# ../shared/tools/container-smoke.sh builds (localhost/sora-mock:ci) and podman; where either is
# missing it says so and stops without failing, as the smoke test itself is skipped there.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v podman >/dev/null || ! podman image exists localhost/sora-mock:ci 2>/dev/null; then
  echo "[container-webhook] skipped: no podman or no localhost/sora-mock:ci image on this machine"
  exit 0
fi
export CONTAINERS_CONF="${CONTAINERS_CONF:-/var/tmp/ci-ctr/containers.conf}"
[ -f "$CONTAINERS_CONF" ] || unset CONTAINERS_CONF
podman tag localhost/sora-mock:ci sora-mock
name="sora-mock-webhook-$$"
cleanup() { podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
# the docs' podman line, detached and named so that it can be stopped
podman run -d --name "$name" -p 8000:8000 \
  -e SORA_MOCK_CLOCK=manual -e SORA_MOCK_WEBHOOK_ALLOW_HOSTS='["host.containers.internal"]' sora-mock \
  2>/dev/null >/dev/null
for _ in $(seq 1 60); do
  curl -fsS --max-time 2 http://127.0.0.1:8000/__mock/health >/dev/null 2>&1 && break
  sleep 0.5
done
# the docs' test line
SORA_MOCK_URL=http://127.0.0.1:8000 SORA_MOCK_RECEIVER_ADVERTISE=host.containers.internal \
  .venv/bin/python -m pytest -q -p no:cacheprovider examples/container
echo "[container-webhook] a webhook from the container reached the test on this machine"
