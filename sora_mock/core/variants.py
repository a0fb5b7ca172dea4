"""Provider variants (CONTRACT G): the points where the provider's documents disagree.

Pure: the points and their forms, the reading of the `variants` setting, and the seeded draw.
The HTTP layer asks `Variants.active` once per request (a plain attribute, so the default
`"contract"` costs one check) and consults a point only when the answer has it.

The draw for the answer with sequence number `n` (0 for the first journaled provider request
after start or reset) is HMAC-SHA256(`seed`, "variants" LF `n`): point number `i` of `POINTS`
takes bytes 2i and 2i+1 of the digest, as a big-endian number modulo its count of forms. Each
point is drawn independently of the others and of which points the answer consults, so the same
seed and the same requests in the same order give the same forms on every machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

# the forms of each point; the first is the contract's (parts A-F)
POINTS: Final[dict[str, tuple[str, ...]]] = {
    "message": ("ok", "Success"),
    "create_id": ("union", "id", "taskId"),
    "validation_code": ("400", "-1"),
    "check_status": ("200", "http"),
    "failure_reason": ("empty", "null"),
    # revision 3; appended, so the points before them draw the same forms as before
    "error_data": ("null", "absent"),
    "task_scope": ("key", "any"),
}
CONTRACT: Final = "contract"
RANDOM: Final = "random"
_INDEX: Final = {point: i for i, point in enumerate(POINTS)}

MSG_UNKNOWN_POINT: Final = "unknown point {point!r} (the points: {points})"
MSG_UNKNOWN_FORM: Final = "point {point!r} has no form {form!r:.80} (its forms: {forms}, or random)"
MSG_SHAPE: Final = "must be 'contract', 'random', a list of point names or a table of point = form"

Setting = str | list[str] | dict[str, str]


class Recorder(Protocol):
    """What a point is consulted for: a journal row, which keeps its sequence number."""

    sequence: int
    variant: dict[str, str] | None


def _form_name(point: str, form: Any) -> str:
    """A form as the table gives it; TOML and JSON users may write `-1` or `200` as numbers."""
    if isinstance(form, int) and not isinstance(form, bool):
        form = str(form)
    if not isinstance(form, str) or (form not in POINTS[point] and form != RANDOM):
        forms = ", ".join(POINTS[point])
        raise ValueError(MSG_UNKNOWN_FORM.format(point=point, form=form, forms=forms))
    return form


def _point(point: Any) -> str:
    if not isinstance(point, str) or point not in POINTS:
        raise ValueError(MSG_UNKNOWN_POINT.format(point=point, points=", ".join(POINTS)))
    return point


def parse(value: Any) -> dict[str, str]:
    """The setting as a table of every point that leaves the contract: point -> form | random.

    A point pinned to its contract form is left out: it answers as the contract does and is
    not listed in the journal's `variant`. Raises ValueError naming an unknown point or form.
    """
    if value == CONTRACT:
        return {}
    if value == RANDOM:
        return dict.fromkeys(POINTS, RANDOM)
    if isinstance(value, list):
        return {_point(point): RANDOM for point in value}
    if isinstance(value, Mapping):
        table = {_point(point): _form_name(point, form) for point, form in value.items()}
        return {point: form for point, form in table.items() if form != POINTS[point][0]}
    if isinstance(value, str) and value in POINTS:
        raise ValueError(f"{MSG_SHAPE}; to draw one point, list it: [{json.dumps(value)}]")
    raise ValueError(MSG_SHAPE)


def normalize(value: Any) -> Setting:
    """The setting as it is kept (numbers in a table become their form's name); checks it."""
    parse(value)
    if isinstance(value, Mapping):
        return {str(point): _form_name(point, form) for point, form in value.items()}
    return list(value) if isinstance(value, list) else str(value)


def read_text(text: str) -> Any:
    """The setting as text (environment, flag, plugin option): a bare word is itself (random,
    contract); anything else is JSON. Raises ValueError when it is neither."""
    word = text.strip()
    if word.replace("_", "").isalpha():
        return word
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a bare word and not valid JSON ({exc.msg})") from None


@dataclass(slots=True)
class Variants:
    """The forms one simulation serves; `active` is False under `"contract"`."""

    table: dict[str, str]
    seed: str
    active: bool = field(init=False)
    _key: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.active = bool(self.table)
        self._key = hmac.new(self.seed.encode(), digestmod=hashlib.sha256)

    @classmethod
    def of(cls, setting: Any, seed: str) -> Variants:
        return cls(parse(setting), seed)

    def draw(self, point: str, sequence: int) -> str:
        """The form of `point` for the answer numbered `sequence` (any point, drawn or not)."""
        mac = self._key.copy()
        mac.update(f"variants\n{sequence}".encode())
        digest = mac.digest()
        i = 2 * _INDEX[point]
        forms = POINTS[point]
        return forms[int.from_bytes(digest[i : i + 2], "big") % len(forms)]

    def consult(self, row: Recorder, point: str) -> str:
        """The form this answer uses for `point`, noted on its journal row when not the
        contract's by default (drawn, or pinned to another form)."""
        form = self.table.get(point)
        if form is None:
            return POINTS[point][0]
        if form == RANDOM:
            form = self.draw(point, row.sequence)
        if row.variant is None:
            row.variant = {}
        row.variant[point] = form
        return form
