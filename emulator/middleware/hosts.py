"""The Host check on every route: a DNS-rebinding page cannot read or change anything."""

import ipaddress
import socket

from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.errors import ApiError
from emulator.settings import Settings
from emulator.web import error_response, header

# The name compose.yaml gives the emulator's service: other containers call it by that name.
SERVICE_NAME = "push-emulator"


class MisdirectedRequest(ApiError):
    status = 421

    def __init__(self, host: str) -> None:
        super().__init__(
            f"Host {host!r} is not one this emulator answers to; add it to "
            "EMULATOR_ALLOWED_HOSTS (or --allowed-hosts) if it is yours."
        )


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The names a request's Host may carry; IP addresses are always allowed (is_allowed)."""
    names = {"localhost", SERVICE_NAME, socket.gethostname().lower(), settings.host.lower()}
    return frozenset(names | settings.allowed_host_names())


def host_name(host: str) -> str:
    """The name or address in a Host header, without its port or brackets, lower-case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") > 1:
        return host  # a bare IPv6 address: its colons are not a port
    name, _, port = host.partition(":")
    return name if port.isdigit() or not port else host


def is_allowed(host: str, allowed: frozenset[str]) -> bool:
    """A name on the list, a subdomain of localhost, or an IP address.

    An address is never a rebinding: the attack needs a name the attacker's DNS first points
    at their server and then at 127.0.0.1, so the browser keeps sending that name as Host.
    """
    if "*" in allowed:
        return True
    name = host_name(host).rstrip(".")
    if name in allowed or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheckMiddleware:
    """Answers 421 to any request whose Host is not allowed, on every route.

    Without it, with no admin token, a page on evil.example whose name was rebound to
    127.0.0.1 read /_emulator/fixtures (API users' passwords) and, same-origin in the
    browser's eyes, passed the cross-site check on reset, fixtures and faults. A request
    without a Host header (HTTP/1.0 tools) comes from no browser and passes.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.allowed = allowed_hosts(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = header(scope, b"host")
            if host is not None and not is_allowed(host, self.allowed):
                await error_response(MisdirectedRequest(host))(scope, receive, send)
                return
        await self.app(scope, receive, send)
