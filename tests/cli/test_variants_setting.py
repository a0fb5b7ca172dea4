"""The `variants` setting (CONTRACT E, G): its forms in TOML, environment and flags, and the
start-up errors that name an unknown point or form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sora_mock import ConfigError
from sora_mock.config import load

from .test_cli import run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("random", "random"),
        (" contract ", "contract"),
        ('["message", "check_status"]', ["message", "check_status"]),
        (
            '{"message": "Success", "validation_code": -1}',
            {"message": "Success", "validation_code": "-1"},
        ),
        ('{"create_id": "random"}', {"create_id": "random"}),
    ],
)
def test_a_bare_word_is_itself_and_anything_else_is_json(text: str, expected: Any) -> None:
    assert expected == load(environ={"SORA_MOCK_VARIANTS": text}).variants
    assert expected == load(environ={}, flags={"variants": text}).variants


def test_the_toml_file_takes_a_word_a_list_or_a_table(tmp_path: Path) -> None:
    config = tmp_path / "sora-mock.toml"
    for line, expected in [
        ('variants = "random"', "random"),
        ('variants = ["failure_reason"]', ["failure_reason"]),
        (
            'variants = {message = "Success", check_status = 200}',
            {"message": "Success", "check_status": "200"},
        ),
    ]:
        config.write_text(line + "\n", encoding="utf-8")
        assert expected == load(config_file=config, environ={}).variants


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--variants", '["mesage"]'), "'mesage'"),
        (("--variants", '{"messages": "ok"}'), "'messages'"),
        (("--variants", '{"message": "Sucess"}'), "'Sucess'"),
        (("--variants", '{"create_id": "uuid"}'), "'uuid'"),
        (("--variants", "sometimes"), "'sometimes'"),
        (("--variants", "[message"), "JSON"),
    ],
)
def test_an_unknown_point_or_form_stops_start_up_with_status_2(
    args: tuple[str, ...], named: str
) -> None:
    result = run(*args)
    assert (2, "") == (result.returncode, result.stdout)
    assert "variants" in result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_point_in_the_environment_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="unknown point 'msg'"):
        load(environ={"SORA_MOCK_VARIANTS": '{"msg": "ok"}'})
