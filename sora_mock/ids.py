"""Deterministic taskIds (CONTRACT B2): the same seed and per-key order give the same ids."""

from __future__ import annotations

import hashlib
import hmac


def task_id(seed: str, api_key: str, n: int) -> str:
    """The first 32 hex digits of HMAC-SHA256(seed, f"{api_key}\\n{n}")."""
    return TaskIds(seed)(api_key, n)


class TaskIds:
    """The taskIds of one seed. The keyed HMAC state is made once and copied per id, which
    costs a third of a fresh `hmac.digest` (OpenSSL 3 looks the digest up on every call)."""

    def __init__(self, seed: str) -> None:
        self._keyed = hmac.new(seed.encode(), digestmod=hashlib.sha256)

    def __call__(self, api_key: str, n: int) -> str:
        mac = self._keyed.copy()
        mac.update(f"{api_key}\n{n}".encode())
        return mac.hexdigest()[:32]


class ResultPids:
    """The `result_pid` of a succeeded task (A3) [mock decision]: "s_" and the first 24 hex
    digits of HMAC-SHA256(seed, "pid\\n" + taskId), so a run repeats it and no two tasks share
    one. It is the id the sibling route's `remixTargetId` names."""

    def __init__(self, seed: str) -> None:
        self._keyed = hmac.new(seed.encode(), b"pid\n", digestmod=hashlib.sha256)

    def __call__(self, task_id: str) -> str:
        mac = self._keyed.copy()
        mac.update(task_id.encode())
        return "s_" + mac.hexdigest()[:24]
