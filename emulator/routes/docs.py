"""The OpenAPI schema and its docs page, served as /_emulator routes so the admin token guards
them like the rest of the prefix."""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse

from emulator.responses import JsonResponse

router = APIRouter(prefix="/_emulator", include_in_schema=False)


@router.get("/openapi.json")
async def openapi(request: Request) -> JsonResponse:
    return JsonResponse(request.app.openapi())


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/_emulator/openapi.json", title="push-emulator")
