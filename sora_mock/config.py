"""Settings (CONTRACT E): one frozen object, filled from defaults < TOML file < env < flags,
and the one-line errors that name a bad value's setting and source."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .core.errors import mask_key
from .settings import ENV_PREFIX, env_name, flag_name, hand_checked
from .settings import Settings as Settings  # noqa: PLC0414 (re-exported: imported from here)

if TYPE_CHECKING:
    from pydantic import ValidationError

ENV_CONFIG: Final = "SORA_MOCK_CONFIG"
# read by the command line when present and no other file is named (the container's mount point)
DEFAULT_CONFIG: Final = Path("/etc/sora-mock/config.toml")


class ConfigError(Exception):
    """A setting that stops start-up; the message names it and where its value came from."""


_BOOLS: Final = {"true": True, "false": False, "1": True, "0": False}
# SORA_MOCK_* names that are read although they are not settings, and by what: none of them
# earns a warning, and a name within two edits of one earns the warning a mistyped setting does
# (SORA_MOCK_INTERCEPT is kept for the fixture's interception, CONTRACT F1)
FIXTURE_READER: Final = "a variable of the pytest plugin"
OTHER_ENV: Final = {
    ENV_CONFIG: "the config file",
    "SORA_MOCK_URL": FIXTURE_READER,
    "SORA_MOCK_WAIT": FIXTURE_READER,
    "SORA_MOCK_ADMIN_TOKEN": FIXTURE_READER,
    "SORA_MOCK_VARIANTS": FIXTURE_READER,
    "SORA_MOCK_REPORT": FIXTURE_READER,
    "SORA_MOCK_RECEIVER_ADVERTISE": FIXTURE_READER,
    "SORA_MOCK_INTERCEPT": FIXTURE_READER,
}
MSG_ENV_TYPO: Final = (
    "warning: {env} is not a setting and is ignored; did you mean {suggestion} (setting {name!r})?"
)
MSG_ENV_TYPO_OTHER: Final = (
    "warning: {env} is not a setting and is ignored; did you mean {suggestion} ({reader})?"
)
MSG_UTF16: Final = "config file {path!r} is {encoding}; save it as UTF-8"
MSG_NOT_UTF8: Final = (
    "config file {path!r} is not UTF-8 (byte 0x{byte:02x} at offset {offset}); save it as UTF-8"
)
MSG_NOT_JSON: Final = "not valid JSON ({reason})"
MSG_NOT_BOOL: Final = "expected true or false, got {text!r}"
MSG_TOO_DEEP: Final = "nested too deeply"
UTF8_BOM: Final = b"\xef\xbb\xbf"
# longest first: UTF-32's byte-order marks begin with UTF-16's
_WIDE_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _from_text(name: str, text: str, source: str) -> Any:
    """A setting given as text (environment or flag) in the shape the model expects."""
    field = Settings.model_fields[name]
    try:
        if field.read is not None:  # variants: a bare word is itself; anything else JSON
            return field.read(text)
        if field.is_table:
            return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: {MSG_NOT_JSON.format(reason=exc.msg)}") from None
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except RecursionError:  # the decoder's own limit: a traceback otherwise
        raise ConfigError(f"{source}: {MSG_NOT_JSON.format(reason=MSG_TOO_DEEP)}") from None
    if field.annotation is bool:
        try:
            return _BOOLS[text.strip().lower()]
        except KeyError:
            raise ConfigError(f"{source}: {MSG_NOT_BOOL.format(text=text)}") from None
    return text


def decode_toml(path: str, raw: bytes) -> str:
    """The file's text, or a one-line reason why it is not UTF-8 TOML.

    A UTF-8 byte-order mark (Notepad's "UTF-8 with BOM") is dropped: the text is still UTF-8.
    UTF-16 and UTF-32 (PowerShell's `>` writes UTF-16) are refused by name.
    """
    for bom, encoding in _WIDE_BOMS:
        if raw.startswith(bom):
            return _fail(MSG_UTF16.format(path=path, encoding=f"{encoding} (it starts with a BOM)"))
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    if b"\x00" in raw[:64]:
        return _fail(MSG_UTF16.format(path=path, encoding="UTF-16 (it has NUL bytes)"))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        return _fail(MSG_NOT_UTF8.format(path=path, byte=byte, offset=exc.start))


def _fail(message: str) -> str:
    raise ConfigError(message)


def read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    import tomllib  # noqa: PLC0415 (only a start with a file reads TOML)

    shown = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"config file {shown!r}: {exc.strerror}") from None
    try:
        return tomllib.loads(decode_toml(shown, raw))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {shown!r}: {exc}") from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise ConfigError(f"config file {shown!r}: {MSG_TOO_DEEP}") from None


def read_env(environ: Mapping[str, str], sources: dict[str, str] | None = None) -> dict[str, Any]:
    """`SORA_MOCK_<SETTING>` variables; any other `SORA_MOCK_*` name is not ours and ignored."""
    values: dict[str, Any] = {}
    for variable, text in environ.items():
        if not variable.startswith(ENV_PREFIX) or variable == ENV_CONFIG:
            continue
        name = variable[len(ENV_PREFIX) :].lower()
        if name in Settings.model_fields:
            values[name] = _from_text(name, text, variable)
            if sources is not None:
                sources[name] = variable
    return values


def edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap of two letters is one."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def closest(word: str, names: Iterable[str], limit: int = 2) -> str | None:
    """The name within `limit` edits of `word` that is nearest (the first of equals)."""
    best: tuple[int, str] | None = None
    for name in names:
        distance = edits(word, name)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, name)
    return None if best is None else best[1]


def env_warnings(environ: Mapping[str, str]) -> list[str]:
    """One line per `SORA_MOCK_*` name that is not read but within two edits of one that is: a
    setting's (E) or another name in OTHER_ENV, such as the fixture's (F1). The nearest wins;
    between equals, the setting."""
    others = {name[len(ENV_PREFIX) :].lower(): name for name in OTHER_ENV}
    lines = []
    for variable in sorted(environ):
        if not variable.startswith(ENV_PREFIX) or variable in OTHER_ENV:
            continue
        word = variable[len(ENV_PREFIX) :].lower()
        if not word or word in Settings.model_fields:
            continue
        name = closest(word, [*Settings.model_fields, *others])
        if name is None:
            continue
        if name in Settings.model_fields:
            lines.append(MSG_ENV_TYPO.format(env=variable, suggestion=env_name(name), name=name))
        else:
            other = others[name]
            reader = OTHER_ENV[other]
            lines.append(MSG_ENV_TYPO_OTHER.format(env=variable, suggestion=other, reader=reader))
    return lines


def load(
    *,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    fallback_file: Path | None = None,
) -> Settings:
    """Merge every source (later wins) and validate once; raise ConfigError naming the setting
    and the source of the bad value: the file, the variable or the flag.

    `fallback_file` is read only when it exists and neither `config_file` nor SORA_MOCK_CONFIG
    names a file.
    """
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_file or environ.get(ENV_CONFIG) or None
    if path is None and fallback_file is not None and _present(fallback_file):
        path = fallback_file
    if path:
        from_file = read_file(path)
        merged.update(from_file)
        sources.update(dict.fromkeys(from_file, FILE_SOURCE + os.fspath(path)))
    merged.update(read_env(environ, sources))
    for name, text in (flags or {}).items():
        merged[name] = _from_text(name, text, flag_name(name))
        sources[name] = flag_name(name)
    merged.update(overrides or {})
    for name in overrides or {}:
        sources.pop(name, None)
    return build(merged, sources)


FILE_SOURCE: Final = "file:"


def _present(path: Path) -> bool:
    """Whether the fallback file is there. Only "no such file" is an absence: a folder on the
    way that cannot be searched, or a name that cannot be looked up, stops start-up naming it
    (Path.is_file raised a traceback for them), since the container's mount must not go unread."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise ConfigError(f"config file {os.fspath(path)!r}: {exc.strerror}") from None


def build(values: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> Settings:
    values = dict(values)
    if hand_checked(values) is None:  # pydantic's to decide (settings.py), and to word
        from pydantic import ValidationError  # noqa: PLC0415 (see the comment above)

        try:
            return Settings.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(describe_settings(exc, sources or {}, values)) from None
    return Settings.model_validate(values)


_SECRET_FIELDS: Final = frozenset(("api_key", "admin_token", "accounts"))


def describe_settings(
    exc: ValidationError, sources: Mapping[str, str], values: Mapping[str, Any] | None = None
) -> str:
    """One sentence per error: where the value came from, the setting's path, what is wrong.

    `--clock: 'clok' is not one of real, manual, poll`, `SORA_MOCK_PORT: must be 65535 or
    less, got 70000`, `sora-mock.toml: pricing.sora-2-text-to-video.12: ...`; a setting given
    in code (create_app, the fixture's marker) is named as `setting 'clock'`. An `accounts`
    entry is named by its place and its masked key: `--accounts: entry 2 (key ****): balance:
    must be 0 or more, got -5`.
    """
    lines = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        name = loc[0] if loc else ""
        source = sources.get(name)
        detail = _detail(err)
        if name == "accounts" and len(loc) > 1:
            where = ": ".join([_account_entry(loc[1], (values or {}).get(name)), *loc[2:]])
            if source is None:
                lines.append(f"setting 'accounts': {where}: {detail}")
            elif source.startswith(FILE_SOURCE):
                lines.append(f"{source[len(FILE_SOURCE) :]}: accounts: {where}: {detail}")
            else:
                lines.append(f"{source}: {where}: {detail}")
            continue
        if err["type"] == "extra_forbidden" and len(loc) == 1:
            hint = closest(name, Settings.model_fields)
            detail = f"unknown setting {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            lines.append(f"{source[len(FILE_SOURCE) :]}: {detail}" if source else detail)
            continue
        path = ".".join(loc)
        if detail.startswith((path + ":", path + ".")) and ": " in detail:
            # the rule's own message already names the path, deeper than pydantic's
            path, detail = detail.split(": ", 1)
        if source is None:
            lines.append(f"setting {path!r}: {detail}")
        elif source.startswith(FILE_SOURCE):
            lines.append(f"{source[len(FILE_SOURCE) :]}: {path}: {detail}")
        else:
            inner = path[len(name) + 1 :]
            lines.append(f"{source}: {inner}: {detail}" if inner else f"{source}: {detail}")
    return "; ".join(lines)


def _account_entry(key: str, accounts: Any) -> str:
    """`entry 2 (key ****-0001)`: the key masked, as everywhere (CONTRACT D), and its place in
    the table, which tells apart keys that mask alike (a key of four characters or fewer is
    all stars)."""
    keys = [str(k) for k in accounts] if isinstance(accounts, Mapping) else []
    place = f"entry {keys.index(key) + 1} " if key in keys else ""
    return f"{place}(key {mask_key(key)})"


def _choices(expected: str) -> str:
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


def _detail(err: Any) -> str:
    """pydantic's error in this project's words (no "Input should be", no "Value error, ")."""
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    secret = any(str(part) in _SECRET_FIELDS for part in err["loc"])
    # under a secret field a number or a boolean is shown (it is no key); text never is
    echo = not secret or (isinstance(value, int | float | bool) and len(err["loc"]) > 2)
    got = f", got {value!r:.80}" if echo and not isinstance(value, dict | list) else ""
    if kind == "literal_error":
        shown = "the value" if secret else f"{value!r:.80}"
        return f"{shown} is not one of {_choices(str(ctx.get('expected', '')))}"
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err["msg"]))
        return message if repr(value) in message else message + got
    words = {
        "missing": "is required",
        "extra_forbidden": "unknown field",
        "bool_type": "expected true or false",
        "bool_parsing": "expected true or false",
        "int_type": "expected a whole number",
        "int_parsing": "expected a whole number",
        "int_from_float": "expected a whole number",
        "float_type": "expected a number",
        "float_parsing": "expected a number",
        "finite_number": "expected a finite number",
        "string_type": "expected a string",
        "dict_type": "expected a table (a JSON object in the environment or as a flag)",
        "list_type": "expected a list (a JSON array in the environment or as a flag)",
        "model_type": "expected a table (a JSON object in the environment or as a flag)",
        "model_attributes_type": "expected a table (a JSON object in the environment or a flag)",
    }
    bounds = {
        "greater_than_equal": "must be {ge} or more",
        "greater_than": "must be more than {gt}",
        "less_than_equal": "must be {le} or less",
        "less_than": "must be less than {lt}",
        "string_too_short": "must have at least {min_length} character(s)",
        "too_short": "must have at least {min_length} item(s)",
        "too_long": "must have at most {max_length} item(s)",
    }
    if kind in words:
        return words[kind] + ("" if kind in ("missing", "extra_forbidden") else got)
    if kind in bounds:
        return bounds[kind].format(**ctx) + got
    return f"{err['msg']}{got}"


def describe(exc: ValidationError, *, subject: str = "setting") -> str:
    """One sentence per error, naming the setting or field and the offending scalar value.

    Values of fields that hold API keys are never echoed, nor whole objects that may contain
    them: keys never appear whole in an error message (CONTRACT D).
    """
    lines = []
    for err in exc.errors():
        parts = [str(part) for part in err["loc"]]
        if len(parts) > 1 and parts[0] == "accounts":
            parts[1] = mask_key(parts[1])  # an account's key, named but never whole
        loc = ".".join(parts)
        where = f"{subject} {loc!r}" if loc else subject
        if err["type"] == "extra_forbidden":
            nested = len(err["loc"]) > 1 or subject != "setting"
            lines.append(f"{where}: unknown field" if nested else f"unknown setting {loc!r}")
        else:
            lines.append(f"{where}: {_detail(err)}")
    return "; ".join(lines)
