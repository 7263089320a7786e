"""The OpenAPI schema and its docs page, behind the admin token like all of /_emulator."""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from emulator import CONTROL_PREFIX
from emulator.web import JsonResponse

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi(request: Request) -> JsonResponse:
    return JsonResponse(request.app.openapi())


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=f"{CONTROL_PREFIX}/openapi.json", title="push-emulator")
