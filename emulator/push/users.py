"""API users: the fixtures' and those a test creates at run time, found in one directory."""

import threading
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from emulator.errors import Conflict, NotFound
from emulator.push.auth import PUSH_PERMISSION, TRANSACTIONAL_PERMISSION
from emulator.push.fixtures import (
    ApiUser,
    FixtureModel,
    FixtureSet,
    RateLimitFixture,
    check_network,
)

# Permissions an API user can be given; a run-time user gets both unless told otherwise.
PERMISSIONS = (PUSH_PERMISSION, TRANSACTIONAL_PERMISSION)
# Run-time users at once: enough for any parallel suite, bounded so a loop cannot fill memory.
MAX_CREATED = 10_000

Secret = Annotated[str, Field(min_length=1, max_length=200)]


class NewApiUser(FixtureModel):
    """The body of POST /_emulator/api-users: whatever is left out is generated."""

    userkey: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S+$")] | None = None
    password: Secret | None = None
    permissions: list[str] | None = None
    tokens: Annotated[list[Secret], Field(max_length=20)] | None = None
    allowedIps: list[Annotated[str, AfterValidator(check_network)]] | None = None
    rateLimit: RateLimitFixture | None = None
    transactionalRateLimit: RateLimitFixture | None = None

    @field_validator("permissions")
    @classmethod
    def _known_permissions(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PERMISSIONS]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not one of {', '.join(PERMISSIONS)}")
        return value

    def complete(self, new_secret: Callable[[], str]) -> ApiUser:
        """The user, with a generated userkey, password and static token where none was given."""
        return ApiUser(
            userkey=self.userkey or f"user-{new_secret()[:12]}",
            password=self.password or new_secret()[:32],
            permissions=list(PERMISSIONS if self.permissions is None else self.permissions),
            tokens=list(self.tokens if self.tokens is not None else [new_secret()]),
            allowedIps=self.allowedIps,
            rateLimit=self.rateLimit,
            transactionalRateLimit=self.transactionalRateLimit,
        )


class UserDirectory:
    """Every API user the emulator knows: the fixtures' first, then those created at run time.

    Run-time users live in memory beside the fixtures rather than in a new fixture set, so
    creating one never rebuilds the fixtures' indexes (a large device set would pay for it
    on every test). A reset removes them; fixture users cannot be removed.
    """

    def __init__(self, fixtures: Callable[[], FixtureSet]) -> None:
        self._fixtures = fixtures
        self._created: dict[str, ApiUser] = {}
        self._by_token: dict[str, ApiUser] = {}
        self._lock = threading.Lock()

    def user(self, userkey: str) -> ApiUser | None:
        return self._fixtures().user(userkey) or self._created.get(userkey)

    def user_for_static_token(self, token: str) -> ApiUser | None:
        return self._fixtures().user_for_static_token(token) or self._by_token.get(token)

    def created(self) -> list[ApiUser]:
        with self._lock:
            return list(self._created.values())

    def is_fixture_user(self, userkey: str) -> bool:
        return self._fixtures().user(userkey) is not None

    def add(self, user: ApiUser) -> None:
        """Keep a new run-time user; 409 when its userkey or a token is taken already."""
        fixtures = self._fixtures()
        with self._lock:
            if user.userkey in self._created or fixtures.user(user.userkey) is not None:
                raise Conflict([f"userkey: {user.userkey!r} already exists"])
            for token in user.tokens:
                if token in self._by_token or fixtures.user_for_static_token(token) is not None:
                    raise Conflict(["tokens: a token of this user is already another user's"])
            if len(self._created) >= MAX_CREATED:
                raise Conflict([f"at most {MAX_CREATED} run-time users; delete some first"])
            self._created[user.userkey] = user
            self._by_token.update({token: user for token in user.tokens})

    def remove(self, userkey: str) -> ApiUser:
        """Forget a run-time user and its static tokens: 409 for a fixture user, 404 for none."""
        if self.is_fixture_user(userkey):
            raise Conflict(
                [f"{userkey!r} comes from the fixtures; change them with PUT /_emulator/fixtures"]
            )
        with self._lock:
            user = self._created.pop(userkey, None)
            if user is None:
                raise NotFound(f"No API user {userkey!r}.")
            for token in user.tokens:
                self._by_token.pop(token, None)
        return user

    def clear(self) -> None:
        with self._lock:
            self._created.clear()
            self._by_token.clear()


def shown(user: ApiUser, source: str, mask: Callable[[str], str]) -> dict[str, Any]:
    """A user as GET /_emulator/api-users lists it: never the password, tokens masked."""
    return {
        "userkey": user.userkey,
        "source": source,
        "permissions": user.permissions,
        "tokens": [mask(token) for token in user.tokens],
        "allowedIps": user.allowedIps,
        "rateLimit": user.rateLimit.model_dump() if user.rateLimit else None,
        "transactionalRateLimit": (
            user.transactionalRateLimit.model_dump() if user.transactionalRateLimit else None
        ),
    }
