"""The settings (CONTRACT E) as a pydantic model: the reference that `settings.Settings`
checks by hand at start-up, and the checker of every value that the hand check leaves to it (a
value it refuses, or one it does not handle itself, such as fault rules). Its errors are the
ones users see, so a bad value reads the same whichever path met it; loaded on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .core.clock import ClockMode
from .core.digits import MSG_WHOLE, is_whole_text, whole_from_text
from .core.variants import Setting as VariantsSetting
from .core.variants import normalize as normalize_variants
from .faults.rule import FaultRule
from .routes.pricing import PriceTable, merge_pricing
from .settings import FIELDS

MiB: Final = 1024 * 1024
MSG_ACCOUNT_ENTRY: Final = (
    "must be a whole number of credits or a table {{balance, vip}}, got {got}"
)
_WHOLE_SETTINGS: Final = tuple(name for name, field in FIELDS.items() if field.annotation is int)
NonNegInt = Annotated[int, Field(ge=0)]
PosInt = Annotated[int, Field(ge=1)]


class AccountEntry(BaseModel):
    """An `accounts` entry written as a table: `{balance = n, vip = true}` (B1). What it leaves
    out comes from `default_balance` and `default_vip`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    balance: Annotated[int, Field(ge=0, strict=True)] | None = None
    vip: Annotated[bool, Field(strict=True)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_balance(cls, value: Any) -> Any:
        """`"sk-..." = 500` is short for `{balance = 500}`. Checked here, per entry, so that an
        error's location is the entry's key (masked when shown: D) rather than the whole table."""
        entry = whole_from_text(value)
        if isinstance(entry, int) and not isinstance(entry, bool):
            return {"balance": entry}
        if isinstance(entry, Mapping):
            return entry
        # the value itself only when it cannot be a key: an entry's text might be one (D)
        if isinstance(entry, bool | float) or entry is None:
            shown = repr(entry)
        elif isinstance(entry, str):
            shown = "text"
        else:
            shown = "a list" if isinstance(entry, list) else type(entry).__name__
        raise ValueError(MSG_ACCOUNT_ENTRY.format(got=shown))

    @field_validator("balance", "vip", mode="before")
    @classmethod
    def _given(cls, value: Any, info: ValidationInfo) -> Any:
        """A field that is written is a value: leave it out for the default, never null."""
        if value is None:
            raise ValueError("leave it out for the default; it cannot be null")
        return whole_from_text(value) if info.field_name == "balance" else value


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

    @field_validator(*_WHOLE_SETTINGS, mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        """A number, or a string of ASCII digits, as a fault rule's numbers are read; pydantic
        alone would also take `true` as 1 and `" 8_001"` as 8001."""
        if isinstance(value, bool) or (isinstance(value, str) and not is_whole_text(value)):
            raise ValueError(MSG_WHOLE)
        return value  # digits are pydantic's to convert: a bound then shows them as written

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
