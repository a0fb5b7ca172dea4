"""Deterministic taskIds (CONTRACT B2): the same seed and per-key order give the same ids."""

from __future__ import annotations

import hashlib
import hmac


def task_id(seed: str, api_key: str, n: int) -> str:
    """The first 32 hex digits of HMAC-SHA256(seed, f"{api_key}\\n{n}")."""
    message = f"{api_key}\n{n}".encode()
    return hmac.new(seed.encode(), message, hashlib.sha256).hexdigest()[:32]
