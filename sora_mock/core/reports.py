"""The JSON reports the tool writes at a path the user names (the client report, F; verify's
`--json`, I1) carry a top-level `generator` mark: a file that has it was written by the tool and
may be written over, any other file is the user's and never is."""

from __future__ import annotations

import json
from pathlib import Path


def written_by(path: Path, generator: str) -> bool:
    """Whether the file at `path` is a JSON report whose `generator` mark is `generator`."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):  # unreadable, not UTF-8, not JSON: not ours
        return False
    return isinstance(data, dict) and data.get("generator") == generator
