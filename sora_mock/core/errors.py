"""The provider's error envelope and every message the mock sends, built in one place.

Tests import these templates so that a reworded message cannot drift from what is asserted.
"""

from __future__ import annotations

import json
from typing import Any, Final

# -- envelope codes (CONTRACT A1) ---------------------------------------------------------------
OK: Final = 0
BAD_REQUEST: Final = 400
UNAUTHORIZED: Final = 401
INSUFFICIENT_CREDITS: Final = 402
FORBIDDEN: Final = 403
NOT_FOUND: Final = 404
METHOD_NOT_ALLOWED: Final = 405
PAYLOAD_TOO_LARGE: Final = 413
TOO_MANY_TASKS: Final = 429
SERVER_ERROR: Final = 500

# -- message templates ----------------------------------------------------------------------------
MSG_OK: Final = "ok"
MSG_UNKNOWN_ROUTE: Final = "No route {method} {path}: this API has no such endpoint."
MSG_METHOD_NOT_ALLOWED: Final = "Method {method} is not allowed on {path}; use {allowed}."
MSG_NO_AUTH: Final = "Authorization is required: send the header 'Authorization: Bearer <api key>'."
MSG_BLANK_TOKEN: Final = "Authorization is required: the bearer token is blank."  # noqa: S105
MSG_UNKNOWN_KEY: Final = "The API key {key} is not valid."
MSG_BODY_TOO_LARGE: Final = "The request body is larger than the limit of {limit} bytes."
MSG_NOT_JSON_OBJECT: Final = "The request body must be a JSON object: {reason}."
# the reason given to MSG_NOT_JSON_OBJECT when the body's content coding does not decode (A1)
MSG_UNDECODABLE: Final = "its Content-Encoding {coding!r} does not decode"
MSG_INSUFFICIENT_CREDITS: Final = (
    "Insufficient credits: this task costs {price} credits and the balance is {balance}."
)
MSG_TOO_MANY_TASKS: Final = (
    "Too many tasks in progress: at most {limit} tasks may be pending or running per API key."
)
MSG_TASK_NOT_FOUND: Final = "Task {task_id} was not found."
# A3's journal warning on a check-result that names another key's task (whichever form answered)
MSG_OTHER_KEYS_TASK: Final = "Task {task_id} belongs to another key."
MSG_INJECTED: Final = "Injected failure: the server could not process the request."
MSG_RESET_IN_FLIGHT: Final = "The mock was reset while this request was in flight; send it again."

# field rules (CONTRACT A2, A3); each names its field
MSG_REQUIRED: Final = "{field} is required."
MSG_REQUIRED_FOR_MODEL: Final = "{field} is required for model {model}."
MSG_MODEL_UNKNOWN: Final = "model must be one of: {choices}."
MSG_NOT_BLANK_STRING: Final = "{field} must be a non-blank string."
MSG_IMAGE_REQUIRED: Final = "imageData or imageUrl is required for model {model}."
MSG_IMAGE_DATA_URL: Final = (
    "imageData must be a data URL 'data:image/<type>;base64,<payload>' "
    "with type png, jpeg, jpg, webp or gif."
)
MSG_IMAGE_BASE64: Final = (
    "imageData's payload must be standard base64 (A-Z a-z 0-9 + /, '=' padding, no whitespace)."
)
MSG_IMAGE_EMPTY: Final = "imageData's payload must decode to at least one byte."
MSG_IMAGE_TOO_LARGE: Final = "imageData's decoded image is larger than the limit of {limit} bytes."
MSG_IMAGE_SIGNATURE: Final = "imageData's bytes are not a {type} image (strict mode)."
MSG_IMAGE_URL: Final = "imageUrl must be an absolute http or https URL with a host."
MSG_ONE_OF: Final = "{field} must be one of: {choices}."
MSG_NFRAMES: Final = (
    "nFrames must be an integer or a string of digits (allowed for {model}: {choices})."
)
MSG_BOOLEAN: Final = "{field} must be a JSON boolean (true or false)."
MSG_SHOTS_ARRAY: Final = "shots must be a non-empty array of {Scene, duration} objects."
MSG_SHOTS_TOO_MANY: Final = "shots may have at most {limit} items; got {count}."
MSG_SHOT_OBJECT: Final = "shots[{index}] must be an object with Scene and duration."
MSG_SHOT_SCENE: Final = "shots[{index}].Scene must be a non-blank string."
MSG_SHOT_SCENE_CASE: Final = (
    "shots[{index}].Scene is required and needs a capital S: 'scene' is not accepted."
)
MSG_SHOT_DURATION: Final = "shots[{index}].duration must be a finite number greater than 0."
MSG_UNKNOWN_FIELDS: Final = "Unknown field(s) in strict mode: {fields}."
MSG_TASK_ID: Final = "taskId must be a non-blank string."
MSG_VIP_ONLY: Final = "{field} is for VIP accounts only, and this account is not VIP (strict mode)."

# the sibling route's own rules (CONTRACT A6)
MSG_HTTP_URL: Final = "{field} must be an absolute http or https URL with a host."
MSG_DURATION: Final = "duration must be an integer or a string of digits (allowed: {choices})."
MSG_REMIX_TARGET: Final = (
    "remixTargetId must name the result_pid of a succeeded task of this API key."
)
MSG_CHARACTERS_ARRAY: Final = "characters must be an array of {url, timestamps} objects."
MSG_CHARACTERS_TOO_MANY: Final = "characters may have at most {limit} items; got {count}."
MSG_CHARACTER_OBJECT: Final = "characters[{index}] must be an object with url and timestamps."
MSG_CHARACTER_TIMESTAMPS: Final = (
    "characters[{index}].timestamps must be '<a>,<b>', two decimal numbers "
    "with 0 <= a < b <= {limit}."
)
MSG_WEBHOOK: Final = (
    "webHook must be an absolute http or https URL with a host ('' or '-1' for none)."
)

# warnings and normalizations (journal only)
WARN_NOT_APPLICABLE: Final = "{field} does not apply to model {model}; ignored."
WARN_IMAGE_URL_IGNORED: Final = "imageUrl is ignored because imageData is given."
WARN_UNKNOWN_FIELD: Final = "Unknown field {field} ignored."
WARN_SHOT_KEYS_DROPPED: Final = "shots[{index}]: keys {keys} dropped."
WARN_VIP_PUBLIC: Final = (
    "isPublic: false is for VIP accounts only and this account is not VIP: ignored, "
    "the video will be public."
)
WARN_VIP_DROPPED: Final = "{field} is for VIP accounts only and this account is not VIP: dropped."
NORM_NFRAMES: Final = "nFrames {given} normalized to {value} for model {model}."
WARN_URL_IGNORED: Final = "url is ignored because imageData is given."
WARN_CHARACTER_KEYS_DROPPED: Final = "characters[{index}]: keys {keys} dropped."
NORM_DURATION: Final = "duration {given} normalized to {value}."


class ApiError(Exception):
    """A provider-shaped error: it leaves the server as the envelope, through `envelope()`.

    Every rejection makes one, so it is slotted and sets `args` itself (what
    `Exception.__init__(message)` would), which halves its cost.
    """

    __slots__ = ("code", "found", "headers", "http_status", "message")

    def __init__(
        self,
        code: int,
        message: str,
        *,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
        found: Any = None,
    ) -> None:
        self.args = (message,)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.headers = headers  # None, not an empty dict: most errors have none
        # what validation found before the refusal (rules.common.Collected), for the journal
        self.found = found


class AdminError(Exception):
    """A control-plane error: `{"error": message}` with a plain HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ASCII output: a lone surrogate that arrived as a JSON escape ("\ud800") goes back out as one,
# where UTF-8 could not encode it
_dumps = json.JSONEncoder(separators=(",", ":")).encode
# what that encoder writes for every str (ensure_ascii), without its per-call set-up
_ascii = json.encoder.encode_basestring_ascii


def envelope(code: int, message: str, data: Any = None) -> bytes:
    """The one place a provider response body is made; the functions below are its fast forms
    for the fixed shapes, byte for byte the same (tests/api/test_encoding.py holds them)."""
    return _dumps({"code": code, "message": message, "data": data}).encode()


def error_envelope(code: int, message: str) -> bytes:
    """`envelope(code, message)`, from pieces: every rejection's answer."""
    if type(code) is not int or type(message) is not str:  # a bool or a str subclass, say
        return envelope(code, message)
    return f'{{"code":{code},"message":{_ascii(message)},"data":null}}'.encode()


def dataless_error_envelope(code: int, message: str) -> bytes:
    """An error answer without a `data` key, as the provider's OpenAPI examples show it (G's
    `error_data = "absent"`)."""
    return _dumps({"code": code, "message": message}).encode()


def ok_envelope(data: Any) -> bytes:
    return envelope(OK, MSG_OK, data)


def created_envelope(task_id: str) -> bytes:
    """The create answer, the hottest response: a taskId is hex, so no escaping is needed."""
    return b'{"code":0,"message":"ok","data":{"taskId":"' + task_id.encode() + b'"}}'


# check-result's fields of a task neither finished nor refunded: nothing to show but its progress
_UNSETTLED: Final = (
    '"result_url":null,"result_urls":[],"result_pid":null,"result_pids":[],"failure_reason":"",'
    '"error_message":null,"credits_refunded":false,"refund_trans_no":null,"metadata":'
)


def unsettled_envelope(
    task_id: str, status: str, progress: int, metadata: dict[str, Any] | None
) -> bytes:
    """`result_envelope` of a pending or running task: what most polls answer."""
    meta = _dumps(metadata) if metadata else "{}"
    return (
        f'{{"code":0,"message":"ok","data":{{"taskId":"{task_id}","status":"{status}",'
        f'"progress":{progress},{_UNSETTLED}{meta}}}}}'
    ).encode()


def result_envelope(  # noqa: PLR0917 (the fields of A3's data, in their order)
    task_id: str,
    status: str,
    progress: int,
    url: str | None,
    pid: str | None,
    failure_reason: str | None,
    error_message: str | None,
    refund_trans_no: str | None,
    metadata: dict[str, Any] | None,
) -> bytes:
    """`ok_envelope` of a check-result's `data` (A3, `Task.result_data`), from pieces.

    The taskId, status, progress, pid and transaction number are the mock's own (hex, a
    status name, an int, "s_" and hex, "txn_" and digits), so they need no escaping; the URL
    (its host is the request's), the reasons and the metadata are encoded as the encoder would.
    """
    if url is None:
        urls = 'null,"result_urls":[]'
    else:
        url = _ascii(url)
        urls = f'{url},"result_urls":[{url}]'
    pids = 'null,"result_pids":[]' if pid is None else f'"{pid}","result_pids":["{pid}"]'
    refund = 'false,"refund_trans_no":null'
    if refund_trans_no is not None:
        refund = f'true,"refund_trans_no":"{refund_trans_no}"'
    return (
        f'{{"code":0,"message":"ok","data":{{"taskId":"{task_id}","status":"{status}",'
        f'"progress":{progress},"result_url":{urls},"result_pid":{pids},'
        f'"failure_reason":{_string(failure_reason)},"error_message":{_string(error_message)},'
        f'"credits_refunded":{refund},"metadata":{_dumps(metadata) if metadata else "{}"}}}}}'
    ).encode()


def _string(value: str | None) -> str:
    if value is None:
        return "null"
    return _ascii(value) if type(value) is str else _dumps(value)


def dumps(value: Any) -> bytes:
    return _dumps(value).encode()


def mask_key(key: str) -> str:
    """Every character but the last four becomes `*`; four or fewer are masked entirely."""
    if len(key) <= 4:
        return "*" * len(key)
    return "*" * (len(key) - 4) + key[-4:]


def mask_authorization(value: str) -> str:
    """An Authorization header's value as the journal shows it: the token masked."""
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token:
        return f"{scheme} {mask_key(token.strip())}"
    return mask_key(value)


def masked(value: Any, key: str | None) -> Any:
    """THE masking of what leaves the mock (journal rows, recorded exchanges, verify's output):
    every occurrence of `key` in every string of `value` (mapping keys too) becomes its mask,
    and an Authorization header's value is masked whatever its token."""
    if isinstance(value, str):
        return value.replace(key, mask_key(key)) if key else value
    if isinstance(value, dict):
        return {
            masked(name, key): (
                mask_authorization(item)
                if isinstance(name, str)
                and name.lower() == "authorization"
                and isinstance(item, str)
                else masked(item, key)
            )
            for name, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [masked(item, key) for item in value]
    return value
