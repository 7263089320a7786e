"""The emulated /rest API as an OpenAPI document, following docs/CONTRACT.md and its marks."""

import functools
from typing import Any, Literal

from emulator import REST_PREFIX, __version__
from emulator.errors import (
    NOT_AUTHENTICATED,
    NOT_AUTHORIZED,
    TEMPLATE_NOT_FOUND,
    TOO_MANY_REQUESTS,
    TRANSACTIONAL_NOT_AUTHENTICATED,
    TRANSACTIONAL_NOT_AUTHORIZED,
    TRANSACTIONAL_TOO_MANY_REQUESTS,
)
from emulator.openapi import ErrorBody, Shape, answer, error, finish, json_body
from emulator.push.auth import LoginRequest
from emulator.push.contract import SendInstantRequest
from emulator.push.transactional import TOKEN_NOT_FOUND, TransactionalPushRequest


class LoginAnswer(Shape):
    access_token: str
    expires_in: int  # seconds [one client: about an hour]; EMULATOR_TOKEN_TTL
    token_type: Literal["Bearer"]  # [guess]


class TrackingData(Shape):
    trackingId: str


class SendAccepted(Shape):
    """The vendor's common success envelope [client]."""

    code: Literal[0]
    message: Literal["Successful"]
    transactionId: str
    data: TrackingData


class TrackingIds(Shape):
    trackingIds: list[str]  # one per device reached [guess: no client reads it]


class TransactionalAccepted(Shape):
    code: Literal[0]
    message: Literal["Successful"]
    transactionId: str
    data: TrackingIds


class TransactionalRefused(Shape):
    """A valid call refused with HTTP 200 and a non-zero code [live]."""

    code: int  # 11: no active device for the contact, or no such transactional content
    message: str
    transactionId: str
    data: None


class ReportItem(Shape):
    itemName: str
    deliveredCount: int
    openCount: int


class Report(Shape):
    status: Literal["Completed"]
    createdAt: str
    totalDeliveredCount: int
    totalOpenCount: int  # a click counts as an open
    totalBounceCount: int  # unregistered devices
    totalErrorCount: int
    errorMessage: str | None
    browsers: list[ReportItem]
    deviceTypes: list[ReportItem]


class ReportAnswer(Shape):
    code: Literal[0]
    message: Literal["Successful"]
    transactionId: str
    data: Report


class IpRefused(ErrorBody):
    """403 before credentials are read, when the caller's address is not allowlisted."""

    actionResult: str


APP = "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"
TRACKING_ID = "8d3f1c62-2b9e-4c1a-9f7e-3a6b5c4d2e10"
TRANSACTION_ID = "0c9e5d2a-7f41-4b8e-a3c6-1d2e3f4a5b6c"
_IP_MESSAGE = "Your IP address is not whitelisted for this account: 10.1.2.3"
_IP_DESCRIPTION = (
    "[client] the caller's address is not on the API user's allowlist (opt-in per user; the "
    "wording is a guess)"
)
_LOGIN_REFUSED = {
    "403": answer(
        IpRefused,
        {"code": 403, "message": _IP_MESSAGE, "actionResult": _IP_MESSAGE},
        _IP_DESCRIPTION,
    )
}
_REFUSED = {
    "403": answer(
        IpRefused | ErrorBody,
        {"code": 403, "message": NOT_AUTHORIZED},
        f"[doc] the API user lacks the push permission; or {_IP_DESCRIPTION}, with `actionResult`",
    )
}
_TOO_LARGE = error(
    413, "body: must be at most 1048576 bytes", "[guess] a body over EMULATOR_MAX_BODY_BYTES"
)
_NOT_AUTHENTICATED = error(
    401, NOT_AUTHENTICATED, "[doc] no token, an unknown one, or an expired one"
)


def _rate_limited(message: str) -> dict[str, Any]:
    return {
        "429": {
            **answer(
                ErrorBody,
                {"code": 429, "message": message},
                "[doc] the API user's token bucket is empty; nothing was sent",
            ),
            "headers": {
                "Retry-After": {
                    "description": "whole seconds until the next token (an emulator extra)",
                    "schema": {"type": "integer"},
                }
            },
        }
    }


_RATE_LIMITED = _rate_limited(TOO_MANY_REQUESTS)

_SEND_EXAMPLE = {
    "applicationIds": [APP],
    "segmentId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "content": {"title": "Merhaba {%= $Contact.first_name %}", "message": "Your order shipped"},
}
_SEND_ACCEPTED = {
    "code": 0,
    "message": "Successful",
    "transactionId": TRANSACTION_ID,
    "data": {"trackingId": TRACKING_ID},
}
_REPORT = {
    "code": 0,
    "message": "Successful",
    "transactionId": TRANSACTION_ID,
    "data": {
        "status": "Completed",
        "createdAt": "2030-01-01T09:00:00.120Z",
        "totalDeliveredCount": 12,
        "totalOpenCount": 3,
        "totalBounceCount": 1,
        "totalErrorCount": 0,
        "errorMessage": None,
        "browsers": [],
        "deviceTypes": [{"itemName": "Android", "deliveredCount": 12, "openCount": 3}],
    },
}

_LOGIN: dict[str, Any] = {
    "summary": "Log in as an API user",
    "description": "[client] Returns an access token for `Authorization: Bearer`. Static "
    "tokens from the fixtures skip this call (an emulator extra).",
    "operationId": "login",
    **json_body(LoginRequest, {"userkey": "demo-user", "password": "demo-password"}),
    "responses": {
        "200": answer(
            LoginAnswer,
            {"access_token": "3q2-7Lw...", "expires_in": 3600, "token_type": "Bearer"},
            "[client] logged in",
        ),
        **error(400, "userkey: must be a string", "[guess] the body is not a login object"),
        **error(401, "Invalid userkey or password.", "[guess] wrong userkey or password"),
        **_LOGIN_REFUSED,
        **_TOO_LARGE,
    },
    "security": [],
}

_SEND: dict[str, Any] = {
    "summary": "SendInstantPush: send a push now or at `scheduleDate`",
    "description": "Checked in this order: allowlist 403, token 401, permission 403, bucket "
    "429, body 400, templates 404, then 200 once the send is stored. Unknown keys are "
    "accepted and recorded with a warning [guess] (a 400 with EMULATOR_STRICT).",
    "operationId": "sendInstantPush",
    **json_body(SendInstantRequest, _SEND_EXAMPLE),
    "responses": {
        "200": answer(SendAccepted, _SEND_ACCEPTED, "[client] accepted and stored"),
        **error(
            400,
            "applicationIds[0]: must be a GUID (8-4-4-4-12 hexadecimal digits)",
            "[guess: the texts] a rule is broken; `errors` names each field and rule",
        ),
        **_NOT_AUTHENTICATED,
        **_REFUSED,
        **error(404, TEMPLATE_NOT_FOUND, "[doc] a `templateId` does not exist"),
        **_TOO_LARGE,
        **_RATE_LIMITED,
    },
}


_TRANSACTIONAL_EXAMPLE = {
    "contentId": "6e0f3a5c-8b2d-4f7e-9a1c-3d5e7f9b1a2c",
    "contactKey": "c-001",
    "current": {"orderId": "A-1001"},
    "traceId": "order-A-1001-shipped",
}
_TRANSACTIONAL: dict[str, Any] = {
    "summary": "SendTransactionalPush: one push to a contact or a device token",
    "description": "Every outcome of an authenticated, valid call is HTTP 200 [live]: `code` 0 "
    "when sent, 11 when the contact has no active device or the content is missing. A repeat "
    "of a `traceId` answers the first answer again and sends nothing [doc; guess for the "
    "details]. Checked in the send's order: allowlist 403, token 401, permission 403, bucket "
    "429, body 400.",
    "operationId": "sendTransactionalPush",
    **json_body(TransactionalPushRequest, _TRANSACTIONAL_EXAMPLE),
    "responses": {
        "200": answer(
            TransactionalAccepted | TransactionalRefused,
            {
                "code": 0,
                "message": "Successful",
                "transactionId": TRANSACTION_ID,
                "data": {"trackingIds": [TRACKING_ID]},
            },
            f"[live] sent (`code` 0), or refused with `code` 11: {TOKEN_NOT_FOUND!r}, or "
            "'<contentId> content is null'",
        ),
        **error(
            400, "Either contactKey or token must be provided", "[live: the wording] a bad body"
        ),
        **error(401, TRANSACTIONAL_NOT_AUTHENTICATED, "[doc] no, bad or expired token"),
        "403": answer(
            IpRefused | ErrorBody,
            {"code": 403, "message": TRANSACTIONAL_NOT_AUTHORIZED},
            "[doc] the API user lacks the TransactionalPush.Manage permission; or "
            f"{_IP_DESCRIPTION}, with `actionResult`",
        ),
        **_TOO_LARGE,
        **_rate_limited(TRANSACTIONAL_TOO_MANY_REQUESTS),
    },
}


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": {"type": "string", "format": "uuid"},
    }


_REPORT_OPERATION: dict[str, Any] = {
    "summary": "The delivery report of a send, for one application",
    "description": "[one client] A 404 until the send is completed; when a tracking id was "
    "reused, the latest send with it is reported [guess].",
    "operationId": "sendInstantPushReport",
    "parameters": [
        _query("trackingId", "the send's tracking id"),
        _query("applicationId", "the application to count deliveries of"),
    ],
    "responses": {
        "200": answer(ReportAnswer, _REPORT, "[one client] the report"),
        **error(400, "trackingId: is required (a query parameter)", "[guess] a bad parameter"),
        **_NOT_AUTHENTICATED,
        **_REFUSED,
        **error(404, f"No send with trackingId {TRACKING_ID!r}.", "[one client] no report (yet)"),
        **_RATE_LIMITED,
    },
}


@functools.cache
def rest_document() -> dict[str, Any]:
    """Paths are relative to the base URL a client is given: the emulator's /rest, or the
    real service's."""
    return finish(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "D·engage push REST API, as push-emulator emulates it",
                "version": __version__,
                "description": "Each point carries how sure we are of the real service: "
                "[doc] its documentation, [client] several public clients agree, [one client], "
                "[guess]. docs/CONTRACT.md lists every field, status and known deviation.",
            },
            "servers": [
                {"url": REST_PREFIX, "description": "this emulator"},
                {"url": "https://api.dengage.com/rest", "description": "the real service"},
            ],
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "[client] an access token from /login, or a static "
                        "token from the fixtures; the bare token is accepted too [guess]",
                    }
                }
            },
            "security": [{"bearer": []}],
            "paths": {
                "/login": {"post": _LOGIN},
                "/push/sendInstant": {"post": _SEND, "get": _REPORT_OPERATION},
                "/transactional/push": {"post": _TRANSACTIONAL},
            },
        }
    )
