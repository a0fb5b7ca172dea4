"""I1's fixed probe list: requests the contract rejects before any charge, and the balance.

The field probes are not written out here: each create route declares its rules as data
(`sora_pro.BREAKING`, `sora_video.BREAKING`: a change to a valid body that breaks one rule
first, and the rule's message), and each declaration is one probe, checked against the route's
own validator when the list is made. A rule added to a route gets its probe with its
declaration, and a probe the contract would accept (and so charge for) cannot be made.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..core import errors as e
from ..core.findings import Collected
from ..routes import registry, sora_pro, sora_video
from ..routes.common import Breaking

Auth = Literal["key", "none", "blank"]
UNKNOWN_TASK: Final = "0" * 32
IMAGE_URL: Final = "https://example.com/sora-mock-probe.png"
PROMPT: Final = "sora-mock drift probe"
# values tried in turn until the route's validator names the field: null breaks every rule of a
# field that applies (A2: "a field that is present with the value null ... breaks its rule")
WATCHED: Final = frozenset(
    (registry.CREATE, registry.SORA_VIDEO, registry.CHECK_RESULT, registry.FILES)
)
BREAKERS: Final[tuple[Any, ...]] = (None, "", [], {}, -1, "?")


@dataclass(frozen=True, slots=True)
class Probe:
    """One request sent to both sides."""

    name: str
    route: str
    method: str
    path: str
    body: bytes | None
    section: str
    field: str | None = None
    auth: Auth = "key"

    @property
    def charges(self) -> bool:
        """A create route: a probe the mock accepts would be charged, so it is never sent."""
        return self.route in (registry.CREATE, registry.SORA_VIDEO)

    @property
    def watched(self) -> bool:
        """A route that could charge (A2, A3, A4, A6): the balance is read right after it, so
        a charge stops the run at once and is blamed on this probe."""
        return self.route in WATCHED


def _json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _path(route: str) -> str:
    return registry.ROUTES[route][1]


def _pro_base(spec: sora_pro.ModelSpec) -> dict[str, Any]:
    body: dict[str, Any] = {"model": spec.name}
    if spec.kind == "storyboard":
        body["shots"] = [{"Scene": PROMPT, "duration": spec.default_frames}]
    else:
        body["prompt"] = PROMPT
    if spec.kind == "image":
        body["imageUrl"] = IMAGE_URL
    return body


def _check_pro(strict: bool, max_image_bytes: int) -> Callable[[dict[str, Any]], Collected]:
    def check(body: dict[str, Any]) -> Collected:
        return sora_pro.check_create(body, strict=strict, max_image_bytes=max_image_bytes)

    return check


def _check_video(strict: bool, max_image_bytes: int) -> Callable[[dict[str, Any]], Collected]:
    def check(body: dict[str, Any]) -> Collected:
        return sora_video.check_sora_video(
            body,
            strict=strict,
            max_image_bytes=max_image_bytes,
            is_own_result=lambda _: False,
            vip=False,
        )

    return check


def _rule_probes(
    route: str,
    section: str,
    rules: tuple[Breaking, ...],
    base_of: Callable[[str | None], dict[str, Any]],
    check: Callable[[dict[str, Any]], Collected],
) -> Iterator[Probe]:
    """One probe per declared rule of the route (`BREAKING` in its module): the valid body of
    the rule's model with the rule's change. AssertionError when a base is not valid or the
    change does not break its rule first (so a probe can never be a charged create)."""
    path = _path(route)
    for rule in rules:
        base = base_of(rule.base)
        if check(base).violations:
            raise AssertionError(f"the {route} probe base {base} is not valid")
        body = {k: v for k, v in base.items() if k not in rule.absent} | dict(rule.patch)
        found = check(body).violations
        first = found[0] if found else None
        if first is None or first.field != rule.field or not matches(rule.message, first.message):
            raise AssertionError(f"{route}.{rule.name} does not break its rule first: {first}")
        yield Probe(f"{route}.{rule.name}", route, "POST", path, _json(body), section, rule.field)


def matches(template_name: str, message: str) -> bool:
    """Whether `message` is the template `errors.<template_name>` filled in."""
    template: str = getattr(e, template_name)
    parts = re.split(r"\{[^}]*\}", template)
    return re.fullmatch(".*?".join(map(re.escape, parts)), message, re.DOTALL) is not None


def free_probes(*, strict: bool, max_image_bytes: int) -> list[Probe]:
    """Every free probe of I1, in the order they are sent (the balance is read first, apart)."""
    pro_bases = [_pro_base(spec) for spec in sora_pro.MODELS.values()]
    video_bases: list[dict[str, Any]] = [{"model": sora_video.MODELS[0], "prompt": PROMPT}]
    probes = [
        *_rule_probes(
            registry.CREATE,
            "A2",
            sora_pro.BREAKING,
            lambda model: _pro_base(sora_pro.MODELS[model or sora_pro.TEXT]),
            _check_pro(strict, max_image_bytes),
        ),
        *_rule_probes(
            registry.SORA_VIDEO,
            "A6",
            sora_video.BREAKING,
            lambda model: {"model": model or sora_video.MODELS[0], "prompt": PROMPT},
            _check_video(strict, max_image_bytes),
        ),
    ]
    if strict:  # unknown fields are a 400 only in strict mode; otherwise they would be charged
        for route, section, base in (
            (registry.CREATE, "A2", pro_bases[0]),
            (registry.SORA_VIDEO, "A6", video_bases[0]),
        ):
            body = _json({**base, "soraMockProbe": 1})
            probes.append(
                Probe(f"{route}.unknown_field", route, "POST", _path(route), body, section)
            )
    create = _path(registry.CREATE)
    valid = _json(pro_bases[0])
    check = _path(registry.CHECK_RESULT)
    probes += [
        Probe("auth.missing", registry.CREATE, "POST", create, valid, "A1", auth="none"),
        Probe("auth.blank", registry.CREATE, "POST", create, valid, "A1", auth="blank"),
        Probe("body.not_object", registry.CREATE, "POST", create, b"[]", "A1"),
        Probe(
            "check_result.unknown",
            registry.CHECK_RESULT,
            "POST",
            check,
            _json({"taskId": UNKNOWN_TASK}),
            "A3",
        ),
        Probe(
            "check_result.blank",
            registry.CHECK_RESULT,
            "POST",
            check,
            _json({"taskId": ""}),
            "A3",
            "taskId",
        ),
        Probe("method.wrong", registry.CREATE, "GET", create, None, "A1"),
    ]
    return probes


BALANCE: Final = Probe("balance", registry.CREDITS, "POST", _path(registry.CREDITS), b"{}", "A5")


def check_probe(task_id: str) -> Probe:
    return Probe(
        "spend.check_result",
        registry.CHECK_RESULT,
        "POST",
        _path(registry.CHECK_RESULT),
        _json({"taskId": task_id}),
        "A3",
    )


@dataclass(frozen=True, slots=True)
class Spend:
    """The cheapest create within a budget: its probe and the price the contract gives it."""

    probe: Probe
    price: int


def cheapest_create(pricing: Any, budget: int) -> Spend | None:
    """The cheapest text create of either route that fits `budget` (B1's prices), or None."""
    options: list[tuple[int, str, Probe]] = []
    for spec in sora_pro.MODELS.values():
        if spec.kind != "text":
            continue
        size = "standard" if spec.sized else None
        table = pricing[spec.name]
        price = int((table[size] if size else table)[spec.default_frames])
        body = _json(_pro_base(spec))
        route = registry.CREATE
        options.append(
            (price, spec.name, Probe("spend.create", route, "POST", _path(route), body, "A2"))
        )
    for model in sora_video.MODELS:
        price = int(pricing[model][sora_video.DEFAULT_DURATION])
        route = registry.SORA_VIDEO
        body = _json({"model": model, "prompt": PROMPT})
        options.append(
            (price, model, Probe("spend.create", route, "POST", _path(route), body, "A6"))
        )
    fitting = sorted((o for o in options if o[0] <= budget), key=lambda o: (o[0], o[1]))
    if not fitting:
        return None
    price, _, probe = fitting[0]
    return Spend(probe, price)
