"""Response shapes, as pydantic models: they generate the OpenAPI document (`openapi.py`).

The hot path does not build responses through these models (that would cost a third of the
throughput); instead the schemathesis run in CI checks every real response against them, so a
shape that drifts from its model fails CI.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..faults.rule import FaultRule

Status = Literal["pending", "running", "succeeded", "failed", "cancelled"]
ResultPid = Annotated[str, Field(pattern=r"^s_[0-9a-f]{24}$")]
Hex32 = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
# the variants (CONTRACT G) widen what a provider answer may say; each form is named here
Code = Annotated[
    int,
    Field(
        description="0 on success, else a code of A1; -1 for a field rule's 400 under the "
        "variant validation_code = '-1' (sent with HTTP 400 wherever an HTTP status is asked)."
    ),
]
Message = Annotated[
    str,
    Field(
        description="On success 'ok' (the contract), or 'Success' under the variant "
        "message = 'Success'; on error a sentence that names the offending field."
    ),
]


# every answer of the JSON routes has `data`, but for errors under the variant
# error_data = 'absent' (G), which leaves the key out as the provider's OpenAPI examples do
DATA: Final = Field(
    description="The answer's data; null on errors (the contract), or absent from an error "
    "answer under the variant error_data = 'absent'."
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskCreated(_Strict):
    taskId: Hex32


class TaskResult(_Strict):
    taskId: str
    status: Status
    progress: Annotated[int, Field(ge=0, le=100)]
    result_url: str | None
    result_urls: list[str]
    result_pid: ResultPid | None
    result_pids: list[ResultPid]
    failure_reason: Annotated[
        str | None,
        Field(
            description="'' unless failed (variant failure_reason = 'empty', the contract); "
            "null for a task neither failed nor cancelled under failure_reason = 'null'."
        ),
    ]
    error_message: str | None
    credits_refunded: bool
    refund_trans_no: str | None
    metadata: dict[str, Any]


class CreateEnvelope(_Strict):
    """Success: code 0, message "ok", data {taskId}. Error: code from A1, data null."""

    code: Code
    message: Message
    data: Annotated[TaskCreated | None, DATA] = None


class ResultEnvelope(_Strict):
    code: Code
    message: Message
    data: Annotated[TaskResult | None, DATA] = None


class Credits(_Strict):
    left_credits: Annotated[int, Field(ge=0)]
    is_vip: bool


class CreditsEnvelope(_Strict):
    code: Code
    message: Message
    data: Annotated[Credits | None, DATA] = None


class ErrorEnvelope(_Strict):
    code: Code
    message: Message
    data: Annotated[None, DATA] = None


class CheckResultBody(BaseModel):
    taskId: Annotated[str, Field(min_length=1, pattern=r"\S")]


class AdminErrorBody(_Strict):
    error: str


class Health(_Strict):
    status: Literal["ok"]
    service: Literal["sora-mock"]
    version: str


class ResetDone(_Strict):
    status: Literal["reset"]


class Account(_Strict):
    key: str
    balance: Annotated[int, Field(ge=0)]
    vip: bool


class Accounts(_Strict):
    accounts: list[Account]


class Transaction(_Strict):
    trans_no: str
    reason: Literal["charge", "refund", "set"]
    delta: int
    balance_after: Annotated[int, Field(ge=0)]
    taskId: str | None
    time: float


class Ledger(_Strict):
    opening_balance: Annotated[int, Field(ge=0)]
    folded: Annotated[int, Field(ge=0)]
    transactions: list[Transaction]


class HistoryEntry(_Strict):
    status: Status
    time: float


class TaskRecord(_Strict):
    taskId: str
    route: Literal["sora-pro", "sora-video"]
    key: str
    model: str
    status: Status
    progress: Annotated[int, Field(ge=0, le=100)]
    params: dict[str, Any]
    price: int
    charge_trans_no: str
    refund_trans_no: str | None
    failure_reason: str
    error_message: str | None
    result_pid: ResultPid | None
    webhook: str | None
    created_at: float
    history: list[HistoryEntry]


class Tasks(_Strict):
    tasks: list[TaskRecord]


class Clock(_Strict):
    now: float
    mode: Literal["real", "manual", "poll"]
    speed: float


class StoredFault(FaultRule):
    id: str
    fired: Annotated[int, Field(ge=0)]


class Faults(_Strict):
    faults: list[StoredFault]


class Deleted(_Strict):
    deleted: str


class ViolationOut(_Strict):
    field: str
    message: str


class DriftItem(_Strict):
    probe: str
    aspect: str
    mock: Any
    upstream: Any
    section: str
    variants: dict[str, str] | None


class JournalRow(_Strict):
    time: float
    route: Literal["create", "sora_video", "check_result", "credits", "files", "unknown"]
    method: str
    path: str
    key: str | None
    headers: dict[str, str]
    body: Any
    code: int | None
    http_status: int | None
    fault: str | None
    taskId: str | None
    warnings: list[str]
    normalizations: list[str]
    documented_forms: Annotated[
        list[str],
        Field(
            description="Those of `normalizations` that read a documented form of an allowed "
            'value (nFrames "10"): not findings of the client report (F).'
        ),
    ]
    violations: list[ViolationOut]
    variant: Annotated[
        dict[str, str],
        Field(description="The variant points this answer consulted and their forms (G)."),
    ]
    drift: Annotated[
        list[DriftItem] | None,
        Field(
            description="Only on the rows of `sora-mock proxy` (I2): where the mock would have "
            "answered the same request otherwise."
        ),
    ] = None


class Journal(_Strict):
    requests: list[JournalRow]


class DriftRows(_Strict):
    """A proxy's journal rows that carry drift (I2)."""

    drift: list[JournalRow]


class VideoCreated(_Strict):
    """A6's union answer: `{"id"}` of one documented version and the fields of the other."""

    id: Hex32
    taskId: Hex32
    status: Literal["pending"]
    progress: Literal[0]
    estimate_seconds: Annotated[int, Field(ge=1)]


class VideoCreatedId(_Strict):
    """The variant create_id = 'id' (G): one documented version's answer alone."""

    id: Hex32


class VideoCreatedTaskId(_Strict):
    """The variant create_id = 'taskId' (G): the other documented version's answer alone."""

    taskId: Hex32
    status: Literal["pending"]
    progress: Literal[0]
    estimate_seconds: Annotated[int, Field(ge=1)]


class VideoCreateEnvelope(_Strict):
    """Success: the union (the contract, create_id = 'union'), or one form alone (G)."""

    code: Code
    message: Message
    data: Annotated[VideoCreated | VideoCreatedId | VideoCreatedTaskId | None, DATA] = None


class DeliveryAttempt(_Strict):
    time: float
    http_status: int | None
    error: str | None


class Delivery(_Strict):
    id: Annotated[str, Field(pattern=r"^wh_[0-9]{8,}$")]
    taskId: str
    key: str
    url: str
    event: Literal["succeeded", "failed", "cancelled"]
    attempts: list[DeliveryAttempt]
    state: Literal["pending", "delivered", "failed", "refused", "dropped"]
    fault: list[str] | None


class Webhooks(_Strict):
    webhooks: list[Delivery]
