"""The mock both drift tools compare with (I1, I2): its settings, and what it answers.

`comparison_settings` is the one place that says which of the user's settings the comparison
keeps: the contract's (strictness, error statuses, prices, limits of a body, forms of G, the
seed) and not a test's own scenery (fault rules, accounts and balances, the clock, the admin
token), which would make differences that are not the upstream's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ..config import Settings, build
from ..core import errors as e
from ..core.variants import CONTRACT, POINTS
from ..http import pipeline
from ..http.reply import JSON, Reply, Undecodable
from ..routes import files, registry
from ..sim.simulator import Simulator
from .compare import Answer, Difference, differences

# a test's scenery, not the contract: left at their defaults in the comparison's mock
SCENERY: Final = frozenset(
    (
        "faults",
        "fault_header",
        "clock",
        "speed",
        "auto_provision",
        "default_balance",
        "default_vip",
        "accounts",
        "max_concurrent_tasks",
        "admin_token",
        "journal_size",
    )
)
# state the shadow cannot have: the verdict is not the request's alone
STATEFUL: Final = frozenset((402, 404, 429))
SECTIONS: Final = {
    registry.CREATE: "A2",
    registry.SORA_VIDEO: "A6",
    registry.CHECK_RESULT: "A3",
    registry.CREDITS: "A5",
    registry.FILES: "A4",
}
# the envelope's own refusals (A1), before any route's rules: a missing key, a wrong method, a
# body too large; a 400 without violations is the body that is not a JSON object (or undecodable)
ENVELOPE_CODES: Final = frozenset((e.UNAUTHORIZED, e.METHOD_NOT_ALLOWED, e.PAYLOAD_TOO_LARGE))
TEMPLATE_KEY: Final = "sk-sora-mock-proxy-template"
TEMPLATE_ORIGIN: Final = "http://127.0.0.1"
# the request of each route whose success is the template of its shape
TEMPLATE_CREATES: Final = (
    (registry.CREATE, "sora-2-text-to-video"),
    (registry.SORA_VIDEO, "sora-2"),
)


def comparison_settings(settings: Settings, **overrides: Any) -> Settings:
    """The mock that answers for the comparison: the user's settings less the scenery (no
    faults, a fresh account for any key, its default balance), on the manual clock."""
    values = {
        name: value
        for name, value in settings.model_dump(exclude_unset=True).items()
        if name not in SCENERY
    }
    return build({**values, "clock": "manual", **overrides})


class BufferedView:
    """A `RequestView` of a request whose body was already read (to be forwarded). `raw` is None
    for a body larger than the comparison mock's `max_body_bytes`, which the proxy forwards
    without keeping: the mock's verdict on it is its size (A1's 413), whatever its bytes."""

    __slots__ = ("_headers", "_method", "_origin", "_path", "raw", "undecodable")

    def __init__(  # noqa: PLR0917 (a request's parts, as a view holds them)
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        origin: str,
        raw: bytes | None,
        undecodable: str | None = None,
    ) -> None:
        self._method = method
        self._path = path
        self._headers = headers
        self._origin = origin
        self.raw = raw
        self.undecodable = undecodable  # the body's coding, when it did not decode (A1)

    @property
    def method(self) -> str:
        return self._method

    @property
    def path(self) -> str:
        return self._path

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def origin(self) -> str:
        return self._origin

    def byte_range(self) -> slice:
        return slice(None, None)

    async def read(self, limit: int) -> bytes | None:
        if self.undecodable is not None:
            raise Undecodable(self.undecodable)
        return self.raw if self.raw is not None and len(self.raw) <= limit else None


def form_shadows(settings: Settings) -> list[tuple[dict[str, str], Simulator]]:
    """A shadow for each single form of G the settings do not already serve (none when the
    settings draw forms at random: no one table then matches)."""
    return [
        (table, Simulator(comparison_settings(settings, variants=table)))
        for table in forms_of(settings)
    ]


def forms_of(settings: Settings) -> list[dict[str, str]]:
    """Each `variants` table that changes one point of the settings' own (G), in POINTS order:
    the candidates both tools try, first match wins."""
    base = settings.variants
    if base != CONTRACT and not isinstance(base, dict):
        return []
    table = dict(base) if isinstance(base, dict) else {}
    return [
        {**table, point: form}
        for point, forms in POINTS.items()
        for form in forms
        if table.get(point, forms[0]) != form
    ]


async def name_forms(
    found: list[dict[str, Any]],
    forms: list[tuple[dict[str, str], Simulator]],
    route: str,
    view: BufferedView,
    theirs: Answer,
) -> None:
    """Each drift item's `variants`: the first table whose mock answers as the upstream did on
    that aspect (as `verify` names them). No form of G touches a file link (A4)."""
    if route == registry.FILES:
        return
    section = SECTIONS.get(route, "A1")
    for table, shadow in forms:
        if all(item["variants"] is not None for item in found):
            return
        reply = await shadow_answer(shadow, route, view)
        mine = Answer(reply.status, reply.body, reply.content_type)
        still = {d.aspect for d in differences(route, mine, theirs, section=section)}
        for item in found:
            if item["variants"] is None and item["aspect"] not in still:
                item["variants"] = table


async def templates(settings: Settings) -> dict[str, bytes]:
    """The mock's own success answer on each JSON route, for the shape of an upstream success
    that the shadow cannot reach from the request alone (a task it does not have). Made on the
    comparison's settings, so a user's balance or accounts cannot refuse them."""
    sim = Simulator(comparison_settings(settings))
    auth = {"Authorization": f"Bearer {TEMPLATE_KEY}"}
    found: dict[str, bytes] = {}

    async def answer(route: str, body: bytes) -> bytes:
        view = BufferedView("POST", registry.ROUTES[route][1], auth, TEMPLATE_ORIGIN, body)
        return (await pipeline.serve(sim, route, view)).body

    try:
        for route, model in TEMPLATE_CREATES:
            body = json.dumps({"model": model, "prompt": "t"}).encode()
            found[route] = await answer(route, body)
        task_id = json.loads(found[registry.CREATE])["data"]["taskId"]
        check = json.dumps({"taskId": task_id}).encode()
        found[registry.CHECK_RESULT] = await answer(registry.CHECK_RESULT, check)
        found[registry.CREDITS] = await answer(registry.CREDITS, b"{}")
    finally:
        await sim.deliveries.close()
    return found


async def shadow_answer(shadow: Simulator, route: str, view: BufferedView) -> Reply:
    """What the mock answers to this request alone: the pipeline on a fresh shadow simulation,
    the first step (an unknown route, a wrong method) as the HTTP adapter would take it."""
    shadow.reset()
    if route == registry.UNKNOWN:
        return await pipeline.unmatched(shadow, view, None)
    allowed = registry.methods(route)
    if view.method not in allowed:
        return await pipeline.unmatched(shadow, view, allowed)
    return await pipeline.serve(shadow, route, view)


def section_of(route: str, shadow: Simulator) -> str:
    """The section a difference on the request `shadow` just answered contradicts: A1 when the
    mock refused it at one of the envelope's steps (auth, the method, the body's size, a JSON
    object: its journal row has no violations), as `verify`'s probes of those steps say; else
    the route's own (A2, A3, A5, A6). Read before anything else resets the shadow."""
    rows = shadow.journal.query(limit=1)
    if rows:
        code, violations = rows[0]["code"], rows[0]["violations"]
        if code in ENVELOPE_CODES or (code == e.BAD_REQUEST and not violations):
            return "A1"
    return SECTIONS.get(route, "A1")


def drift_of(
    route: str, mine: Reply, theirs: Answer, shapes: dict[str, bytes], section: str | None = None
) -> list[dict[str, Any]]:
    """What the mock would have answered differently (I2), from the request alone. An upstream
    answering 402 or 429 (a balance, a limit: state the shadow cannot know) is not drift."""
    if route == registry.FILES:
        return [d.to_json() for d in file_drift(mine, theirs)]
    if mine.stream is not None or mine.drop is not None:
        return []
    if theirs.content_type == registry.EVENT_STREAM:
        return []
    if code_of(theirs.body) in STATEFUL - {404} or theirs.status in STATEFUL - {404}:
        return []
    mock = Answer(mine.status, mine.body, mine.content_type)
    shape_only = code_of(mine.body) in STATEFUL
    if shape_only and code_of(theirs.body) == 0 and route in shapes:
        mock = Answer(200, shapes[route], JSON)  # the shape of the mock's own success
    elif shape_only:
        return []
    if section is None or shape_only:  # a shape is the route's own success's
        section = SECTIONS.get(route, "A1")
    found = differences(route, mock, theirs, section=section, shape_only=shape_only)
    return [d.to_json() for d in found]


def file_drift(mine: Reply, theirs: Answer) -> list[Difference]:
    """A4 from the request alone. A file link's method is the request's: the mock's 405 is a
    verdict. Whether its task has a file is not: the shadow has no task, so its 404 is no
    verdict, and of a GET or HEAD only a file the upstream served is compared with the mock's
    (its type). Statuses only, as A4's are plain HTTP: no envelope, no message; the aspects are
    `verify`'s for the result file."""
    if mine.status == e.METHOD_NOT_ALLOWED:
        if theirs.status == e.METHOD_NOT_ALLOWED:
            return []
        return [Difference(registry.FILES, "file status", mine.status, theirs.status, "A4")]
    if theirs.status in files.SERVED and theirs.content_type != files.CONTENT_TYPE:
        return [
            Difference(registry.FILES, "file type", files.CONTENT_TYPE, theirs.content_type, "A4")
        ]
    return []


def code_of(body: bytes) -> Any:
    """The envelope's `code`, None when the body is not a JSON object."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value.get("code") if isinstance(value, dict) else None
