"""B1's price tables and their lookup: per model and nFrames (A6: duration), and per size for
the Pro text/image models. The settings' `pricing` is laid over `DEFAULT_PRICING` by
`merge_pricing`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..core.digits import whole_from_text
from . import sora_pro, sora_video

# Prices in credits (B1): model -> nFrames -> price (Pro text/image: per size first). From the
# provider's newest published list: 100/150 for Sora 2 and Sora 2 Stable, 375/675 for Sora 2 Pro
# (both sizes: the list names no surcharge [mock decision]), 375/675/875 for storyboard.
PriceTable = dict[str, dict[int, int] | dict[str, dict[int, int]]]
DEFAULT_PRICING: Final[PriceTable] = {
    "sora-2-text-to-video": {10: 100, 15: 150},
    "sora-2-image-to-video": {10: 100, 15: 150},
    "sora-2-text-to-video-stable": {10: 100, 15: 150},
    "sora-2-image-to-video-stable": {10: 100, 15: 150},
    "sora-2-pro-text-to-video": {
        "standard": {10: 375, 15: 675},
        "high": {10: 375, 15: 675},
    },
    "sora-2-pro-image-to-video": {
        "standard": {10: 375, 15: 675},
        "high": {10: 375, 15: 675},
    },
    "sora-2-pro-storyboard": {10: 375, 15: 675, 25: 875},
    # A6, per duration in seconds: 100/150 for sora-2 and sora-2-stable, 375/675 for sora-2-pro
    "sora-2": {10: 100, 15: 150},
    "sora-2-pro": {10: 375, 15: 675},
    "sora-2-stable": {10: 100, 15: 150},
}


def priced_models() -> dict[str, tuple[bool, tuple[int, ...]]]:
    """Every model a `pricing` table may name: whether it is priced per size, and the nFrames
    (A6: durations) it has prices for."""
    models = {spec.name: (spec.sized, spec.frames) for spec in sora_pro.MODELS.values()}
    models.update(dict.fromkeys(sora_video.MODELS, (False, sora_video.DURATIONS)))
    return models


def price_of(pricing: PriceTable, model: str, n_frames: int, size: str | None) -> int:
    table: Any = pricing[model]
    if size is not None:
        table = table[size]
    return int(table[n_frames])


def _price(where: str, value: Any) -> int:
    value = whole_from_text(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where} must be a whole number of credits >= 0, got {value!r:.80}")
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
