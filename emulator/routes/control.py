"""/_emulator routes that change recorded state: reset, fixtures, engagement, API users."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict

from emulator import control
from emulator.bodies import parse_json_body, validate_json
from emulator.errors import NotFound
from emulator.push.auth import mask_secret
from emulator.push.users import shown
from emulator.routes.deps import RuntimeDep
from emulator.web import JsonResponse

router = APIRouter(tags=["control"])

DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class ResetOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    keepTokens: bool = False


@router.post("/reset")
async def reset(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Clear sends, deliveries and the journal, reset clock, ids, tokens and buckets, and
    reload the fixtures from their folder. `{"keepTokens": true}` keeps issued access
    tokens valid; no body resets everything."""
    body = await request.body()
    options = validate_json(ResetOptions, body) if body.strip() else ResetOptions()
    await control.reset(runtime, keep_tokens=options.keepTokens)
    return JsonResponse({"reset": True, "keptTokens": options.keepTokens})


@router.get("/fixtures")
async def fixtures(runtime: RuntimeDep) -> JsonResponse:
    """The loaded fixtures, in the format PUT takes back."""
    return JsonResponse(runtime.fixtures.to_json())


@router.put("/fixtures")
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


@router.post("/deliveries/{delivery_id}/open")
async def open_delivery(delivery_id: DeliveryId, runtime: RuntimeDep) -> JsonResponse:
    """Mark the push opened and its device engaged (for useOnlyEngagedTokens)."""
    return await _engage(runtime, delivery_id, clicked=False)


@router.post("/deliveries/{delivery_id}/click")
async def click_delivery(delivery_id: DeliveryId, runtime: RuntimeDep) -> JsonResponse:
    """Mark the push clicked (and so opened) and its device engaged."""
    return await _engage(runtime, delivery_id, clicked=True)


# API users created at run time: one per test on a shared emulator ------------------------


@router.post("/api-users", status_code=201)
async def create_api_user(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Create an API user; every field is optional (userkey, password, permissions, tokens,
    allowedIps, rateLimit, transactionalRateLimit) and what is left out is generated. The
    answer is the only time the password and tokens are shown."""
    body = await request.body()
    user = control.create_user(runtime, parse_json_body(body) if body.strip() else {})
    return JsonResponse(user.model_dump(mode="json", exclude_none=True), status_code=201)


@router.get("/api-users")
async def api_users(runtime: RuntimeDep) -> JsonResponse:
    """Every API user, the fixtures' and the run-time ones; never a password, tokens masked."""
    fixture_users = [shown(u, "fixtures", mask_secret) for u in runtime.fixtures.api_users]
    created = [shown(u, "runtime", mask_secret) for u in runtime.users.created()]
    return JsonResponse({"items": [*fixture_users, *created]})


@router.delete("/api-users/{userkey}")
async def delete_api_user(
    userkey: str,
    runtime: RuntimeDep,
    purge: Annotated[bool, Query(description="also delete its sends and journal rows")] = False,
) -> JsonResponse:
    """Remove a run-time API user with its tokens and buckets (a fixture user is a 409)."""
    purged = await control.delete_user(runtime, userkey, purge)
    return JsonResponse({"deleted": userkey, "purged": purged})
