"""Start-up errors of the config file and of JSON text (issue 23): whatever is wrong with the
file or the text, the command line says so in one line naming it, with exit status 2, and never
with a traceback."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sora_mock import ConfigError
from sora_mock.config import load

from .test_cli import run

DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_JSON = "[" * 5000 + "]" * 5000


def directory(tmp_path: Path) -> Path:
    return tmp_path


def under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "plain").write_text("", encoding="utf-8")
    return tmp_path / "plain" / "x.toml"


def unreadable(tmp_path: Path) -> Path:
    config = tmp_path / "x.toml"
    config.write_text("port = 0\n", encoding="utf-8")
    config.chmod(0)
    return config


def written(text: str) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        config = tmp_path / "x.toml"
        config.write_text(text, encoding="utf-8")
        return config

    return make


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(directory, "Is a directory", id="a-directory"),
        pytest.param(under_a_file, "Not a directory", id="under-a-file"),
        pytest.param(
            unreadable,
            "Permission denied",
            id="unreadable",
            marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file"),
        ),
        pytest.param(written("port = \n"), "Invalid value (at line 1, column 8)", id="syntax"),
        pytest.param(
            written("port = 1\nport = 2\n"), "Cannot overwrite a value", id="a-repeated-key"
        ),
        pytest.param(written(DEEP_TOML), "nested too deeply", id="too-deep"),
    ],
)
def test_a_config_file_that_cannot_be_read_is_one_line_naming_it(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    config = make(tmp_path)
    result = run("--config", str(config))
    assert (2, "") == (result.returncode, result.stdout)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"sora-mock: config file {str(config)!r}: "), line
    assert reason in line


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ("--faults", DEEP_JSON),
            {},
            "sora-mock: --faults: not valid JSON (nested too deeply)",
        ),
        (
            (),
            {"SORA_MOCK_VARIANTS": DEEP_JSON},
            "sora-mock: SORA_MOCK_VARIANTS: not valid JSON (nested too deeply)",
        ),
    ],
    ids=["flag", "environment"],
)
def test_json_text_nested_too_deeply_is_one_line_naming_its_source(
    args: tuple[str, ...], env: dict[str, str], line: str
) -> None:
    result = run(*args, env=env)
    assert (2, "") == (result.returncode, result.stdout)
    assert [line] == result.stderr.splitlines()


def test_a_fallback_file_that_cannot_be_looked_up_is_an_error_not_an_absence(
    tmp_path: Path,
) -> None:
    """/etc/sora-mock/config.toml is read when present; a name the system cannot look up (here,
    too long; for a user, a folder it may not search) must not pass for a missing file."""
    fallback = tmp_path / ("x" * 300) / "config.toml"
    with pytest.raises(ConfigError, match=r"^config file '.*config\.toml': File name too long$"):
        load(environ={}, fallback_file=fallback)
