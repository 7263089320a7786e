"""/_emulator routes that change recorded state: reset, fixtures, engagement with a delivery,
dispatching a scheduled send now, read marks, API users."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from emulator import control
from emulator.bodies import parse_json_body, validate_json
from emulator.client.shapes import Engagement
from emulator.errors import NotFound
from emulator.openapi import Responses, Shape, answer, error, json_body
from emulator.push.auth import mask_secret
from emulator.push.fixtures import FILES, ApiUser, RateLimitFixture
from emulator.push.users import NewApiUser, shown
from emulator.routes.deps import RuntimeDep
from emulator.routes.schemas import DELIVERY_EXAMPLE
from emulator.web import JsonResponse

router = APIRouter(tags=["control"])

DeliveryId = Annotated[
    int, Path(ge=1, le=2**63 - 1, description="a delivery's id, as a send's `deliveries` list it")
]


class ResetDone(Shape):
    reset: Literal[True]
    keptTokens: bool  # access tokens from /rest/login are still valid


# Every fixture file as a list of its records: what GET answers and PUT takes.
_files: dict[str, Any] = {
    name: (list[model], Field(default_factory=list))  # type: ignore[valid-type]
    for name, model in FILES.items()
}
# Only documented, never validated here: built when the document first needs it.
Fixtures = create_model("Fixtures", __config__=ConfigDict(defer_build=True), **_files)

_FIXTURES_EXAMPLE = {
    "api_users": [
        {
            "userkey": "ci-user",
            "password": "ci-password",
            "permissions": ["push"],
            "tokens": ["ci-token"],
        }
    ],
    "applications": [
        {
            "id": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
            "name": "Shop Android",
            "platform": "android",
        }
    ],
    "devices": [
        {
            "token": "fcm-token-1",
            "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
            "contactKey": "c-001",
            "language": "en",
        }
    ],
}
_FIXTURES: Responses = {200: answer(Fixtures, _FIXTURES_EXAMPLE, "the loaded fixtures")}
_ENGAGED: Responses = {
    200: answer(
        Engagement,
        {**DELIVERY_EXAMPLE, "openedAt": "2030-01-01T09:05:00Z", "deviceEngaged": True},
        "the delivery, now opened",
    ),
    **error(404, "No delivery with id 7.", "no such delivery"),
    **error(400, "delivery_id: Input should be greater than or equal to 1", "not a delivery id"),
}


class ResetOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    keepTokens: bool = False


@router.post(
    "/reset",
    responses={
        200: answer(ResetDone, {"reset": True, "keptTokens": False}, "reset and reloaded"),
        **error(400, "keepTokens: Input should be a valid boolean", "a bad option"),
    },
    openapi_extra=json_body(ResetOptions, {"keepTokens": True}, "optional", required=False),
)
async def reset(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Clear sends, deliveries and the journal, reset clock, ids, tokens and buckets, and
    reload the fixtures from their folder. `{"keepTokens": true}` keeps issued access
    tokens valid; no body resets everything."""
    body = await request.body()
    options = validate_json(ResetOptions, body) if body.strip() else ResetOptions()
    await control.reset(runtime, keep_tokens=options.keepTokens)
    return JsonResponse({"reset": True, "keptTokens": options.keepTokens})


@router.get("/fixtures", responses=_FIXTURES)
async def fixtures(runtime: RuntimeDep) -> JsonResponse:
    """The loaded fixtures, in the format PUT takes back."""
    return JsonResponse(runtime.fixtures.to_json())


@router.put(
    "/fixtures",
    responses={
        **_FIXTURES,
        **error(
            400,
            "devices.json record 0 (token 'fcm-token-1'): applicationId: must be a GUID",
            "a file, record or field is invalid; nothing changed",
        ),
    },
    openapi_extra=json_body(
        Fixtures, _FIXTURES_EXAMPLE, "every fixture file; one left out is empty"
    ),
)
async def put_fixtures(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Replace every fixture file at once; a file left out becomes empty. Lasts until a
    reset or restart, which reload the fixture folder."""
    loaded = control.replace_fixtures(runtime, parse_json_body(await request.body()))
    return JsonResponse(loaded.to_json())


async def _engage(runtime: RuntimeDep, delivery_id: int, clicked: bool) -> JsonResponse:
    engagement = await control.engage(runtime, delivery_id, clicked)
    if engagement is None:
        raise NotFound(f"No delivery with id {delivery_id}.")
    return JsonResponse({**engagement.delivery, "deviceEngaged": engagement.device_found})


@router.post("/deliveries/{delivery_id}/open", responses=_ENGAGED)
async def open_delivery(delivery_id: DeliveryId, runtime: RuntimeDep) -> JsonResponse:
    """Mark the push opened and its device engaged (for useOnlyEngagedTokens)."""
    return await _engage(runtime, delivery_id, clicked=False)


@router.post("/deliveries/{delivery_id}/click", responses=_ENGAGED)
async def click_delivery(delivery_id: DeliveryId, runtime: RuntimeDep) -> JsonResponse:
    """Mark the push clicked (and so opened) and its device engaged."""
    return await _engage(runtime, delivery_id, clicked=True)


# API users created at run time: one per test on a shared emulator ------------------------


class ShownApiUser(Shape):
    userkey: str
    source: Literal["fixtures", "runtime"]
    permissions: list[str]
    tokens: list[str]  # masked
    allowedIps: list[str] | None
    rateLimit: RateLimitFixture | None
    transactionalRateLimit: RateLimitFixture | None


class ApiUsers(Shape):
    items: list[ShownApiUser]


class Purged(Shape):
    sends: int
    requests: int


class DeletedApiUser(Shape):
    deleted: str
    purged: Purged | None  # how many rows went, with `purge=true`


_NEW_USER_EXAMPLE = {
    "userkey": "user-4f2a9c1e7b3d",
    "password": "Qm7x2LrT9vKp4WcZ8nYb1sHd6FjE3gAu",
    "permissions": ["push", "transactionalPush"],
    "tokens": ["tok-6d1e8f2a9b4c7e3f5a0d"],
}


@router.post(
    "/api-users",
    status_code=201,
    responses={
        201: answer(ApiUser, _NEW_USER_EXAMPLE, "the user, with its password and tokens"),
        **error(409, "userkey: 'ci' already exists", "the userkey is taken"),
        **error(400, "permissions: 'admin' is not one of push, transactionalPush", "bad field"),
    },
    openapi_extra=json_body(
        NewApiUser, {"permissions": ["push"]}, "every field optional; left out: generated", False
    ),
)
async def create_api_user(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Create an API user; every field is optional (userkey, password, permissions, tokens,
    allowedIps, rateLimit, transactionalRateLimit) and what is left out is generated. The
    answer is the only time the password and tokens are shown."""
    body = await request.body()
    user = control.create_user(runtime, parse_json_body(body) if body.strip() else {})
    return JsonResponse(user.model_dump(mode="json", exclude_none=True), status_code=201)


@router.get(
    "/api-users",
    responses={
        200: answer(
            ApiUsers,
            {
                "items": [
                    {
                        "userkey": "demo-user",
                        "source": "fixtures",
                        "permissions": ["push"],
                        "tokens": ["demo…en"],
                        "allowedIps": None,
                        "rateLimit": None,
                        "transactionalRateLimit": None,
                    }
                ]
            },
            "every API user",
        )
    },
)
async def api_users(runtime: RuntimeDep) -> JsonResponse:
    """Every API user, the fixtures' and the run-time ones; never a password, tokens masked."""
    fixture_users = [shown(u, "fixtures", mask_secret) for u in runtime.fixtures.api_users]
    created = [shown(u, "runtime", mask_secret) for u in runtime.users.created()]
    return JsonResponse({"items": [*fixture_users, *created]})


@router.delete(
    "/api-users/{userkey}",
    responses={
        200: answer(
            DeletedApiUser,
            {"deleted": "user-4f2a9c1e7b3d", "purged": {"sends": 3, "requests": 7}},
            "removed",
        ),
        **error(404, "No API user 'x'.", "no such user"),
        **error(
            409,
            "'demo-user' comes from the fixtures; change them with PUT /_emulator/fixtures",
            "a fixture user",
        ),
        **error(400, "purge: Input should be a valid boolean", "a bad parameter"),
    },
)
async def delete_api_user(
    userkey: Annotated[str, Path(description="a run-time API user's userkey")],
    runtime: RuntimeDep,
    purge: Annotated[bool, Query(description="also delete its sends and journal rows")] = False,
) -> JsonResponse:
    """Remove a run-time API user with its tokens and buckets (a fixture user is a 409)."""
    purged = await control.delete_user(runtime, userkey, purge)
    return JsonResponse({"deleted": userkey, "purged": purged})


class DispatchedNow(Shape):
    """A scheduled send moved to now: the dispatcher fans it out at once."""

    trackingId: str
    transactionId: str
    scheduledFor: str | None  # the schedule it had
    scheduleAt: str  # now, on the emulator's clock


class MarkedRead(Shape):
    """How many sends were unread and are now read."""

    marked: int


_DISPATCHED = {
    "trackingId": "0b7d4c2e-9a61-4f0e-8d3b-2c1a5e6f7a80",
    "transactionId": "5e0c1f7a-3b2d-4c9e-8f1a-6d4b2a0c9e31",
    "scheduledFor": "2030-06-01T09:00:00Z",
    "scheduleAt": "2030-05-30T14:03:12.512000Z",
}
_NO_SEND = error(404, "No send with tracking id or transaction id 'x'.", "no such send")
_MARKED: Responses = {200: answer(MarkedRead, {"marked": 1}, "how many were marked")}
SendKey = Annotated[str, Path(description="a tracking id, or a send's transaction id")]


@router.post(
    "/sends/{key}/dispatch",
    responses={
        200: answer(DispatchedNow, _DISPATCHED, "moved to now"),
        **_NO_SEND,
        **error(
            409,
            "send 5e0c1f7a-3b2d-4c9e-8f1a-6d4b2a0c9e31: is Completed, not Scheduled; only a "
            "scheduled send can be dispatched now",
            "the send is not Scheduled",
        ),
    },
)
async def dispatch_now(key: SendKey, runtime: RuntimeDep) -> JsonResponse:
    """Fan a Scheduled send out now (its schedule moves to the emulator's now); 409 when it
    is not Scheduled, 404 when no send has this tracking or transaction id."""
    return JsonResponse(await control.dispatch_now(runtime, key))


@router.post("/sends/read", responses=_MARKED)
async def mark_all_read(runtime: RuntimeDep) -> JsonResponse:
    """Mark every send read (the inbox's unread markers and count)."""
    return JsonResponse({"marked": await control.mark_read(runtime, None)})


@router.post("/sends/{key}/read", responses={**_MARKED, **_NO_SEND})
async def mark_read(key: SendKey, runtime: RuntimeDep) -> JsonResponse:
    """Mark one send read, as opening it in the inbox does."""
    return JsonResponse({"marked": await control.mark_read(runtime, key)})
