"""Deterministic taskIds (CONTRACT B2): the same seed and per-key order give the same ids."""

from __future__ import annotations

import hashlib

_BLOCK = 64  # SHA-256's block size, in bytes (RFC 2104's B)
_DIGITS = 32  # a taskId's length: 32 lowercase hex digits, 128 bits


def id_number(task_id: str) -> int | None:
    """A taskId's 128 bits as one int (how a stored task keeps it: 48 bytes, where its 32
    digits as a str take 96), or None when `task_id` is not one as the mock writes them."""
    if len(task_id) != _DIGITS:
        return None
    try:
        raw = bytes.fromhex(task_id)
    except ValueError:
        return None
    # fromhex also reads upper case and spaces between bytes: only the mock's own form
    return int.from_bytes(raw) if raw.hex() == task_id else None


def id_text(number: int) -> str:
    """The taskId of `id_number`'s int: its 32 lowercase hex digits."""
    return number.to_bytes(_DIGITS // 2).hex()  # a third of the time of format(number, "032x")


def task_id(seed: str, api_key: str, n: int) -> str:
    """The first 32 hex digits of HMAC-SHA256(seed, f"{api_key}\\n{n}")."""
    return TaskIds(seed)(api_key, n)


class _Keyed:
    """HMAC-SHA256 under one key, as RFC 2104 defines it: the inner and outer hashes are keyed
    once and copied per message. Copying two hashlib states is half the cost of copying an
    `hmac` object (OpenSSL 3 looks the digest up again for every new or copied HMAC), and
    gives the same digests (tests/api/test_ledger.py and test_credits.py hold the served ids
    against `hmac`, for seeds on both sides of the 64-byte block)."""

    def __init__(self, key: bytes, prefix: bytes = b"") -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._inner.update(prefix)
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


class TaskIds:
    """The taskIds of one seed."""

    def __init__(self, seed: str) -> None:
        self._keyed = _Keyed(seed.encode())

    def __call__(self, api_key: str, n: int) -> str:
        return self._keyed.hexdigest(f"{api_key}\n{n}".encode())[:32]


class ResultPids:
    """The `result_pid` of a succeeded task (A3) [mock decision]: "s_" and the first 24 hex
    digits of HMAC-SHA256(seed, "pid\\n" + taskId), so a run repeats it and no two tasks share
    one. It is the id the sibling route's `remixTargetId` names."""

    def __init__(self, seed: str) -> None:
        self._keyed = _Keyed(seed.encode(), b"pid\n")
        # the last taskId and its pid: a client polls a succeeded task until it has seen it,
        # and each answer names the pid (two SHA-256 runs, a tenth of a check-result)
        self._last = ("", "")

    def __call__(self, task_id: str) -> str:
        last_id, pid = self._last
        if task_id != last_id:
            pid = "s_" + self._keyed.hexdigest(task_id.encode())[:24]
            self._last = (task_id, pid)
        return pid
