#!/usr/bin/env bash
# The package as a user installs it (README, "Install it elsewhere"): the wheel from `make dist`
# in a fresh venv under a temporary folder outside the tree, with pytest and nothing else of
# ours; there, the README's pytest example runs as written, through the installed fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
wheel=$(ls dist/sora_mock-*.whl)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the first ```python block after "## Use it from pytest", as the README shows it
"$BIN/python" - README.md "$work/test_readme_example.py" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read().split("## Use it from pytest", 1)[1]
open(sys.argv[2], "w", encoding="utf-8").write(re.search(r"```python\n(.*?)```", text, re.S)[1])
PY
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$PWD/$wheel" pytest
cd "$work"
"$work/venv/bin/sora-mock" --version
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider test_readme_example.py
echo "wheel-check: $(basename "$wheel") installed in a fresh venv; the README's example passed"
