#!/usr/bin/env bash
# Schemathesis against a live sora-mock on loopback, from its own /openapi.json: every check,
# deterministic generation, a bounded number of examples per operation.
# The server runs with error_status=http so that HTTP statuses carry the envelope's code (the
# negative-data checks look at statuses), and without auto-provisioning so that a made-up key is
# refused (the auth checks). Two runs, each on a server of its own:
# 1. every operation but adding fault rules and resetting: a generated `reset` or 60-second
#    `timeout` rule would sabotage every later request without being a bug;
# 2. `POST /__mock/faults` alone, on a fresh server where the rules it adds harm nothing else
#    (.ci/schemathesis_hooks.py leaves out bodies that break a rule JSON Schema cannot state).
set -euo pipefail
BIN=${BIN:-.venv/bin}
EXAMPLES=${EXAMPLES:-50}
# VARIANTS=random: every answer in a drawn documented form (G), each of which the document describes
VARIANTS=${VARIANTS:-contract}
pids=()
logs=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -f "${logs[@]}"' EXIT

# start a server on a free port and set `url` to its URL; it runs in this shell (not in a
# command substitution's subshell), so that the EXIT trap knows its pid and stops it
serve() {
  local log
  log=$(mktemp)
  logs+=("$log")
  "$BIN/sora-mock" --port 0 --clock manual --error-status http --auto-provision false \
    --accounts '{"sk-fuzz-0001": 1000000000000}' --max-concurrent-tasks 1000000000 \
    --variants "$VARIANTS" >"$log" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
  url=$(grep -o 'http://[^ ]*' "$log")
}

fuzz() {
  local url=$1
  shift
  PYTHONPATH=.ci SCHEMATHESIS_HOOKS=schemathesis_hooks "$BIN/st" run "$url/openapi.json" -H "Authorization: Bearer sk-fuzz-0001" --checks all \
    --max-examples "$EXAMPLES" --generation-deterministic --request-timeout 5 --no-color "$@"
}

echo "== schemathesis: every operation but POST /__mock/faults and POST /__mock/reset"
serve
fuzz "$url" --exclude-operation-id post_mock_faults --exclude-operation-id post_mock_reset
echo "== schemathesis: POST /__mock/faults, on a server of its own"
serve
fuzz "$url" --include-operation-id post_mock_faults
