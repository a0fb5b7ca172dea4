"""What a route's validation finds (CONTRACT A2, A3, A6, D): the rules broken, the warnings
and normalizations; the journal keeps them on the request's row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import errors as e


@dataclass(frozen=True, slots=True)
class Violation:
    field: str
    message: str
    code: int = e.BAD_REQUEST  # the envelope code it is answered with: 400, or 403 (VIP)


@dataclass(slots=True)
class Collected:
    """What a route's validation collects; `violations` empty means accepted. Each route's
    outcome adds its own fields (Checked, A2; VideoChecked, A6)."""

    params: dict[str, Any] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    normalizations: list[str] = field(default_factory=list)
    # those of `normalizations` that only read a documented form of an allowed value (the
    # digits "10" for 10, as the provider's own examples send nFrames): journaled with the
    # rest, and no finding for the client report (CONTRACT F1)
    documented_forms: list[str] = field(default_factory=list)
