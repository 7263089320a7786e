"""Fault injection on /rest: an ASGI middleware that answers, delays or drops per the rules."""

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.faults import (
    CODE_MESSAGES,
    MALFORMED_BODY,
    STATUS_MESSAGES,
    FaultAction,
    FaultRequest,
)
from emulator.push.auth import TokenStore, UserLookup, bearer_token, user_for_token
from emulator.runtime import Runtime
from emulator.web import JsonResponse, PrefixMiddleware, read_body, replay

log = logging.getLogger("emulator.faults")


class ConnectionDropped(Exception):
    """Raised to drop a connection where the server's transport cannot be reached."""


class FaultMiddleware(PrefixMiddleware):
    """Sits inside the journal, so a faulted request is journaled with the rule that fired.

    A rule on an API user is matched before authentication, against the user the request's
    token was issued to (looked up like auth does, expired or not, no bucket token taken) or,
    for a login, the body's userkey: so a fault never costs the caller a rate-limit token.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime, prefix: str) -> None:
        super().__init__(app, prefix)
        self.runtime = runtime

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        book = self.runtime.faults
        if not book.active:
            await self.app(scope, receive, send)
            return
        request, receive_again = await self._facts(scope, receive)
        decision = book.decide(request)
        if decision is None:
            await self.app(scope, receive_again, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["fault"] = decision.description
        if decision.action is not None and request.api_user is not None:
            state.setdefault("api_user", request.api_user)
        if decision.delay_ms:
            # Real time on purpose: latency is what a client's timeout sees, not the clock.
            await asyncio.sleep(decision.delay_ms / 1000)
        if decision.action is None:
            await self.app(scope, receive_again, send)
        elif decision.action.type == "drop":
            await _drop(receive_again, send)
        else:
            answer = _answer(decision.action, self.runtime.ids.uuid4())
            await answer(scope, receive_again, send)

    async def _facts(self, scope: Scope, receive: Receive) -> tuple[FaultRequest, Receive]:
        """What rules match on; the body is read (and replayed to the app) only if needed."""
        book = self.runtime.faults
        method, path = scope["method"], scope["path"]
        wants_user, wants_apps = book.wants_api_user(), book.wants_application_ids()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        authorization = headers.get("authorization")
        needs_body = method == "POST" and (
            wants_apps or (wants_user and not authorization and path.endswith("/login"))
        )
        body: bytes | None = await read_body(receive) if needs_body else None
        data = _json(body) if body else None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        request = FaultRequest(
            method=method,
            path=path,
            api_user=(
                resolve_api_user(self.runtime.users, self.runtime.tokens, authorization, data)
                if wants_user
                else None
            ),
            application_ids=(
                application_ids_of(method, path, query, data) if wants_apps else frozenset()
            ),
        )
        return request, (replay(body, receive) if body is not None else receive)


def resolve_api_user(
    users: UserLookup, tokens: TokenStore, authorization: str | None, body: Any = None
) -> str | None:
    """The API user a request names, for matching only: the user its token was issued to
    (expired or not, allowlist aside, no bucket token taken), or a login body's userkey."""
    token = bearer_token(authorization)
    if token:
        user, _live = user_for_token(users, tokens, token)
        return user.userkey if user is not None else None
    if isinstance(body, dict) and isinstance(body.get("userkey"), str):
        return str(body["userkey"])
    return None


def application_ids_of(
    method: str, path: str, query: dict[str, str], body: Any
) -> frozenset[str] | None:
    """The applications a request names: a send's applicationIds (none given: all of them),
    a transactional push's appId (none given: any of the contact's), or a report's
    applicationId query parameter."""
    if method == "GET":
        given = query.get("applicationId")
        return frozenset({given.lower()}) if given else frozenset()
    if not isinstance(body, dict):
        return frozenset()
    if path.endswith("/transactional/push"):
        app_id = body.get("appId")
        return frozenset({app_id.lower()}) if isinstance(app_id, str) else None
    ids = body.get("applicationIds")
    if isinstance(ids, list) and ids:
        return frozenset(i.lower() for i in ids if isinstance(i, str))
    if path.endswith("/push/sendInstant") and not ids:
        return None  # the contract: no applicationIds means every application
    return frozenset()


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _answer(action: FaultAction, transaction_id: str) -> JsonResponse:
    if action.type == "malformed":
        return _RawJson(MALFORMED_BODY, status_code=200)
    if action.type == "code":
        assert action.code is not None
        message = action.message or CODE_MESSAGES[action.code]
        body = {"code": action.code, "message": message, "transactionId": transaction_id}
        return JsonResponse({**body, "data": None})
    status = action.status or 500
    headers = {"Retry-After": str(action.retryAfter or 1)} if status == 429 else {}
    if action.emptyBody:
        return _RawJson(b"", status_code=status, headers=headers)
    message = action.message or STATUS_MESSAGES[status]
    return JsonResponse({"code": status, "message": message}, status, headers)


class _RawJson(JsonResponse):
    """Bytes sent as they are, under the JSON media type the client expects."""

    def render(self, content: Any) -> bytes:
        return bytes(content)


def _server_transport() -> Any:
    """The connection's transport under uvicorn, or None elsewhere.

    ASGI has no way to abort a connection. uvicorn runs each request in a task whose coroutine
    is its request cycle's `run_asgi`, and that cycle holds the transport: closing it is what
    a dropped connection is.
    """
    task = asyncio.current_task()
    frame = getattr(task.get_coro(), "cr_frame", None) if task is not None else None
    cycle = frame.f_locals.get("self") if frame is not None else None
    transport = getattr(cycle, "transport", None)
    if callable(getattr(transport, "close", None)) and callable(
        getattr(transport, "is_closing", None)
    ):
        return transport
    return None


async def _drop(receive: Receive, send: Send) -> None:
    transport = _server_transport()
    if transport is None:
        # Another server (or the in-process test client): an exception is the nearest thing.
        raise ConnectionDropped("a fault rule dropped the connection")
    # Read the body first: closing over unread bytes makes the kernel reset the connection,
    # and a client should see the same clean "no response" whatever it sent.
    await read_body(receive)
    transport.close()
    # Wait until the server has seen the close: it then neither answers 500 for a request
    # left unanswered nor writes anything later.
    disconnected = False
    with contextlib.suppress(Exception):
        async with asyncio.timeout(5):
            while (await receive())["type"] != "http.disconnect":
                pass
            disconnected = True
    if disconnected:
        # Goes no further than the server (a disconnected connection takes no writes); it
        # lets the journal record status 0, "no response", instead of its default 500.
        await send({"type": "http.response.start", "status": 0, "headers": []})
    else:
        log.warning("a dropped connection was not seen closing within 5 s")
