"""Rules both create routes share (A2, A6): data URLs and image signatures, http(s) URLs,
integer-or-digits normalization, the VIP rule, the bearer token. Pure functions, no state."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from ..core import errors as e
from ..core.body import MAX_INT_DIGITS
from ..core.findings import Collected, Violation

_IMAGE_SIGNATURES: Final = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}

_DATA_URL = re.compile(r"data:image/(png|jpeg|jpg|webp|gif);base64,", re.IGNORECASE)

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class Breaking:
    """One rule of a create route as data: a change to a valid body (`base`: the model whose
    valid body it starts from) that breaks this rule first, the field the answer names, and the
    rule's message template (its name in `core.errors`). I1's probes are made from these, one
    per rule; the drift tests hold each to the validator and every template to a declaration."""

    name: str
    field: str
    message: str
    patch: tuple[tuple[str, Any], ...] = ()
    absent: tuple[str, ...] = ()
    base: str | None = None


def breaking(
    name: str,
    field: str,
    message: str,
    *,
    base: str | None = None,
    absent: tuple[str, ...] = (),
    **patch: Any,
) -> Breaking:
    return Breaking(name, field, message, tuple(patch.items()), absent, base)


# the image rules both routes share (check_image_data), each with its breaking value
PNG_BASE64: Final = "iVBORw0KGgo="
IMAGE_DATA_BREAKING: Final = (
    breaking(
        "imageData.bad_type",
        "imageData",
        "MSG_IMAGE_DATA_URL",
        imageData="data:image/tiff;base64," + PNG_BASE64,
    ),
    breaking(
        "imageData.bad_base64",
        "imageData",
        "MSG_IMAGE_BASE64",
        imageData="data:image/png;base64,iVBORw0KGgo",
    ),
    breaking("imageData.empty", "imageData", "MSG_IMAGE_EMPTY", imageData="data:image/png;base64,"),
)


def nearest_allowed(value: int, allowed: tuple[int, ...]) -> int:
    """The allowed value nearest to `value`; a tie goes to the smaller (CONTRACT A2)."""
    return min(allowed, key=lambda a: (abs(a - value), a))


def integer_or_digits(raw: Any) -> int | None:
    """An nFrames value as an integer, or None when it is not an integer or digit string."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and _DIGITS.fullmatch(raw):
        digits = raw.lstrip("0") or "0"
        return int(digits) if len(digits) <= MAX_INT_DIGITS else 10**MAX_INT_DIGITS
    return None


def is_blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


def check_image_data(raw: Any, strict: bool, max_bytes: int) -> dict[str, Any] | Violation:
    if not isinstance(raw, str):
        return Violation("imageData", e.MSG_IMAGE_DATA_URL)
    head = _DATA_URL.match(raw)
    if head is None:
        return Violation("imageData", e.MSG_IMAGE_DATA_URL)
    kind = head.group(1).lower()
    payload = raw[head.end() :]
    padding = len(payload) - len(payload.rstrip("="))
    if len(payload) % 4 or padding > 2:
        return Violation("imageData", e.MSG_IMAGE_BASE64)
    if (len(payload) // 4) * 3 - padding > max_bytes:
        return Violation("imageData", e.MSG_IMAGE_TOO_LARGE.format(limit=max_bytes))
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return Violation("imageData", e.MSG_IMAGE_BASE64)
    if not data:
        return Violation("imageData", e.MSG_IMAGE_EMPTY)
    media = "jpeg" if kind == "jpg" else kind
    if strict and not _has_signature(media, data):
        return Violation("imageData", e.MSG_IMAGE_SIGNATURE.format(type=kind))
    return {
        "mediaType": f"image/{media}",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _has_signature(media: str, data: bytes) -> bool:
    if media == "webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return data.startswith(_IMAGE_SIGNATURES[media])


def choice(value: Any, choices: tuple[str, ...]) -> str | None:
    """The choice equal to `value`: the constant itself, so 100,000 kept tasks share one string."""
    for choice in choices:
        if value == choice:
            return choice
    return None


def vip_only(
    out: Collected,
    name: str,
    *,
    vip: bool,
    strict: bool,
    keep: Any = None,
    warning: str | None = None,
) -> None:
    """The VIP rule (A2, A6) for one VIP-only input that was validated and kept in `params`.

    A VIP account keeps it. Otherwise [mock decision]: in strict mode a 403 naming it (after
    every 400, which come first in `violations`); else it is dropped with a journaled warning,
    and `params[name]` becomes `keep` (`isPublic` goes back to true) or, when `keep` is None,
    goes away. The sibling route applies the same rule to `remixTargetId` and `characters`.
    """
    if vip or name not in out.params:
        return
    if strict:
        out.violations.append(Violation(name, e.MSG_VIP_ONLY.format(field=name), e.FORBIDDEN))
        return
    out.warnings.append(warning or e.WARN_VIP_DROPPED.format(field=name))
    if keep is None:
        del out.params[name]
    else:
        out.params[name] = keep


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None if absent or blank."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or not token.isprintable():
        return None
    try:  # header bytes that were not UTF-8 arrive as lone surrogates: no key of anyone's
        token.encode()
    except UnicodeEncodeError:
        return None
    return token


def check_http_url(raw: Any, name: str) -> str | Violation:
    """An absolute http or https URL with a host, without whitespace or control characters."""
    if not isinstance(raw, str) or any(c.isspace() or ord(c) < 32 for c in raw):
        return Violation(name, e.MSG_HTTP_URL.format(field=name))
    try:
        parts = urlsplit(raw)
        host = parts.hostname
    except ValueError:
        return Violation(name, e.MSG_HTTP_URL.format(field=name))
    if parts.scheme.lower() not in ("http", "https") or not host:
        return Violation(name, e.MSG_HTTP_URL.format(field=name))
    return raw
