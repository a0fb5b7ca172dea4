"""The log line docs/configuration.md shows is what the server writes (moved here from
tests/cli/test_first_hour.py with the README's manual, issue 27): its timestamp, timing, key and
taskId vary, so it is compared by shape, not run by the examples harness."""

from __future__ import annotations

import re
from typing import Final

from ..cli.test_cli import SECRET_KEY, StartServer, call, start_server, stop
from ..helpers import CREATE, TEXT_BODY
from .pages import DOCS

__all__ = ["start_server"]  # the fixture, used here by name

PAGE: Final = DOCS / "configuration.md"


def shape(line: str) -> str:
    """A log line with its variable parts blanked: digits, hex ids, the mask's length."""
    line = re.sub(r"[0-9a-f]{32}", "<id>", line)
    line = re.sub(r"\*+", "*", line)
    return re.sub(r"\d+", "0", line)


def test_the_log_line_on_the_page_has_the_real_format(start_server: StartServer) -> None:
    text = PAGE.read_text(encoding="utf-8")
    block = text.split("one log line per provider request on stderr:", 1)[1]
    documented = block.split("```text\n", 1)[1].split("\n", 1)[0]
    proc, url = start_server()
    _, _ = call(url, "POST", CREATE, TEXT_BODY, {"Authorization": f"Bearer {SECRET_KEY}"})
    _, stderr = stop(proc)
    [logged] = [line for line in stderr.splitlines() if CREATE in line]
    assert shape(documented) == shape(logged)
