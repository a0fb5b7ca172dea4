"""`--sora-mock-variants`, SORA_MOCK_VARIANTS and the marker's `variants=` (CONTRACT F, G)."""

from __future__ import annotations

import pytest

from .conftest import run_pytest
from .test_plugin import outcomes

# each test says which `message` its server's create answer must carry
MESSAGES = """
import json
import os
import urllib.request

import pytest


def message(mock):
    request = urllib.request.Request(
        mock.url + "/api/v1/video/sora-pro",
        data=json.dumps({"model": "sora-2-text-to-video", "prompt": "x"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **mock.headers},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["message"]


def test_every_server_has_the_options_variants(sora_mock):
    assert message(sora_mock) == os.environ["EXPECTED_MESSAGE"]


@pytest.mark.sora_mock(variants='{"message": "Success"}')
def test_the_marker_gives_json_text(sora_mock):
    assert message(sora_mock) == "Success"


@pytest.mark.sora_mock(variants={"message": "ok"})
def test_the_marker_gives_a_table(sora_mock):
    assert message(sora_mock) == "ok"


@pytest.mark.sora_mock(variants="contract", strict=True)
def test_the_marker_gives_a_word(sora_mock):
    assert message(sora_mock) == "ok"
"""


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, "ok"),
        (("--sora-mock-variants", '{"message": "Success"}'), {}, "Success"),
        (("--sora-mock-variants=contract",), {"SORA_MOCK_VARIANTS": '["message"]'}, "ok"),
        ((), {"SORA_MOCK_VARIANTS": '{"message": "Success"}'}, "Success"),
    ],
    ids=["default", "option", "option-beats-env", "env"],
)
def test_the_option_and_the_environment_set_every_servers_variants(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    env: dict[str, str],
    expected: str,
) -> None:
    monkeypatch.delenv("SORA_MOCK_VARIANTS", raising=False)
    for name, value in {**env, "EXPECTED_MESSAGE": expected}.items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_messages=MESSAGES)
    result = run_pytest(pytester, *args)
    assert {"passed": 4} == outcomes(result)


@pytest.mark.parametrize(
    ("value", "named"),
    [('{"mesage": "ok"}', "'mesage'"), ('{"message": "fine"}', "'fine'"), ("often", "often")],
)
def test_a_bad_option_is_a_usage_error_naming_the_point_or_form(
    pytester: pytest.Pytester, value: str, named: str
) -> None:
    pytester.makepyfile(test_messages=MESSAGES)
    result = run_pytest(pytester, f"--sora-mock-variants={value}")
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines([f"*--sora-mock-variants*{named}*"])


def test_a_bad_marker_value_errors_that_test_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marked="""
import pytest


@pytest.mark.sora_mock(variants=["message", "colour"])
def test_bad(sora_mock):
    pass


def test_good(sora_mock):
    pass
"""
    )
    result = run_pytest(pytester)
    assert {"passed": 1, "errors": 1} == outcomes(result)
    result.stdout.fnmatch_lines(["*unknown point 'colour'*"])


def test_the_readme_recipe_runs_every_test_once_per_form(pytester: pytest.Pytester) -> None:
    """The README's conftest: a `sora_mock_settings` override parametrized by the forms."""
    pytester.makeconftest(
        """
import pytest

FORMS = {"contract": "contract", "success": {"message": "Success"}, "random": "random"}


@pytest.fixture(params=list(FORMS.values()), ids=list(FORMS))
def sora_mock_settings(sora_mock_settings, request):
    return {**sora_mock_settings, "variants": request.param}
"""
    )
    pytester.makepyfile(
        test_forms="""
def test_served_form(sora_mock):
    assert sora_mock.requests() == []
"""
    )
    result = run_pytest(pytester, "-v")
    assert {"passed": 3} == outcomes(result)
    result.stdout.fnmatch_lines(
        [
            "*test_served_form?contract?*",
            "*test_served_form?success?*",
            "*test_served_form?random?*",
        ]
    )
