"""The settings (CONTRACT E) as a pydantic model, built from settings.py's declaration: the
checker of every value that the hand check leaves to it (a value it refuses, or one it does not
handle itself, such as fault rules). Its errors are the ones users see, so a bad value reads the
same whichever path met it. Importing this module imports pydantic: settings.py does so on first
need, never at a plain start."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, partial
from typing import TYPE_CHECKING, Annotated, Any, Final, get_type_hints

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from .core.digits import MSG_WHOLE, is_whole_text, whole_from_text
from .faults.rule import FaultRule

if TYPE_CHECKING:
    from .settings import Declared, Setting

# the pydantic types the declarations name as text (settings.MODEL_TYPES), by their names
MODEL_TYPES: Final = ("AccountEntry", "FaultRule")

MSG_ACCOUNT_ENTRY: Final = (
    "must be a whole number of credits or a table {{balance, vip}}, got {got}"
)


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


def _whole(value: Any) -> Any:
    """A number, or a string of ASCII digits, as a fault rule's numbers are read; pydantic
    alone would also take `true` as 1 and `" 8_001"` as 8001."""
    if isinstance(value, bool) or (isinstance(value, str) and not is_whole_text(value)):
        raise ValueError(MSG_WHOLE)
    return value  # digits are pydantic's to convert: a bound then shows them as written


def _blank_is_unset(value: Any) -> Any:
    return None if value == "" else value


def _field(declared: Setting, annotation: Any) -> tuple[Any, Any]:
    """A declared setting as pydantic's (type, default): the hand check's rules, in the model's
    words (bounds, a finite number, digits for a whole number, blank text for none)."""
    bounds: dict[str, Any] = {
        rule: value
        for rule, value in (("ge", declared.ge), ("gt", declared.gt), ("le", declared.le))
        if value is not None
    }
    if annotation is float:
        bounds["allow_inf_nan"] = False
    rules: list[Any] = [Field(**bounds)] if bounds else []
    if annotation is int:
        rules.append(BeforeValidator(_whole))
    if annotation == str | None:
        rules.append(BeforeValidator(_blank_is_unset))
    if declared.before is not None:
        rules.append(BeforeValidator(declared.before))
    if declared.after is not None:
        rules.append(AfterValidator(declared.after))
    typed = Annotated[(annotation, *rules)] if rules else annotation
    default = declared.default
    if isinstance(default, list | dict):
        return typed, Field(
            default_factory=partial(declared.get_default, call_default_factory=True)
        )
    return typed, default


@cache
def build(declaration: type[Declared]) -> type[BaseModel]:
    """The pydantic model of the settings `declaration` declares (settings.py asks for it on the
    first value it does not decide itself), built once."""
    names = {"AccountEntry": AccountEntry, "FaultRule": FaultRule}
    assert set(names) == set(MODEL_TYPES)
    hints = get_type_hints(declaration, localns=names)
    fields = {
        name: _field(declared, hints[name]) for name, declared in declaration.model_fields.items()
    }
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        "Settings",
        __config__=ConfigDict(extra="forbid", frozen=True),
        __doc__="Every setting of CONTRACT E with its default (settings.py declares them).",
        __module__=__name__,
        **fields,
    )
    return model
