"""The old import path of the provider's rules, kept for code that still uses it.

The rules now live by route family in `rules/` (`common`, `sora_pro` for A2, `sora_video` for
A6, `check` for A3) and the prices in `pricing.py`; this module re-exports their public names.
"""

from __future__ import annotations

from .pricing import DEFAULT_PRICING, PriceTable, price_of
from .rules.check import check_task_id
from .rules.common import Violation, bearer_token, nearest_allowed, vip_only
from .rules.sora_pro import (
    ASPECT_RATIOS,
    KNOWN_FIELDS,
    MAX_SHOTS,
    MODELS,
    SIZES,
    Checked,
    Kind,
    ModelSpec,
    check_create,
)

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_PRICING",
    "KNOWN_FIELDS",
    "MAX_SHOTS",
    "MODELS",
    "SIZES",
    "Checked",
    "Kind",
    "ModelSpec",
    "PriceTable",
    "Violation",
    "bearer_token",
    "check_create",
    "check_task_id",
    "nearest_allowed",
    "price_of",
    "vip_only",
]
