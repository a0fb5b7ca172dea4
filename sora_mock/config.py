"""Settings (CONTRACT E): one frozen model, filled from defaults < TOML file < env < flags."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .clock import ClockMode
from .errors import mask_key
from .faults import FaultRule
from .pricing import DEFAULT_PRICING, PriceTable, priced_models
from .variants import Setting as VariantsSetting
from .variants import normalize as normalize_variants
from .variants import read_text as read_variants

ENV_PREFIX: Final = "SORA_MOCK_"
ENV_CONFIG: Final = "SORA_MOCK_CONFIG"
# read by the command line when present and no other file is named (the container's mount point)
DEFAULT_CONFIG: Final = Path("/etc/sora-mock/config.toml")
MiB: Final = 1024 * 1024

NonNegInt = Annotated[int, Field(ge=0)]
PosInt = Annotated[int, Field(ge=1)]


class AccountEntry(BaseModel):
    """An `accounts` entry written as a table: `{balance = n, vip = true}` (B1). What it leaves
    out comes from `default_balance` and `default_vip`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    balance: Annotated[int, Field(ge=0, strict=True)] | None = None
    vip: Annotated[bool, Field(strict=True)] | None = None

    @field_validator("balance", "vip", mode="before")
    @classmethod
    def _given(cls, value: Any) -> Any:
        """A field that is written is a value: leave it out for the default, never null."""
        if value is None:
            raise ValueError("leave it out for the default; it cannot be null")
        return value


class Settings(BaseModel):
    """Every setting of CONTRACT E with its default. Frozen: one simulation, one configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    seed: str = "sora-mock"
    strict: bool = False
    error_status: Literal["200", "http"] = "200"
    auto_provision: bool = True
    default_balance: NonNegInt = 10_000
    default_vip: bool = False
    accounts: dict[str, AccountEntry] = Field(default_factory=dict)
    pricing: dict[str, Any] = Field(default_factory=dict)
    queue_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    run_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 4.0
    clock: ClockMode = "real"
    speed: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    poll_step_seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 2.5
    max_concurrent_tasks: PosInt = 20
    max_body_bytes: PosInt = 16 * MiB
    max_image_bytes: PosInt = 10 * MiB
    max_tasks: PosInt = 100_000
    ledger_size: NonNegInt = 10_000
    journal_size: NonNegInt = 1000
    admin_token: str | None = None
    public_base_url: str | None = None
    fault_header: bool = True
    faults: list[FaultRule] = Field(default_factory=list)
    log_format: Literal["text", "json"] = "text"
    webhook_allow_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1", "localhost"]
    )
    webhook_retries: NonNegInt = 3
    webhook_timeout_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 5.0
    webhook_on_failure: bool = False
    sse_interval_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    variants: VariantsSetting = "contract"

    @field_validator("accounts", mode="before")
    @classmethod
    def _bare_balances(cls, value: Any) -> Any:
        """`"sk-..." = 500` is short for `{balance = 500}`; the key is never echoed (D)."""
        if not isinstance(value, Mapping):
            return value
        entries: dict[Any, Any] = {}
        for key, entry in value.items():
            if isinstance(entry, int) and not isinstance(entry, bool):
                entries[key] = {"balance": entry}
            elif isinstance(entry, Mapping):
                entries[key] = entry
            else:
                raise ValueError(
                    "each entry must be a whole number of credits or a table {balance, vip}, "
                    f"got {type(entry).__name__}"
                )
        return entries

    @field_validator("error_status", mode="before")
    @classmethod
    def _status_number(cls, value: Any) -> Any:
        return "200" if value == 200 and not isinstance(value, bool) else value

    @field_validator("admin_token", "public_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("webhook_allow_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        """Compared case-insensitively and without an IPv6 address's brackets (A7)."""
        hosts = [host.strip().strip("[]").lower() for host in value]
        if any(not host for host in hosts):
            raise ValueError("a host must not be blank")
        return hosts

    @field_validator("variants", mode="before")
    @classmethod
    def _variants(cls, value: Any) -> Any:
        return normalize_variants(value)  # raises ValueError naming the point or form

    @field_validator("pricing")
    @classmethod
    def _pricing(cls, value: dict[str, Any]) -> dict[str, Any]:
        merge_pricing(value)  # raises ValueError naming the bad entry
        return value

    @property
    def price_table(self) -> PriceTable:
        return merge_pricing(self.pricing)


def _price(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where} must be a whole number of credits >= 0, got {value!r}")
    return value


def _frames(where: str, name: Any, allowed: tuple[int, ...]) -> int:
    try:
        frames = int(name)
    except (TypeError, ValueError):
        frames = -1
    if frames not in allowed:
        allowed_text = ", ".join(map(str, allowed))
        raise ValueError(f"{where}: nFrames {name!r} is not one of {allowed_text}")
    return frames


def merge_pricing(overrides: Mapping[str, Any]) -> PriceTable:
    """The default price table with `overrides` laid over it, checked entry by entry."""
    table: dict[str, Any] = {
        model: {k: dict(v) if isinstance(v, dict) else v for k, v in prices.items()}
        for model, prices in DEFAULT_PRICING.items()
    }
    models = priced_models()
    for model, prices in overrides.items():
        spec = models.get(model)
        if spec is None:
            raise ValueError(f"unknown model {model!r}")
        sized, allowed = spec
        if not isinstance(prices, Mapping):
            raise ValueError(f"pricing.{model} must be a table")
        for name, value in prices.items():
            where = f"pricing.{model}.{name}"
            if sized:
                if name not in ("standard", "high") or not isinstance(value, Mapping):
                    raise ValueError(f"{where}: {model} is priced per size (standard, high)")
                for frames, price in value.items():
                    n = _frames(f"{where}.{frames}", frames, allowed)
                    table[model][name][n] = _price(f"{where}.{frames}", price)
            else:
                table[model][_frames(where, name, allowed)] = _price(where, value)
    return table


class ConfigError(Exception):
    """A setting that stops start-up; the message names it."""


_TABLES: Final = ("accounts", "pricing", "faults", "webhook_allow_hosts")
_BOOLS: Final = {"true": True, "false": False, "1": True, "0": False}


def _from_text(name: str, text: str) -> Any:
    """A setting given as text (environment or flag) in the shape the model expects."""
    field = Settings.model_fields[name]
    if name == "variants":  # a bare word (random, contract) is itself; anything else JSON
        try:
            return read_variants(text)
        except ValueError as exc:
            raise ConfigError(f"setting 'variants': {exc}") from None
    if name in _TABLES:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"setting {name!r}: not valid JSON ({exc.msg})") from None
    if field.annotation is bool:
        try:
            return _BOOLS[text.strip().lower()]
        except KeyError:
            raise ConfigError(f"setting {name!r}: expected true or false, got {text!r}") from None
    return text


def read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"config file {os.fspath(path)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {os.fspath(path)!r}: {exc}") from None


def read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """`SORA_MOCK_<SETTING>` variables; any other `SORA_MOCK_*` name is not ours and ignored."""
    values: dict[str, Any] = {}
    for env_name, text in environ.items():
        if not env_name.startswith(ENV_PREFIX) or env_name == ENV_CONFIG:
            continue
        name = env_name[len(ENV_PREFIX) :].lower()
        if name in Settings.model_fields:
            values[name] = _from_text(name, text)
    return values


def load(
    *,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    fallback_file: Path | None = None,
) -> Settings:
    """Merge every source (later wins) and validate once; raise ConfigError naming the setting.

    `fallback_file` is read only when it exists and neither `config_file` nor SORA_MOCK_CONFIG
    names a file.
    """
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    path = config_file or environ.get(ENV_CONFIG) or None
    if path is None and fallback_file is not None and fallback_file.is_file():
        path = fallback_file
    if path:
        merged.update(read_file(path))
    merged.update(read_env(environ))
    for name, text in (flags or {}).items():
        merged[name] = _from_text(name, text)
    merged.update(overrides or {})
    return build(merged)


def build(values: Mapping[str, Any]) -> Settings:
    try:
        return Settings.model_validate(dict(values))
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


_SECRET_FIELDS: Final = frozenset(("api_key", "admin_token", "accounts"))


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
        value = err.get("input")
        secret = any(str(part) in _SECRET_FIELDS for part in err["loc"])
        if err["type"] == "extra_forbidden":
            nested = len(err["loc"]) > 1 or subject != "setting"
            lines.append(f"{where}: unknown field" if nested else f"unknown setting {loc!r}")
        elif secret or isinstance(value, dict | list):
            lines.append(f"{where}: {err['msg']}")
        else:
            lines.append(f"{where}: {err['msg']} (got {value!r:.80})")
    return "; ".join(lines)
