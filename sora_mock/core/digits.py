"""Whole numbers written as text: one rule for every one the tool reads (issue 23).

A setting, a fault rule's count or status, an account's balance and a price are each a number,
or a string of ASCII digits, as A2 takes `nFrames` (`"503"`, leading zeros allowed): text is all
the environment and a flag can give, and a TOML file or a JSON table may quote a number too. Any
other text (`" 503"`, `"+503"`, `"5_03"`, `"503.0"`, other scripts' digits) is not a number.
"""

from __future__ import annotations

import re
from typing import Any, Final

from .body import MAX_INT_DIGITS

MSG_WHOLE: Final = "expected a whole number"
# A minus sign is read too, only so that a negative value is refused by its bound, not its form.
_WHOLE_TEXT: Final = re.compile(r"-?[0-9]+")


def is_whole_text(value: str) -> bool:
    return len(value) <= MAX_INT_DIGITS and _WHOLE_TEXT.fullmatch(value) is not None


def whole_from_text(value: Any) -> Any:
    """`"503"` as 503; any other value as it is, for the field's own check to take or refuse."""
    return int(value) if type(value) is str and is_whole_text(value) else value
