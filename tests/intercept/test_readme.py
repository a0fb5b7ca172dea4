"""The README's example of an unmodified client runs as written (two files, one test)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from ..plugin.test_plugin import outcomes

README: Final = Path(__file__).parents[2] / "docs" / "pytest-fixture.md"


def block(first_line: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (found,) = [text for text in blocks if text.startswith(first_line)]
    return str(found)


def test_the_readmes_unmodified_client_passes_inside_intercept(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(video_client=block("# video_client.py"))
    pytester.makepyfile(test_video_client=block("# test_video_client.py"))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert {"passed": 1} == outcomes(result)
