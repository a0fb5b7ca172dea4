"""`--record DIR` (I2): one JSON file per exchange, `0007-check_result.json`.

A recording never writes over a file: the folder must be absent, empty, or hold only recordings
(`NNNN-<route>.json`), and the sequence goes on after the highest one found; a folder holding
anything else is refused at start-up (it is someone's, not ours). Each file is created
exclusively, so even a file that appeared meanwhile is never replaced.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Final

from .upstream import UsageError

NAME: Final = re.compile(r"(\d{4,})-([a-z_]+)\.json")


class Recorder:
    """The folder is checked, and made, at start-up: a recording that cannot be written is a
    usage error before any request, not a lost answer later."""

    def __init__(self, folder: Path) -> None:
        try:
            if folder.exists() and not folder.is_dir():
                raise UsageError(f"--record {folder}: is not a directory")
            folder.mkdir(parents=True, exist_ok=True)
            found = sorted(p.name for p in folder.iterdir())
        except OSError as exc:
            raise UsageError(f"--record {folder}: {exc.strerror or exc}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"--record {folder}: is not writable")
        foreign = [name for name in found if NAME.fullmatch(name) is None]
        if foreign:
            raise UsageError(
                f"--record {folder}: holds files that are not recordings ({foreign[0]}); "
                "give an empty or new folder, or one of earlier recordings"
            )
        numbers = [int(match.group(1)) for name in found if (match := NAME.fullmatch(name))]
        self.folder = folder
        self.next = max(numbers, default=0) + 1

    def write(self, route: str, exchange: dict[str, Any]) -> Path:
        """One file, created exclusively; OSError when it cannot be written."""
        while True:
            path = self.folder / f"{self.next:04d}-{route}.json"
            self.next += 1
            try:
                with path.open("x", encoding="utf-8") as file:
                    json.dump(exchange, file, indent=2, ensure_ascii=False)
                    file.write("\n")
            except FileExistsError:
                continue
            return path
