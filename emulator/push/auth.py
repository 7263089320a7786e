"""Who is calling: the IP allowlist, access tokens from /rest/login, and static tokens."""

import threading
from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field

from emulator.clock import Clock
from emulator.errors import (
    NOT_AUTHENTICATED,
    NOT_AUTHORIZED,
    TOO_MANY_REQUESTS,
    TRANSACTIONAL_NOT_AUTHENTICATED,
    TRANSACTIONAL_NOT_AUTHORIZED,
    TRANSACTIONAL_TOO_MANY_REQUESTS,
    Forbidden,
    IpNotAllowed,
    NotAuthenticated,
)
from emulator.ids import IdGenerator
from emulator.push.fixtures import ApiUser

PUSH_PERMISSION = "push"
TRANSACTIONAL_PERMISSION = "transactionalPush"


@dataclass(frozen=True)
class PushCall:
    """What differs between the push calls' checks: the permission they need, and the texts
    of their refusals (each call's own, per the vendor's pages)."""

    permission: str
    not_authenticated: str
    not_authorized: str
    too_many_requests: str
    # Users whose fixture gives this call a bucket of its own (transactionalRateLimit) take
    # from `<userkey>:<own_bucket>`; everyone else from the user's one bucket.
    own_bucket: str | None = None


INSTANT_CALL = PushCall(PUSH_PERMISSION, NOT_AUTHENTICATED, NOT_AUTHORIZED, TOO_MANY_REQUESTS)
TRANSACTIONAL_CALL = PushCall(
    TRANSACTIONAL_PERMISSION,
    TRANSACTIONAL_NOT_AUTHENTICATED,
    TRANSACTIONAL_NOT_AUTHORIZED,
    TRANSACTIONAL_TOO_MANY_REQUESTS,
    own_bucket="transactional",
)


def bucket_key(user: ApiUser, call: PushCall) -> str:
    """The rate-limit bucket a call by `user` takes from."""
    if call.own_bucket is not None and user.transactionalRateLimit is not None:
        return f"{user.userkey}:{call.own_bucket}"
    return user.userkey


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
        with self._lock:
            now = self._clock.timestamp()
            # Forget expired tokens as new ones come, so the map cannot grow without bound.
            for token in [t for t, v in self._tokens.items() if v.expires_at <= now]:
                del self._tokens[token]
            token = self._ids.token()
            # A seeded generator restarts at each reset, so it may draw a token that is
            # still live: the same user gets it again (refreshed), another user never does.
            # Drawing on stays reproducible.
            while token in self._tokens and self._tokens[token].userkey != userkey:
                token = self._ids.token()
            issued = IssuedToken(token, userkey, now + self.ttl)
            self._tokens[token] = issued
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

    def revoke(self, userkey: str) -> int:
        """Forget every token issued to `userkey` (a removed API user); how many there were."""
        with self._lock:
            gone = [t for t, issued in self._tokens.items() if issued.userkey == userkey]
            for token in gone:
                del self._tokens[token]
        return len(gone)


class UserLookup(Protocol):
    """Where API users are found: a fixture set, or every user a runtime knows."""

    def user(self, userkey: str) -> ApiUser | None: ...

    def user_for_static_token(self, token: str) -> ApiUser | None: ...


def user_for_token(
    users: UserLookup, tokens: TokenStore, token: str | None
) -> tuple[ApiUser | None, bool]:
    """The user a token names, expired or not, and whether it is still live.

    Static tokens never expire. Expired ones still name their user, because the allowlist
    (and a fault rule on an API user) is judged before expiry.
    """
    if not token:
        return None, False
    user = users.user_for_static_token(token)
    if user is not None:
        return user, True
    issued = tokens.lookup(token)
    if issued is None:
        return None, False
    return users.user(issued.userkey), tokens.is_live(issued)


def authenticate(
    users: UserLookup,
    tokens: TokenStore,
    authorization: str | None,
    client_ip: str,
    call: PushCall = INSTANT_CALL,
) -> ApiUser:
    """The API user behind a request: allowlist (403), then token (401)."""
    user, live = user_for_token(users, tokens, bearer_token(authorization))
    # The real API refuses an address before it looks at credentials.
    if user is not None and not user.allows_ip(client_ip):
        raise IpNotAllowed(client_ip)
    if user is None or not live:
        raise NotAuthenticated(call.not_authenticated)
    return user


def require_permission(user: ApiUser, call: PushCall = INSTANT_CALL) -> None:
    if call.permission not in user.permissions:
        raise Forbidden(call.not_authorized)


def require_push_permission(user: ApiUser) -> None:
    require_permission(user, INSTANT_CALL)


def login(
    users: UserLookup, tokens: TokenStore, userkey: str, password: str, client_ip: str
) -> IssuedToken:
    user = users.user(userkey)
    if user is not None and not user.allows_ip(client_ip):
        raise IpNotAllowed(client_ip)
    if user is None or user.password != password:
        raise NotAuthenticated("Invalid userkey or password.")
    return tokens.issue(user.userkey)
