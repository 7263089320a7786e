"""Shared route dependencies, as typed aliases so route signatures read like the contract."""

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from emulator.errors import Forbidden, NotAuthenticated, TooManyRequests
from emulator.openapi import error
from emulator.push.auth import (
    INSTANT_CALL,
    PushCall,
    authenticate,
    bearer_token,
    bucket_key,
    require_permission,
)
from emulator.push.fixtures import ApiUser
from emulator.runtime import Runtime
from emulator.web import client_ip


# Dependencies are `async def` on purpose: FastAPI runs plain `def` ones in a thread pool,
# a thread hop per request that costs more than the work they do.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def push_caller(
    request: Request, runtime: RuntimeDep, call: PushCall = INSTANT_CALL
) -> ApiUser:
    """The contract's order: allowlist 403 → token 401 → permission 403 → bucket 429, each
    refusal in the texts of `call` (SendInstantPush's or SendTransactionalPush's)."""
    user = authenticate(
        runtime.users,
        runtime.tokens,
        request.headers.get("authorization"),
        client_ip(request.scope),
        call,
    )
    request.state.api_user = user.userkey
    require_permission(user, call)
    # Every authenticated call takes a token; a refused one is answered before the body is read.
    wait = runtime.limiter.take(bucket_key(user, call))
    if wait is not None:
        raise TooManyRequests(wait, call.too_many_requests)
    return user


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def refuse_cross_site(request: Request) -> None:
    """A page on another site must not reset or clear the emulator through a visitor's browser.

    Browsers send `Origin` on cross-site writes; with no admin token set nothing else would
    stop them. Tools (curl, httpx, the CLI) send no `Origin` and are unaffected.
    """
    if request.method in _SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site" or (
        origin is not None and urlsplit(origin).netloc != request.headers.get("host")
    ):
        raise Forbidden(f"Cross-site {request.method} to {request.url.path} refused.")


async def require_admin(request: Request, runtime: RuntimeDep) -> None:
    """/_emulator routes: same-site writes only, and the admin token when one is set."""
    refuse_cross_site(request)
    expected = runtime.settings.admin_token
    if expected is None:
        return
    given = bearer_token(request.headers.get("authorization")) or ""
    if not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise NotAuthenticated("The emulator's admin token is required for /_emulator routes.")


# What require_admin answers, documented on every /_emulator route it guards.
ADMIN_RESPONSES = {
    **error(
        401,
        "The emulator's admin token is required for /_emulator routes.",
        "EMULATOR_ADMIN_TOKEN is set and this request did not carry it",
    ),
    **error(403, "Cross-site POST to /_emulator/reset refused.", "a write from another site"),
}
