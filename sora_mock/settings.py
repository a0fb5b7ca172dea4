"""Every setting (CONTRACT E), declared once, and the frozen object a simulation reads.

`class Settings` below is the one declaration: each setting's name, type, default, help line and
check (its bounds, and a function for what its type does not say). Everything else is derived:
- the object's fields, `Settings.model_fields` (here `FIELDS`), in the declaration's order;
- the start-up check, `hand_checked`, made from each type, bound and function;
- the pydantic model, which settings_model.py builds from the same fields on first need;
- the command line's flags and --help (cli.py) and the environment's names (`env_name`);
- the docs' table of settings, `docs_table()` (the README's Configuration table is its output).

Why a check by hand: importing pydantic and building its models was most of what sora-mock
added to aiohttp's own start-up (issue 17), so the usual values (the defaults, numbers and words
from flags and the environment, the same from a file) are checked here without it. Whatever this
check does not accept itself, a value it would refuse or one it does not handle (fault rules,
accounts, prices), goes to the model, which then decides: every refusal, and so every error
message, is the model's own, and what this check accepts is exactly what the model makes of it
(tests/cli/test_settings_check.py holds the two side by side). pydantic-settings would read the
environment for us, but it imports pydantic at every start, which is the cost this avoids.
"""

# No `from __future__ import annotations` here: the class's annotations are its settings' types,
# read as objects when the class is made (evaluating 32 strings at every start cost a millisecond).
import ipaddress
import json
import math
import re
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, Self, get_args, get_origin

from .core.clock import ClockMode
from .core.variants import Setting as VariantsSetting
from .core.variants import normalize as normalize_variants
from .core.variants import read_text as read_variants
from .routes.pricing import PriceTable, merge_pricing

if TYPE_CHECKING:
    from .faults.rule import FaultRule
    from .settings_model import AccountEntry

MiB: Final = 1024 * 1024
ENV_PREFIX: Final = "SORA_MOCK_"
# the text forms of numbers taken here: plain digits, no sign, no leading zero, no exponent
_WHOLE: Final = re.compile(r"0|[1-9][0-9]{0,17}")
_DECIMAL: Final = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?")
_EXACT_FLOAT: Final = 2**53
# Names that annotations below take from pydantic models (an accounts entry, a fault rule): a
# start-up does not import them, so they are written as text, which the model builder resolves.
MODEL_TYPES: Final = ("AccountEntry", "FaultRule")


class Refer(Exception):
    """The hand check does not decide this value: the pydantic model does."""


Check = Callable[[Any], Any]


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


class Setting:
    """One setting as declared (`setting(...)` in the class body) and completed by the class
    that declares it: its name, its type and its hand check. `annotation` and `get_default` are
    read as pydantic's FieldInfo is (by the command line and the loaders).

    `before` reads a form the type does not (the number 200 as "200"); `after` checks or
    normalizes a value of the type. Both raise ValueError with the message users see, and both
    the hand check and the model run them, so a setting's own rule is written once.
    (A plain class: a dataclass's generated methods cost a start a millisecond.)
    """

    __slots__ = (
        "after",
        "annotation",
        "before",
        "check",
        "default",
        "example",
        "ge",
        "gt",
        "help",
        "le",
        "name",
        "read",
    )
    name: str
    annotation: Any
    check: Check

    def __init__(
        self,
        default: Any,
        help: str,
        *,
        ge: int | None = None,
        gt: int | None = None,
        le: int | None = None,
        before: Check | None = None,
        after: Check | None = None,
        example: str | None = None,  # a JSON value for --help, for a table or a list
        read: Callable[[str], Any] | None = None,  # text (a flag, a variable), when not by type
    ) -> None:
        self.default, self.help = default, help
        self.ge, self.gt, self.le = ge, gt, le
        self.before, self.after = before, after
        self.example, self.read = example, read

    def complete(self, name: str, annotation: Any) -> None:
        """Named and typed by the class that declares it, once, as that class is made."""
        self.name, self.annotation = name, annotation
        self.check = _hand_check(self)

    def __repr__(self) -> str:
        name = getattr(self, "name", None)  # None until the class that declares it is made
        return f"Setting({name!r}, default={self.default!r}, help={self.help!r})"

    def get_default(self, *, call_default_factory: bool = False) -> Any:
        """The default; a table's or a list's is a new one each time (pydantic's factory)."""
        if not isinstance(self.default, list | dict):
            return self.default
        return _copy(self.default) if call_default_factory else None

    @property
    def is_table(self) -> bool:
        """A table or a list: JSON text in a flag or a variable."""
        return get_origin(self.annotation) in (dict, list)

    @property
    def flag(self) -> str:
        return flag_name(self.name)


# A setting's declaration in the class body: `Setting`, typed to return Any so that
# `port: int = setting(...)` reads as the attribute's own type.
setting: Final[Callable[..., Any]] = Setting


# -- the hand check, derived from each declaration ----------------------------------------------


def _text(value: Any) -> Any:
    if type(value) is not str:
        raise Refer
    return value


def _flag(value: Any) -> Any:
    if type(value) is not bool:
        raise Refer
    return value


def _whole(low: int | None, high: int | None) -> Check:
    def check(value: Any) -> Any:
        if type(value) is str and _WHOLE.fullmatch(value):
            value = int(value)
        if type(value) is not int:
            raise Refer
        if (low is not None and value < low) or (high is not None and value > high):
            raise Refer
        return value

    return check


def _number(low: int, *, above: bool) -> Check:
    def check(value: Any) -> Any:
        if (type(value) is str and _DECIMAL.fullmatch(value)) or (
            type(value) is int and abs(value) <= _EXACT_FLOAT
        ):
            value = float(value)
        if type(value) is not float or not math.isfinite(value):
            raise Refer
        if value < low or (above and value <= low):
            raise Refer
        return value

    return check


def _one_of(*words: str) -> Check:
    def check(value: Any) -> Any:
        if type(value) is not str or value not in words:
            raise Refer
        return value

    return check


def _token(value: Any) -> Any:
    """Optional text: blank is unset, as the model reads it (`blank_is_unset`)."""
    return None if value is None or value == "" else _text(value)


def _texts(value: Any) -> Any:
    if type(value) is not list or any(type(item) is not str for item in value):
        raise Refer
    return list(value)


def _nothing(kind: type) -> Check:
    """An empty table or list; anything in it is the model's to check."""

    def check(value: Any) -> Any:
        if type(value) is not kind or value:
            raise Refer
        return kind()

    return check


def _as_given(value: Any) -> Any:
    return value


def _by_type(declared: Setting) -> Check:
    annotation = declared.annotation
    if annotation is bool:
        return _flag
    if annotation is str:
        return _text
    if annotation == str | None:
        return _token
    if annotation is int:
        return _whole(declared.ge if declared.gt is None else declared.gt + 1, declared.le)
    if annotation is float:
        low = declared.ge if declared.gt is None else declared.gt
        if low is None:
            raise TypeError(f"setting {declared.name!r}: a number needs its lower bound")
        return _number(low, above=declared.gt is not None)
    origin = get_origin(annotation)
    if origin is Literal:
        return _one_of(*get_args(annotation))
    if annotation == list[str]:
        return _texts
    if origin in (dict, list):
        return _nothing(origin)
    if declared.before is None:
        raise TypeError(f"setting {declared.name!r}: its type needs a `before` that reads it")
    return _as_given  # what `before` returns is the value (variants)


def _hand_check(declared: Setting) -> Check:
    base, before, after = _by_type(declared), declared.before, declared.after

    def check(value: Any) -> Any:
        try:
            value = base(value if before is None else before(value))
            return value if after is None else after(value)
        except (ValueError, TypeError):
            raise Refer from None

    return check


# -- each setting's own rule (the hand check and the model both run it) --------------------------


def status_number(value: Any) -> Any:
    """200 (a number, as TOML and JSON write it) is "200"."""
    return "200" if value == 200 and not isinstance(value, bool) else value


def base_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


def _hosts(value: list[str]) -> list[str]:
    """Host names and addresses as both host lists compare them: lowercase, an IPv6 address
    without its brackets."""
    return [host.strip().strip("[]").lower() for host in value]


def allowed_hosts(value: list[str]) -> list[str]:
    """Compared case-insensitively and without an IPv6 address's brackets (A7)."""
    hosts = _hosts(value)
    if any(not host for host in hosts):
        raise ValueError("a host must not be blank")
    return hosts


# one label of a host name in its ASCII form: letters, digits and hyphens, not at either end
HOST_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def tls_host_names(value: list[str]) -> list[str]:
    """Names and addresses the certificate covers beyond the provider's and loopback's (H2):
    an IPv6 address without brackets, a name in lowercase. Each is checked here, as a
    certificate can carry it, so that a bad one stops start-up with one line naming it."""
    names = _hosts(value)
    for name in names:
        if not _certifiable(name):
            raise ValueError(
                f"{name!r} is not a host name (labels of letters, digits and hyphens, "
                "joined by dots; a leading '*.' allowed) or an IP address"
            )
    return names


def _certifiable(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    host = name.removeprefix("*.")
    try:
        ascii_host = host.encode("idna").decode("ascii")  # a name in other scripts, as DNS has it
    except UnicodeError:  # an empty or too long label
        return False
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(HOST_LABEL.fullmatch(label) for label in labels)


def price_overrides(value: dict[str, Any]) -> dict[str, Any]:
    merge_pricing(value)  # raises ValueError naming the bad entry
    return value


# -- the object ---------------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    """A value as `model_dump` gives it: its own lists and tables."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


def _model() -> Any:
    from .settings_model import build  # noqa: PLC0415 (pydantic, only when needed)

    return build(Settings)


class Declared:
    """A frozen object of declared settings, made and read as a frozen pydantic model is
    (`Settings(clock="manual")`, `Settings.model_validate({...})`); a value it refuses raises the
    model's own ValidationError. A subclass declares the settings, one `setting(...)` each."""

    model_fields: ClassVar[Mapping[str, Setting]]
    model_fields_set: frozenset[str]
    _model: Any  # the pydantic model's instance, when it made the values

    def __init_subclass__(cls) -> None:
        hints = vars(cls).get("__annotations__", {})
        fields = {}
        for name, value in list(vars(cls).items()):
            if isinstance(value, Setting):
                value.complete(name, hints[name])
                fields[name] = value
                delattr(cls, name)  # an instance holds the value; the class, the declaration
        cls.model_fields = types.MappingProxyType(fields)

    def __init__(self, **values: Any) -> None:
        self._fill(values)

    @classmethod
    def model_validate(cls, obj: Any) -> Self:
        if isinstance(obj, cls):
            return obj
        made = cls.__new__(cls)
        made._fill(obj)
        return made

    @classmethod
    def _made(cls, values: Mapping[str, Any], given: frozenset[str], model: Any) -> Self:
        made = cls.__new__(cls)
        for name in cls.model_fields:
            object.__setattr__(made, name, values[name])
        object.__setattr__(made, "model_fields_set", given)
        object.__setattr__(made, "_model", model)
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        """copy, deepcopy and pickle as the model's: by value, not by setting attributes (the
        model's instance, when it made the values, is made again from them: its class is built
        at run time, so pickle cannot name it)."""
        modelled = self._model is not None
        return (type(self)._remade, (self._values(), self.model_fields_set, modelled))

    @classmethod
    def _remade(cls, values: Mapping[str, Any], given: frozenset[str], modelled: bool) -> Self:
        model = _model().model_construct(_fields_set=set(given), **values) if modelled else None
        return cls._made(values, given, model)

    def _fill(self, values: Any) -> None:
        fields = self.model_fields
        checked = hand_checked(values, fields) if isinstance(values, dict) else None
        model = None
        if checked is None:
            model = _model().model_validate(values)  # its ValidationError is the refusal
            given = frozenset(model.model_fields_set)
            for name in fields:
                object.__setattr__(self, name, getattr(model, name))
        else:
            given = frozenset(checked)
            for name, declared in fields.items():
                if name in given:
                    object.__setattr__(self, name, checked[name])
                else:
                    object.__setattr__(self, name, declared.get_default(call_default_factory=True))
        object.__setattr__(self, "model_fields_set", given)
        object.__setattr__(self, "_model", model)

    def __setattr__(self, name: str, value: Any) -> None:
        """As the frozen model: its own ValidationError (frozen_instance)."""
        _model().model_construct().__setattr__(name, value)
        raise AttributeError(name)  # unreachable while the model is frozen

    def __delattr__(self, name: str) -> None:
        _model().model_construct().__delattr__(name)
        raise AttributeError(name)

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Declared):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # as the model's: its tables cannot be hashed

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._values().items())
        return f"{type(self).__name__}({shown})"

    def model_dump(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        if self._model is not None:
            dumped: dict[str, Any] = self._model.model_dump(exclude_unset=exclude_unset)
            return dumped
        names = self.model_fields_set if exclude_unset else self.model_fields
        return {name: _copy(getattr(self, name)) for name in self.model_fields if name in names}


class Settings(Declared):
    """Every setting of CONTRACT E with its default. Frozen: one simulation, one configuration.

    The order is the model's and --help's; a help line is plain text, one clause before any
    `;` (the docs table shows it as written)."""

    host: str = setting("127.0.0.1", "the address to listen on; the container sets 0.0.0.0")
    port: int = setting(
        8000,
        "the port to listen on; 0 = any free port (the line printed at start names it)",
        ge=0,
        le=65535,
    )
    seed: str = setting("sora-mock", "the seed of taskIds and of the fault rules' random draws")
    strict: bool = setting(
        False, "refuse unknown fields and images whose bytes do not match their type (400)"
    )
    error_status: Literal["200", "http"] = setting(
        "200",
        "200 (or the number 200): errors come with HTTP 200 as the provider's do; "
        "http: HTTP status = code",
        before=status_number,
    )
    auto_provision: bool = setting(
        True, "open an account for any unknown bearer token on first use"
    )
    default_balance: int = setting(10_000, "the credits of an account opened on first use", ge=0)
    default_vip: bool = setting(
        False,
        "whether an account opened on first use, or an accounts entry that does not say, "
        "is a VIP account",
    )
    accounts: dict[str, "AccountEntry"] = setting(
        {},
        "starting balances by API key: a number of credits, or a table {balance, vip}",
        example="""'{"sk-a-0001": 50}'""",
    )
    pricing: dict[str, Any] = setting(
        {},
        "prices laid over the default price table",
        after=price_overrides,
        example="""'{"sora-2-text-to-video": {"10": 25}}'""",
    )
    queue_seconds: float = setting(
        1.0, "mock seconds a task stays pending: any finite number >= 0", ge=0
    )
    run_seconds: float = setting(
        4.0, "mock seconds a task runs: any finite number >= 0; 0 skips running", ge=0
    )
    clock: ClockMode = setting(
        "real",
        "real: wall time x speed; manual: only POST /__mock/clock/advance; "
        "poll: each check-result moves its task on",
    )
    speed: float = setting(
        1.0,
        "how much faster than wall time the real clock runs: any finite number > 0",
        gt=0,
    )
    poll_step_seconds: float = setting(
        2.5,
        "mock seconds the poll clock moves a task on at each check-result: any finite number >= 0",
        ge=0,
    )
    max_concurrent_tasks: int = setting(
        20, "pending and running tasks allowed per API key (else code 429)", ge=1
    )
    max_body_bytes: int = setting(16 * MiB, "the largest request body (else code 413)", ge=1)
    max_image_bytes: int = setting(10 * MiB, "the largest decoded imageData", ge=1)
    max_tasks: int = setting(
        100_000, "tasks kept; the oldest final ones are forgotten beyond it", ge=1
    )
    ledger_size: int = setting(
        10_000,
        "ledger rows kept per account, 0 for none; older ones fold into its opening balance",
        ge=0,
    )
    journal_size: int = setting(1000, "request journal rows kept", ge=0)
    admin_token: str | None = setting(
        None, "require this X-Sora-Mock-Admin-Token on the admin API (blank = unset)"
    )
    public_base_url: str | None = setting(
        None,
        "the base of result URLs, http:// or https://, a trailing / dropped; "
        "unset: the address the request came to",
        after=base_url,
    )
    fault_header: bool = setting(
        True, "honour the X-Sora-Mock-Fault request header (its value names a preset)"
    )
    faults: list["FaultRule"] = setting(
        [],
        "fault rules, as in [[faults]] of the file",
        example="""'[{"action": "error", "code": 503, "times": 1}]'""",
    )
    log_format: Literal["text", "json"] = setting(
        "text", "request log lines as text or as one JSON object each"
    )
    webhook_allow_hosts: list[str] = setting(
        ["127.0.0.1", "::1", "localhost"],
        "the only hosts a webHook URL may name, replacing the default "
        "(case-insensitive, an IPv6 address without brackets)",
        after=allowed_hosts,
        example="""'["127.0.0.1", "localhost"]'""",
    )
    webhook_retries: int = setting(
        3,
        "how many times a failed webhook delivery is tried again, 1, 2, 4, ... mock seconds apart",
        ge=0,
    )
    webhook_timeout_seconds: float = setting(
        5.0, "real seconds a webhook delivery attempt may take: any finite number > 0", gt=0
    )
    webhook_on_failure: bool = setting(
        False, "also deliver the webhook of a failed or cancelled task"
    )
    sse_interval_seconds: float = setting(
        1.0,
        "real seconds between the progress events of a streamed create: any finite number > 0",
        gt=0,
    )
    tls: bool = setting(
        False,
        "serve HTTPS only, with a certificate for the provider's host names, localhost, "
        "127.0.0.1, ::1 and tls_names, signed by the CA in tls_ca_dir",
    )
    tls_names: list[str] = setting(
        [],
        "more host names or IP addresses the TLS certificate covers",
        after=tls_host_names,
        example="""'["sora-mock", "10.0.0.5"]'""",
    )
    tls_ca_dir: str | None = setting(
        None,
        "the folder of the TLS CA, ca.pem and its key ca-key.pem: read when there, else made "
        "there; unset: sora-mock-ca-<uid> in the system's temporary folder",
    )
    variants: VariantsSetting = setting(
        "contract",
        "the provider's documented forms to serve: contract, random, or JSON (a list of points, "
        "or a table of point: form)",
        before=normalize_variants,
        read=read_variants,
    )

    @property
    def price_table(self) -> PriceTable:
        return merge_pricing(self.pricing)


FIELDS: Final = Settings.model_fields
# one line per setting for --help and the docs table
DESCRIPTIONS: Final = {name: declared.help for name, declared in FIELDS.items()}


def hand_checked(
    values: Mapping[Any, Any], fields: Mapping[str, Setting] = FIELDS
) -> dict[str, Any] | None:
    """Every setting's value when the hand check decides them all, else None (the model's)."""
    checked: dict[str, Any] = {}
    try:
        for name, value in values.items():
            declared = fields.get(name) if type(name) is str else None
            if declared is None:
                return None  # not a setting: the model names it
            checked[name] = declared.check(value)
    except Refer:
        return None
    return checked


# -- the docs -----------------------------------------------------------------------------------


def _shown_default(declared: Setting) -> str:
    value = declared.default
    if value is None:
        return "unset"
    shown = f"`{json.dumps(value)}`"
    if type(value) is int and value >= MiB and value % MiB == 0:
        shown += f" ({value // MiB} MiB)"
    return shown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def docs_table() -> str:
    """The markdown table of every setting: its name, its default (as TOML writes it) and its
    help line. The README's Configuration table is this text; a docs site reads it too."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    for name, declared in FIELDS.items():
        lines.append(f"| `{name}` | {_shown_default(declared)} | {_cell(declared.help)} |")
    return "\n".join(lines) + "\n"
