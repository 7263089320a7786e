"""Who is calling: the IP allowlist, access tokens from /rest/login, and static tokens."""

import threading
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from emulator.clock import Clock
from emulator.errors import Forbidden, IpNotAllowed, NotAuthenticated
from emulator.ids import IdGenerator
from emulator.push.fixtures import ApiUser, FixtureSet

PUSH_PERMISSION = "push"


class LoginRequest(BaseModel):
    """The body of POST /rest/login [client]: lower-case `userkey`, other keys ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")

    userkey: Annotated[str, Field(min_length=1)]
    password: Annotated[str, Field(min_length=1)]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    userkey: str
    expires_at: float


def bearer_token(authorization: str | None) -> str | None:
    """The token of an Authorization header: `Bearer <t>`, or the bare token [guess: the
    vendor's page shows the header's default as the raw token]."""
    if not authorization:
        return None
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    return value or None


def mask_secret(secret: str) -> str:
    """Enough to tell two secrets apart in a log, never enough to use one."""
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}…{secret[-2:]}"


class TokenStore:
    """Access tokens issued by /rest/login; they live `ttl` seconds on the emulator's clock.

    Tokens are kept in memory: after a restart clients re-login, as they must after an
    expiry on the real service.
    """

    def __init__(self, ttl: int, clock: Clock, ids: IdGenerator) -> None:
        self.ttl = ttl
        self._clock = clock
        self._ids = ids
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    def issue(self, userkey: str) -> IssuedToken:
        issued = IssuedToken(self._ids.token(), userkey, self._clock.timestamp() + self.ttl)
        with self._lock:
            now = self._clock.timestamp()
            # Forget expired tokens as new ones come, so the map cannot grow without bound.
            for token in [t for t, v in self._tokens.items() if v.expires_at <= now]:
                del self._tokens[token]
            self._tokens[issued.token] = issued
        return issued

    def lookup(self, token: str) -> IssuedToken | None:
        """The token as issued, expired or not (the allowlist is judged before expiry)."""
        with self._lock:
            return self._tokens.get(token)

    def is_live(self, issued: IssuedToken) -> bool:
        return issued.expires_at > self._clock.timestamp()

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


def user_for_token(
    fixtures: FixtureSet, tokens: TokenStore, token: str | None
) -> tuple[ApiUser | None, bool]:
    """The user a token names, expired or not, and whether it is still live.

    Static tokens never expire. Expired ones still name their user, because the allowlist
    (and a fault rule on an API user) is judged before expiry.
    """
    if not token:
        return None, False
    user = fixtures.static_tokens.get(token)
    if user is not None:
        return user, True
    issued = tokens.lookup(token)
    if issued is None:
        return None, False
    return fixtures.users_by_key.get(issued.userkey), tokens.is_live(issued)


def authenticate(
    fixtures: FixtureSet, tokens: TokenStore, authorization: str | None, client_ip: str
) -> ApiUser:
    """The API user behind a request: allowlist (403), then token (401)."""
    user, live = user_for_token(fixtures, tokens, bearer_token(authorization))
    # The real API refuses an address before it looks at credentials.
    if user is not None and not user.allows_ip(client_ip):
        raise IpNotAllowed(client_ip)
    if user is None or not live:
        raise NotAuthenticated()
    return user


def require_push_permission(user: ApiUser) -> None:
    if PUSH_PERMISSION not in user.permissions:
        raise Forbidden()


def login(
    fixtures: FixtureSet, tokens: TokenStore, userkey: str, password: str, client_ip: str
) -> IssuedToken:
    user = fixtures.users_by_key.get(userkey)
    if user is not None and not user.allows_ip(client_ip):
        raise IpNotAllowed(client_ip)
    if user is None or user.password != password:
        raise NotAuthenticated("Invalid userkey or password.")
    return tokens.issue(user.userkey)
