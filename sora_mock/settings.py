"""The settings (CONTRACT E) as a simulation reads them: one frozen object, checked at start-up
without pydantic.

Importing pydantic and building its models was most of what sora-mock added to aiohttp's own
start-up (issue 17), so the usual values (the defaults, numbers and words from flags and the
environment, the same from a file) are checked here by hand. Whatever this check does not accept
itself, a value it would refuse or one it does not handle (fault rules, accounts, prices), goes
to the pydantic model in `settings_model.py`, which then decides: every refusal, and so every
error message, is the model's own, and what this check accepts is exactly what the model makes
of it (tests/cli/test_settings_check.py holds the two side by side).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from .core.clock import ClockMode
from .core.variants import Setting as VariantsSetting
from .core.variants import normalize as normalize_variants
from .routes.pricing import PriceTable, merge_pricing

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .faults.rule import FaultRule
    from .settings_model import AccountEntry

MiB: Final = 1024 * 1024
# the text forms of numbers taken here: plain digits, no sign, no leading zero, no exponent
_WHOLE: Final = re.compile(r"0|[1-9][0-9]{0,17}")
_DECIMAL: Final = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?")
_EXACT_FLOAT: Final = 2**53


class Refer(Exception):
    """The hand check does not decide this value: the pydantic model does."""


Check = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Field:
    """A setting's type, default and hand check; `annotation` and `get_default` are read as
    pydantic's FieldInfo is (by the command line's --help and the loaders)."""

    annotation: Any
    check: Check
    default: Any = None
    default_factory: Callable[[], Any] | None = None

    def get_default(self, *, call_default_factory: bool = False) -> Any:
        if self.default_factory is None:
            return self.default
        return self.default_factory() if call_default_factory else None


def _text(value: Any) -> Any:
    if type(value) is not str:
        raise Refer
    return value


def _flag(value: Any) -> Any:
    if type(value) is not bool:
        raise Refer
    return value


def _whole(low: int, high: int | None = None) -> Check:
    def check(value: Any) -> Any:
        if type(value) is str and _WHOLE.fullmatch(value):
            value = int(value)
        if type(value) is not int or value < low or (high is not None and value > high):
            raise Refer
        return value

    return check


def _seconds(*, above_zero: bool) -> Check:
    def check(value: Any) -> Any:
        if (type(value) is str and _DECIMAL.fullmatch(value)) or (
            type(value) is int and abs(value) <= _EXACT_FLOAT
        ):
            value = float(value)
        if type(value) is not float or not math.isfinite(value):
            raise Refer
        if value < 0 or (above_zero and value <= 0):
            raise Refer
        return value

    return check


def _one_of(*words: str) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not str or value not in words:
            raise Refer
        return value

    return check


def _status(value: Any) -> Any:
    """The model's before-validator: 200 (a number, as TOML and JSON write it) is "200"."""
    if type(value) is int and value == 200:
        return "200"
    return _one_of("200", "http")(value)


def _token(value: Any) -> Any:
    return None if value is None or value == "" else _text(value)


def _base_url(value: Any) -> Any:
    value = _token(value)
    if value is None:
        return None
    if not value.startswith(("http://", "https://")):
        raise Refer
    return value.rstrip("/")


def _nothing(kind: type) -> Check:
    """An empty table or list; anything in it is the model's to check."""

    def check(value: Any) -> Any:
        if type(value) is not kind or value:
            raise Refer
        return kind()

    return check


def _hosts(value: Any) -> Any:
    if type(value) is not list or any(type(host) is not str for host in value):
        raise Refer
    hosts = [host.strip().strip("[]").lower() for host in value]
    if not all(hosts):
        raise Refer
    return hosts


def _variants(value: Any) -> Any:
    try:
        return normalize_variants(value)
    except (ValueError, TypeError):
        raise Refer from None


# In the model's order, with its defaults (the --help lists them so).
FIELDS: Final[Mapping[str, Field]] = {
    "host": Field(str, _text, "127.0.0.1"),
    "port": Field(int, _whole(0, 65535), 8000),
    "seed": Field(str, _text, "sora-mock"),
    "strict": Field(bool, _flag, False),
    "error_status": Field(Literal["200", "http"], _status, "200"),
    "auto_provision": Field(bool, _flag, True),
    "default_balance": Field(int, _whole(0), 10_000),
    "default_vip": Field(bool, _flag, False),
    "accounts": Field(dict[str, Any], _nothing(dict), default_factory=dict),
    "pricing": Field(dict[str, Any], _nothing(dict), default_factory=dict),
    "queue_seconds": Field(float, _seconds(above_zero=False), 1.0),
    "run_seconds": Field(float, _seconds(above_zero=False), 4.0),
    "clock": Field(ClockMode, _one_of("real", "manual", "poll"), "real"),
    "speed": Field(float, _seconds(above_zero=True), 1.0),
    "poll_step_seconds": Field(float, _seconds(above_zero=False), 2.5),
    "max_concurrent_tasks": Field(int, _whole(1), 20),
    "max_body_bytes": Field(int, _whole(1), 16 * MiB),
    "max_image_bytes": Field(int, _whole(1), 10 * MiB),
    "max_tasks": Field(int, _whole(1), 100_000),
    "ledger_size": Field(int, _whole(0), 10_000),
    "journal_size": Field(int, _whole(0), 1000),
    "admin_token": Field(str | None, _token),
    "public_base_url": Field(str | None, _base_url),
    "fault_header": Field(bool, _flag, True),
    "faults": Field(list[Any], _nothing(list), default_factory=list),
    "log_format": Field(Literal["text", "json"], _one_of("text", "json"), "text"),
    "webhook_allow_hosts": Field(
        list[str], _hosts, default_factory=lambda: ["127.0.0.1", "::1", "localhost"]
    ),
    "webhook_retries": Field(int, _whole(0), 3),
    "webhook_timeout_seconds": Field(float, _seconds(above_zero=True), 5.0),
    "webhook_on_failure": Field(bool, _flag, False),
    "sse_interval_seconds": Field(float, _seconds(above_zero=True), 1.0),
    "variants": Field(VariantsSetting, _variants, "contract"),
}


def hand_checked(values: Mapping[Any, Any]) -> dict[str, Any] | None:
    """Every setting's value when the hand check decides them all, else None (the model's)."""
    checked: dict[str, Any] = {}
    try:
        for name, value in values.items():
            field = FIELDS.get(name) if type(name) is str else None
            if field is None:
                return None  # not a setting: the model names it
            checked[name] = field.check(value)
    except Refer:
        return None
    return checked


def _model() -> type[BaseModel]:
    from .settings_model import Settings as Model  # noqa: PLC0415 (pydantic, only when needed)

    return Model


def _copy(value: Any) -> Any:
    """A hand-checked value as `model_dump` gives it: its own lists and tables."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


class Settings:
    """Every setting of CONTRACT E with its default. Frozen: one simulation, one configuration.

    Made as the pydantic model was (`Settings(clock="manual")`, `Settings.model_validate({...})`)
    and read as it was; a value it refuses raises the model's own ValidationError.
    """

    __slots__ = (*FIELDS, "model_fields_set", "_model")
    model_fields: ClassVar[Mapping[str, Field]] = FIELDS

    host: str
    port: int
    seed: str
    strict: bool
    error_status: Literal["200", "http"]
    auto_provision: bool
    default_balance: int
    default_vip: bool
    accounts: dict[str, AccountEntry]
    pricing: dict[str, Any]
    queue_seconds: float
    run_seconds: float
    clock: ClockMode
    speed: float
    poll_step_seconds: float
    max_concurrent_tasks: int
    max_body_bytes: int
    max_image_bytes: int
    max_tasks: int
    ledger_size: int
    journal_size: int
    admin_token: str | None
    public_base_url: str | None
    fault_header: bool
    faults: list[FaultRule]
    log_format: Literal["text", "json"]
    webhook_allow_hosts: list[str]
    webhook_retries: int
    webhook_timeout_seconds: float
    webhook_on_failure: bool
    sse_interval_seconds: float
    variants: VariantsSetting
    model_fields_set: frozenset[str]
    _model: BaseModel | None

    def __init__(self, **values: Any) -> None:
        self._fill(values)

    @classmethod
    def model_validate(cls, obj: Any) -> Settings:
        if isinstance(obj, Settings):
            return obj
        settings = cls.__new__(cls)
        settings._fill(obj)
        return settings

    @classmethod
    def _made(cls, values: Mapping[str, Any], given: frozenset[str], model: Any) -> Settings:
        settings = cls.__new__(cls)
        for name in FIELDS:
            object.__setattr__(settings, name, values[name])
        object.__setattr__(settings, "model_fields_set", given)
        object.__setattr__(settings, "_model", model)
        return settings

    def __reduce__(self) -> tuple[Any, ...]:
        """copy, deepcopy and pickle as the model's: by value, not by setting attributes."""
        return (Settings._made, (self._values(), self.model_fields_set, self._model))

    def _fill(self, values: Any) -> None:
        checked = hand_checked(values) if isinstance(values, dict) else None
        model = None
        if checked is None:
            model = _model().model_validate(values)  # its ValidationError is the refusal
            given = frozenset(model.model_fields_set)
            for name in FIELDS:
                object.__setattr__(self, name, getattr(model, name))
        else:
            given = frozenset(checked)
            for name, field in FIELDS.items():
                value = (
                    checked[name] if name in given else field.get_default(call_default_factory=True)
                )
                object.__setattr__(self, name, value)
        object.__setattr__(self, "model_fields_set", given)
        object.__setattr__(self, "_model", model)

    def __setattr__(self, name: str, value: Any) -> None:
        """As the frozen model: its own ValidationError (frozen_instance)."""
        _model().model_construct().__setattr__(name, value)
        raise AttributeError(name)  # unreachable while the model is frozen

    def __delattr__(self, name: str) -> None:
        _model().model_construct().__delattr__(name)
        raise AttributeError(name)

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # as the model's: its tables cannot be hashed

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._values().items())
        return f"Settings({shown})"

    def model_dump(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        if self._model is not None:
            return self._model.model_dump(exclude_unset=exclude_unset)
        names = self.model_fields_set if exclude_unset else FIELDS
        return {name: _copy(getattr(self, name)) for name in FIELDS if name in names}

    @property
    def price_table(self) -> PriceTable:
        return merge_pricing(self.pricing)
