"""What a new user meets first at the command line (issue 13): help that explains each flag,
`--version`, one short line for a mistyped flag, a warning for a mistyped variable, config
files in other encodings. The docs' examples of these run in tests/docs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from sora_mock import Settings, __version__
from sora_mock.config import FIXTURE_READER, MSG_ENV_TYPO, MSG_ENV_TYPO_OTHER
from sora_mock.settings import DESCRIPTIONS

from .test_cli import StartServer, call, run, start_server, stop

__all__ = ["start_server"]  # the fixture, used here by name

FLAGS: Final = {name: "--" + name.replace("_", "-") for name in Settings.model_fields}


def help_entries() -> dict[str, str]:
    """`--flag METAVAR  description...` of `sora-mock --help`, by flag."""
    text = run("--help").stdout
    options = text.split("options:", 1)[1]
    entries: dict[str, str] = {}
    current = None
    for line in options.splitlines():
        found = re.match(r"\s{2}(--[a-z-]+)(.*)", line)
        if found:
            current = found.group(1)
            entries[current] = found.group(2)
        elif current is not None:
            entries[current] += " " + line.strip()
    return entries


def test_every_flag_has_a_description() -> None:
    entries = help_entries()
    assert set(FLAGS) == set(DESCRIPTIONS), "a setting without a --help line"
    for name, flag in FLAGS.items():
        # argparse wraps lines (at spaces and after hyphens): compare without whitespace
        wanted = re.sub(r"\s+", "", DESCRIPTIONS[name].split(";")[0])
        assert wanted in re.sub(r"\s+", "", entries[flag]), flag


@pytest.mark.parametrize(
    ("flag", "shown"),
    [
        ("--clock", "{real,manual,poll}"),
        ("--error-status", "{200,http}"),
        ("--log-format", "{text,json}"),
        ("--strict", "{true,false}"),
        ("--auto-provision", "{true,false}"),
        ("--fault-header", "{true,false}"),
    ],
)
def test_help_shows_the_choices(flag: str, shown: str) -> None:
    assert help_entries()[flag].split()[0] == shown


@pytest.mark.parametrize("flag", ["--accounts", "--pricing", "--faults"])
def test_help_says_tables_take_json(flag: str) -> None:
    entry = help_entries()[flag]
    assert "JSON" == entry.split()[0]
    assert "JSON, e.g." in entry


def test_version_prints_the_version() -> None:
    result = run("--version")
    assert (0, f"sora-mock {__version__}\n") == (result.returncode, result.stdout)


def test_an_unknown_flag_is_one_line_naming_the_nearest_setting() -> None:
    result = run("--clok", "manual")
    expected = "sora-mock: unknown setting --clok (did you mean --clock?); see sora-mock --help\n"
    assert (2, "", expected) == (result.returncode, result.stdout, result.stderr)


def test_a_flag_without_its_value_is_one_line() -> None:
    result = run("--clock")
    assert (2, "") == (result.returncode, result.stdout)
    assert 1 == len(result.stderr.splitlines()), result.stderr
    assert "--clock" in result.stderr
    assert "usage:" not in result.stderr


def test_a_bad_choice_names_the_flag_and_the_choices() -> None:
    result = run("--clock", "clok")
    expected = "sora-mock: --clock: 'clok' is not one of real, manual, poll\n"
    assert (2, expected) == (result.returncode, result.stderr)


def test_a_bad_price_in_the_file_names_the_file_and_the_entry(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[pricing."sora-2-text-to-video"]\n12 = 5\n', encoding="utf-8")
    result = run("--config", str(config))
    expected = f"sora-mock: {config}: pricing.sora-2-text-to-video.12: nFrames '12' is not one of"
    assert 2 == result.returncode
    assert result.stderr.startswith(expected), result.stderr
    assert "Value error" not in result.stderr


# -- SORA_MOCK_* names that are almost settings (CONTRACT E) ------------------------------------


def test_a_mistyped_variable_earns_one_warning_and_the_server_starts(
    start_server: StartServer,
) -> None:
    proc, _ = start_server(env={"SORA_MOCK_CLOK": "manual"})
    _, stderr = stop(proc)
    warning = MSG_ENV_TYPO.format(env="SORA_MOCK_CLOK", suggestion="SORA_MOCK_CLOCK", name="clock")
    assert [f"sora-mock: {warning}"] == [line for line in stderr.splitlines() if "warning" in line]


@pytest.mark.parametrize(
    ("variable", "setting"),
    [
        ("SORA_MOCK_PROT", "port"),  # two letters swapped: one edit
        ("SORA_MOCK_STRIKT", "strict"),
        ("SORA_MOCK_MAX_TASK", "max_tasks"),
        ("SORA_MOCK_LOGFORMAT", "log_format"),
    ],
)
def test_a_name_within_two_edits_names_the_setting(variable: str, setting: str) -> None:
    result = run("--port", "not-a-port", env={variable: "1"})
    assert 2 == result.returncode
    warning = f"did you mean SORA_MOCK_{setting.upper()} (setting {setting!r})?"
    assert warning in result.stderr.splitlines()[0]


@pytest.mark.parametrize(
    ("variable", "meant"),
    [
        ("SORA_MOCK_URI", "SORA_MOCK_URL"),
        ("SORA_MOCK_WIAT", "SORA_MOCK_WAIT"),
        ("SORA_MOCK_RECEIVER_ADVERTIZE", "SORA_MOCK_RECEIVER_ADVERTISE"),
        ("SORA_MOCK_INTERCEP", "SORA_MOCK_INTERCEPT"),
    ],
)
def test_a_name_within_two_edits_of_a_fixture_variable_names_it(variable: str, meant: str) -> None:
    result = run("--port", "not-a-port", env={variable: "1"})
    assert 2 == result.returncode
    warning = MSG_ENV_TYPO_OTHER.format(env=variable, suggestion=meant, reader=FIXTURE_READER)
    assert f"sora-mock: {warning}" == result.stderr.splitlines()[0]


@pytest.mark.parametrize(
    "variable",
    [
        "SORA_MOCK_URL",
        "SORA_MOCK_WAIT",
        "SORA_MOCK_ADMIN_TOKEN",
        "SORA_MOCK_VARIANTS",
        "SORA_MOCK_REPORT",
        "SORA_MOCK_RECEIVER_ADVERTISE",
        "SORA_MOCK_INTERCEPT",
        "SORA_MOCK_CONFIG_DIR_OF_MINE_AND_FAR_FROM_ANY",
        "SORA_MOCK_",
    ],
)
def test_the_fixtures_own_variables_and_far_names_do_not_warn(variable: str) -> None:
    result = run("--port", "not-a-port", env={variable: "http://127.0.0.1:1"})
    assert 2 == result.returncode
    assert "warning" not in result.stderr


# -- config files that are not UTF-8 -------------------------------------------------------------

TOML: Final = 'seed = "from-the-file"\nclock = "manual"\n'


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(TOML.encode("utf-16"), "is UTF-16 (it starts with a BOM)", id="utf-16-bom"),
        pytest.param(TOML.encode("utf-16-be"), "is UTF-16 (it has NUL bytes)", id="utf-16-be"),
        pytest.param(TOML.encode("utf-32"), "is UTF-32 (it starts with a BOM)", id="utf-32"),
        pytest.param(b'seed = "caf\xe9"\n', "is not UTF-8 (byte 0xe9 at offset 11)", id="latin-1"),
    ],
)
def test_a_file_that_is_not_utf8_is_one_line_and_status_2(
    tmp_path: Path, raw: bytes, expected: str
) -> None:
    config = tmp_path / "x.toml"
    config.write_bytes(raw)
    result = run("--config", str(config))
    assert (2, "") == (result.returncode, result.stdout)
    assert [f"sora-mock: config file {str(config)!r} {expected}; save it as UTF-8"] == (
        result.stderr.splitlines()
    )


def test_a_utf8_file_with_a_byte_order_mark_is_read(
    start_server: StartServer, tmp_path: Path
) -> None:
    config = tmp_path / "bom.toml"
    config.write_bytes(b"\xef\xbb\xbf" + b"default_balance = 77\n")
    proc, url = start_server("--config", str(config))
    status, account = call(url, "POST", "/__mock/accounts/sk-bom-0001")
    stop(proc)
    assert (200, 77) == (status, account["balance"])
