"""Shared route dependencies, as typed aliases so route signatures read like the contract."""

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from emulator.errors import Forbidden, NotAuthenticated
from emulator.openapi import error
from emulator.push.auth import bearer_token
from emulator.routes.callers import get_runtime
from emulator.runtime import Runtime

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


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
