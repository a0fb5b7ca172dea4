"""Settings (CONTRACT E): defaults < TOML file < SORA_MOCK_* < flags, and one error per bad value.

`environ` is always passed so the real environment of the test run never leaks in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest
from pytest_aiohttp import AiohttpClient

from sora_mock import ConfigError, Settings, create_app
from sora_mock.config import load

from ..helpers import KEY, admin, balance, create, create_ok

EXAMPLE: Final = Path(__file__).parents[2] / "fixtures" / "config" / "example.toml"
MiB: Final = 1024 * 1024

CONTRACT_SETTINGS: Final = (
    "host",
    "port",
    "seed",
    "strict",
    "error_status",
    "auto_provision",
    "default_balance",
    "default_vip",
    "accounts",
    "pricing",
    "queue_seconds",
    "run_seconds",
    "clock",
    "speed",
    "poll_step_seconds",
    "max_concurrent_tasks",
    "max_body_bytes",
    "max_image_bytes",
    "max_tasks",
    "ledger_size",
    "journal_size",
    "admin_token",
    "public_base_url",
    "fault_header",
    "faults",
    "log_format",
    "variants",
    "webhook_allow_hosts",
    "webhook_retries",
    "webhook_timeout_seconds",
    "webhook_on_failure",
    "sse_interval_seconds",
    "tls",
    "tls_names",
    "tls_ca_dir",
)

# Each setting as text (the form of SORA_MOCK_<NAME> and of a flag), and the value it means.
AS_TEXT: Final[dict[str, tuple[str, Any]]] = {
    "host": ("0.0.0.0", "0.0.0.0"),  # noqa: S104 - parsed only, never bound
    "port": ("8123", 8123),
    "seed": ("another-seed", "another-seed"),
    "strict": ("true", True),
    "error_status": ("http", "http"),
    "auto_provision": ("false", False),
    "default_balance": ("42", 42),
    "default_vip": ("true", True),
    "accounts": ('{"sk-a": 5, "sk-b": 0}', {"sk-a": 5, "sk-b": 0}),
    "pricing": ('{"sora-2-text-to-video": {"10": 7}}', {"sora-2-text-to-video": {"10": 7}}),
    "queue_seconds": ("0.5", 0.5),
    "run_seconds": ("9", 9.0),
    "clock": ("poll", "poll"),
    "speed": ("2.5", 2.5),
    "poll_step_seconds": ("1", 1.0),
    "max_concurrent_tasks": ("3", 3),
    "max_body_bytes": ("2048", 2048),
    "max_image_bytes": ("1024", 1024),
    "max_tasks": ("10", 10),
    "ledger_size": ("0", 0),
    "journal_size": ("7", 7),
    "admin_token": ("s3cret", "s3cret"),
    "public_base_url": ("https://mock.example", "https://mock.example"),
    "fault_header": ("false", False),
    "faults": ('[{"action": "reset", "route": "files"}]', [{"action": "reset", "route": "files"}]),
    "log_format": ("json", "json"),
    "variants": ("random", "random"),
    "webhook_allow_hosts": ('["hooks.internal", "[::1]"]', ["hooks.internal", "::1"]),
    "webhook_retries": ("0", 0),
    "webhook_timeout_seconds": ("0.25", 0.25),
    "webhook_on_failure": ("true", True),
    "sse_interval_seconds": ("0.5", 0.5),
    "tls": ("true", True),
    "tls_names": ('["Mock.Internal", "[::2]", "10.0.0.5"]', ["mock.internal", "::2", "10.0.0.5"]),
    "tls_ca_dir": ("/var/lib/sora-mock-ca", "/var/lib/sora-mock-ca"),
}


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sora-mock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def typed(name: str, value: Any) -> Any:
    """`value` as the Settings field holds it (a fault rule table becomes rule objects)."""
    return getattr(Settings.model_validate({name: value}), name)


def test_the_settings_are_exactly_the_contracts() -> None:
    assert sorted(CONTRACT_SETTINGS) == sorted(Settings.model_fields)
    assert sorted(Settings.model_fields) == sorted(AS_TEXT)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("host", "127.0.0.1"),
        ("port", 8000),
        ("seed", "sora-mock"),
        ("strict", False),
        ("error_status", "200"),
        ("auto_provision", True),
        ("default_balance", 10_000),
        ("default_vip", False),
        ("accounts", {}),
        ("queue_seconds", 1),
        ("run_seconds", 4),
        ("clock", "real"),
        ("speed", 1),
        ("poll_step_seconds", 2.5),
        ("max_concurrent_tasks", 20),
        ("max_body_bytes", 16 * MiB),
        ("max_image_bytes", 10 * MiB),
        ("max_tasks", 100_000),
        ("ledger_size", 10_000),
        ("journal_size", 1000),
        ("admin_token", None),
        ("public_base_url", None),
        ("fault_header", True),
        ("faults", []),
        ("log_format", "text"),
        ("variants", "contract"),
        ("webhook_allow_hosts", ["127.0.0.1", "::1", "localhost"]),
        ("webhook_retries", 3),
        ("webhook_timeout_seconds", 5),
        ("webhook_on_failure", False),
        ("sse_interval_seconds", 1),
        ("tls", False),
        ("tls_names", []),
        ("tls_ca_dir", None),
    ],
)
def test_with_no_source_every_setting_has_the_contract_default(name: str, expected: Any) -> None:
    assert expected == getattr(load(environ={}), name)


# One setting given by several sources: (TOML line, env text, flag text) and what each means.
PRECEDENCE: Final[dict[str, tuple[tuple[str, str, str], dict[str, Any]]]] = {
    "seed": (
        ('seed = "from-file"', "from-env", "from-flag"),
        {"default": "sora-mock", "file": "from-file", "env": "from-env", "flag": "from-flag"},
    ),
    "default_balance": (
        ("default_balance = 1", "2", "3"),
        {"default": 10_000, "file": 1, "env": 2, "flag": 3},
    ),
    "strict": (
        ("strict = true", "0", "true"),
        {"default": False, "file": True, "env": False, "flag": True},
    ),
}


@pytest.mark.parametrize("name", sorted(PRECEDENCE))
@pytest.mark.parametrize(
    ("given", "winner"),
    [
        ((), "default"),
        (("file",), "file"),
        (("env",), "env"),
        (("file", "env"), "env"),
        (("flag",), "flag"),
        (("file", "flag"), "flag"),
        (("env", "flag"), "flag"),
        (("file", "env", "flag"), "flag"),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, tuple) else f"{value}-wins",
)
def test_flags_beat_environment_beat_file_beat_defaults(
    tmp_path: Path, name: str, given: tuple[str, ...], winner: str
) -> None:
    (file_line, env_text, flag_text), meaning = PRECEDENCE[name]
    settings = load(
        config_file=toml(tmp_path, file_line) if "file" in given else None,
        environ={f"SORA_MOCK_{name.upper()}": env_text} if "env" in given else {},
        flags={name: flag_text} if "flag" in given else {},
    )
    assert meaning[winner] == getattr(settings, name)


@pytest.mark.parametrize("name", sorted(AS_TEXT))
def test_every_setting_is_read_from_its_environment_variable(name: str) -> None:
    text, value = AS_TEXT[name]
    settings = load(environ={f"SORA_MOCK_{name.upper()}": text})
    assert typed(name, value) == getattr(settings, name)
    assert getattr(settings, name) != getattr(Settings(), name)


@pytest.mark.parametrize("name", sorted(AS_TEXT))
def test_every_setting_is_read_from_its_flag(name: str) -> None:
    text, value = AS_TEXT[name]
    settings = load(environ={}, flags={name: text})
    assert typed(name, value) == getattr(settings, name)


@pytest.mark.parametrize(
    ("text", "expected"), [("true", True), ("false", False), ("1", True), ("0", False)]
)
@pytest.mark.parametrize("name", ["strict", "auto_provision", "fault_header"])
def test_environment_booleans_are_true_false_1_or_0(name: str, text: str, expected: bool) -> None:
    settings = load(environ={f"SORA_MOCK_{name.upper()}": text})
    assert expected == getattr(settings, name)


def test_sora_mock_config_names_the_file(tmp_path: Path) -> None:
    path = toml(tmp_path, 'seed = "named-by-env"')
    assert "named-by-env" == load(environ={"SORA_MOCK_CONFIG": str(path)}).seed


def test_an_explicit_config_file_beats_sora_mock_config(tmp_path: Path) -> None:
    chosen = toml(tmp_path, 'seed = "chosen"')
    other = tmp_path / "other.toml"
    other.write_text('seed = "other"', encoding="utf-8")
    settings = load(config_file=chosen, environ={"SORA_MOCK_CONFIG": str(other)})
    assert "chosen" == settings.seed


@pytest.mark.parametrize(
    "env_name", ["SORA_MOCK_URL", "SORA_MOCK_SOMETHING_ELSE", "SORA_MOCK_", "SORA_MOCKPORT"]
)
def test_other_sora_mock_variables_are_ignored(env_name: str) -> None:
    assert Settings() == load(environ={env_name: "http://127.0.0.1:1"})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"file": 'error_status = "200"'}, "200"),
        ({"file": "error_status = 200"}, "200"),
        ({"file": 'error_status = "http"'}, "http"),
        ({"env": "200"}, "200"),
        ({"env": "http"}, "http"),
        ({"flag": "200"}, "200"),
        ({"flag": "http"}, "http"),
    ],
    ids=str,
)
def test_error_status_is_200_as_text_or_number_or_http(
    tmp_path: Path, source: dict[str, str], expected: str
) -> None:
    settings = load(
        config_file=toml(tmp_path, source["file"]) if "file" in source else None,
        environ={"SORA_MOCK_ERROR_STATUS": source["env"]} if "env" in source else {},
        flags={"error_status": source["flag"]} if "flag" in source else {},
    )
    assert expected == settings.error_status


def test_the_contracts_pricing_examples_load_from_toml(tmp_path: Path) -> None:
    path = toml(
        tmp_path,
        '[pricing."sora-2-text-to-video"]\n10 = 20\n\n'
        '[pricing."sora-2-pro-text-to-video".high]\n10 = 60\n',
    )
    settings = load(config_file=path, environ={})
    expected = {
        "sora-2-text-to-video": {"10": 20},
        "sora-2-pro-text-to-video": {"high": {"10": 60}},
    }
    assert expected == settings.pricing


def test_the_example_file_loads_every_table_form() -> None:
    settings = load(config_file=EXAMPLE, environ={})
    assert "example-seed" == settings.seed
    assert "200" == settings.error_status
    assert {"sk-example-rich": (100_000, True), "sk-example-broke": (0, None)} == {
        key: (entry.balance, entry.vip) for key, entry in settings.accounts.items()
    }
    expected_faults = [("error", "create", 503), ("delay", "check_result", None)]
    assert expected_faults == [(rule.action, rule.route, rule.code) for rule in settings.faults]


def test_tables_in_the_environment_are_json() -> None:
    settings = load(
        environ={
            "SORA_MOCK_ACCOUNTS": '{"sk-env": 3}',
            "SORA_MOCK_PRICING": '{"sora-2-pro-text-to-video": {"high": {"10": 61}}}',
            "SORA_MOCK_FAULTS": '[{"action": "error", "code": 502, "nth": 2}]',
        }
    )
    assert {"sk-env": 3} == {key: entry.balance for key, entry in settings.accounts.items()}
    assert {"sora-2-pro-text-to-video": {"high": {"10": 61}}} == settings.pricing
    assert [("error", 502, 2)] == [(r.action, r.code, r.nth) for r in settings.faults]


async def test_prices_accounts_and_faults_from_the_file_reach_the_server(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    """The overridden prices are charged; the prices not named keep their defaults."""
    path = toml(
        tmp_path,
        f"""
clock = "manual"

[accounts]
"{KEY}" = 10000

[pricing."sora-2-text-to-video"]
10 = 7

[pricing."sora-2-pro-text-to-video".high]
10 = 61

[[faults]]
route = "create"
prompt_contains = "break"
action = "error"
code = 503
""",
    )
    client = await aiohttp_client(create_app(load(config_file=path, environ={})))
    charges = []
    for body in [
        {"model": "sora-2-text-to-video", "prompt": "x"},
        {"model": "sora-2-text-to-video", "prompt": "x", "nFrames": 15},
        {"model": "sora-2-pro-text-to-video", "prompt": "x", "size": "high"},
        {"model": "sora-2-pro-text-to-video", "prompt": "x", "size": "standard"},
    ]:
        before = await balance(client)
        await create_ok(client, body)
        charges.append(before - await balance(client))
    assert [7, 150, 61, 375] == charges

    refused = await create(client, {"model": "sora-2-text-to-video", "prompt": "break it"})
    assert 503 == refused["code"]
    assert [503] == [rule["code"] for rule in (await admin(client, "GET", "/faults"))["faults"]]


BAD_VALUES: Final = [
    ("file", "colour = 'red'", "colour"),
    ("flag", "abc", "port"),
    ("env", "70000", "port"),
    ("file", "port = -1", "port"),
    ("flag", "sundial", "clock"),
    ("env", "maybe", "strict"),
    ("flag", "maybe", "fault_header"),
    ("file", 'strict = "maybe"', "strict"),
    ("env", "{not json", "accounts"),
    ("flag", "[", "faults"),
    ("env", '{"sora-3-text-to-video": {"10": 20}}', "pricing"),
    ("file", '[pricing."sora-3-text-to-video"]\n10 = 20', "pricing"),
    ("file", '[[faults]]\naction = "error"\ncolour = "red"', "faults"),
    ("flag", '[{"action": "explode"}]', "faults"),
    ("flag", "-5", "default_balance"),
    ("file", "default_balance = -5", "default_balance"),
    ("flag", "201", "error_status"),
    ("file", "error_status = 201", "error_status"),
    ("file", "error_status = true", "error_status"),
    ("env", "text/plain", "log_format"),
    ("env", '{"sk-a": {"balance": 5, "vip": "yes"}}', "accounts"),
    ("flag", '{"sk-a": {"balance": -5}}', "accounts"),
    ("flag", '{"sk-a": {"balance": "5.0"}}', "accounts"),
    ("env", '{"sk-a": "+5"}', "accounts"),
    ("flag", '{"sora-2-text-to-video": {"10": "2_5"}}', "pricing"),
    ("env", " 8001", "port"),
    ("file", "max_tasks = true", "max_tasks"),
    ("env", '{"sk-a": {"colour": "red"}}', "accounts"),
    ("env", '{"sk-a": true}', "accounts"),
    ("env", '{"sk-a": [5]}', "accounts"),
    ("file", '[accounts]\n"sk-a" = { vip = 1 }', "accounts"),
    ("flag", "maybe", "default_vip"),
    ("env", "-1", "ledger_size"),
    ("file", "ledger_size = 1.5", "ledger_size"),
    ("env", "localhost", "webhook_allow_hosts"),
    ("flag", '[""]', "webhook_allow_hosts"),
    ("flag", "-1", "webhook_retries"),
    ("file", "webhook_timeout_seconds = 0", "webhook_timeout_seconds"),
    ("env", "0", "sse_interval_seconds"),
    ("flag", '[{"route": "webhook", "action": "timeout"}]', "faults"),
    ("file", '[[faults]]\nroute = "create"\naction = "drop"', "faults"),
]


def test_a_bad_account_entry_names_the_setting_but_never_the_whole_key() -> None:
    with pytest.raises(ConfigError) as caught:
        load(environ={"SORA_MOCK_ACCOUNTS": '{"sk-secret-key-0001": {"vip": "yes"}}'})
    message = str(caught.value)
    assert message.startswith("SORA_MOCK_ACCOUNTS: ")  # the variable the value came from
    assert "sk-secret-key-0001" not in message
    assert "0001" in message  # masked, as everywhere (D)


@pytest.mark.parametrize(("source", "value", "name"), BAD_VALUES)
def test_a_bad_value_is_a_config_error_that_names_the_setting_and_its_source(
    tmp_path: Path, source: str, value: str, name: str
) -> None:
    """`--clock: ...`, `SORA_MOCK_PORT: ...`, `<file>: pricing.<model>...: ...` (issue 13)."""
    config = toml(tmp_path, value) if source == "file" else None
    with pytest.raises(ConfigError) as raised:
        load(
            config_file=config,
            environ={f"SORA_MOCK_{name.upper()}": value} if source == "env" else {},
            flags={name: value} if source == "flag" else {},
        )
    message = str(raised.value)
    if source == "file":
        assert message.startswith(f"{config}: "), message
        assert name in message
    else:
        label = f"SORA_MOCK_{name.upper()}" if source == "env" else "--" + name.replace("_", "-")
        assert message.startswith(f"{label}: "), message
    assert "Input should" not in message
    assert "Value error" not in message


@pytest.mark.parametrize("named_by", ["argument", "SORA_MOCK_CONFIG"])
def test_a_missing_config_file_is_a_config_error_naming_it(tmp_path: Path, named_by: str) -> None:
    missing = str(tmp_path / "missing.toml")
    how: dict[str, Any] = (
        {"config_file": missing, "environ": {}}
        if named_by == "argument"
        else {"environ": {"SORA_MOCK_CONFIG": missing}}
    )
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load(**how)


def test_the_fallback_file_is_read_only_when_present_and_no_other_file_is_named(
    tmp_path: Path,
) -> None:
    fallback = tmp_path / "fallback.toml"
    named = tmp_path / "named.toml"
    assert "sora-mock" == load(environ={}, fallback_file=fallback).seed
    fallback.write_text('seed = "from-fallback"\n')
    named.write_text('seed = "from-named"\n')
    assert "from-fallback" == load(environ={}, fallback_file=fallback).seed
    assert "from-named" == load(environ={}, config_file=named, fallback_file=fallback).seed
    environ = {"SORA_MOCK_CONFIG": str(named)}
    assert "from-named" == load(environ=environ, fallback_file=fallback).seed
