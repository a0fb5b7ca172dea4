"""The subcommands of `sora-mock` beside serving (CONTRACT I): each loads only its own modules."""

from __future__ import annotations

from collections.abc import Sequence


def main(name: str, argv: Sequence[str]) -> int:
    if name == "verify":
        from . import verify_command  # noqa: PLC0415 (see the module docstring)

        return verify_command.main(argv)
    from . import proxy_command  # noqa: PLC0415 (see the module docstring)

    return proxy_command.main(argv)
