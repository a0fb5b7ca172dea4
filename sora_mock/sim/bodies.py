"""The admin API's request bodies (CONTRACT D), as pydantic models: the admin handlers and
the OpenAPI document load them on first use, so that a start-up does not import pydantic."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from ..core.digits import whole_from_text


class AccountBody(BaseModel):
    """`PUT /__mock/accounts/{key}`: a balance, the VIP flag, or both (at least one)."""

    # the schema says what a request may send: at least one of the two, neither of them null
    model_config = ConfigDict(
        extra="forbid",
        defer_build=True,  # built by the first PUT, not at every start-up
        json_schema_extra={"anyOf": [{"required": ["balance"]}, {"required": ["vip"]}]},
    )
    balance: Annotated[int, Field(ge=0, strict=True)] | SkipJsonSchema[None] = None
    vip: Annotated[bool, Field(strict=True)] | SkipJsonSchema[None] = None

    @field_validator("balance", mode="before")
    @classmethod
    def _integral_number(cls, value: Any) -> Any:
        """873.0 is an integer in JSON Schema, and "873" a whole number as everywhere in the
        tool (digits.py); 873.5 and " 873" are not."""
        if value is None:
            raise ValueError("must be a whole number of credits >= 0, not null")
        return (
            int(value)
            if isinstance(value, float) and value.is_integer()
            else whole_from_text(value)
        )

    @field_validator("vip", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must be true or false, not null")
        return value

    @model_validator(mode="after")
    def _something(self) -> AccountBody:
        if self.balance is None and self.vip is None:
            raise ValueError("give balance, vip or both")
        return self


class FailBody(BaseModel):
    """The body of admin fail and cancel; each field optional."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    failure_reason: str | None = None
    error_message: str | None = None


MAX_ADVANCE = 10.0**9  # about 31 years: enough for any test, and the clock stays finite


class AdvanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    seconds: Annotated[float, Field(ge=0, le=MAX_ADVANCE, allow_inf_nan=False, strict=True)]
