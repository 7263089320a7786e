"""/_emulator routes that change recorded state: reset, fixtures, engagement with a delivery."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict

from emulator import control
from emulator.bodies import parse_json_body, validate_json
from emulator.errors import NotFound
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
