"""The two OpenAPI documents and the docs page, behind the admin token like all of /_emulator."""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.responses import HTMLResponse

from emulator import CONTROL_PREFIX
from emulator.openapi import finish
from emulator.push.openapi import rest_document
from emulator.web import JsonResponse

router = APIRouter(include_in_schema=False)

DESCRIPTION = (
    "Everything push-emulator adds to the emulated D·engage API: inspection, waits, events, "
    "control and behaviour. The emulated /rest routes are described in "
    f"{CONTROL_PREFIX}/openapi-rest.json."
)


def control_document(app: FastAPI) -> dict[str, Any]:
    """The /_emulator document, built once per app."""
    if app.openapi_schema is None:
        app.openapi_schema = finish(
            get_openapi(
                title=app.title,
                version=app.version,
                description=DESCRIPTION,
                routes=app.routes,
            )
        )
    return app.openapi_schema


@router.get("/openapi.json")
async def openapi(request: Request) -> JsonResponse:
    return JsonResponse(control_document(request.app))


@router.get("/openapi-rest.json")
async def openapi_rest() -> JsonResponse:
    return JsonResponse(rest_document())


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=f"{CONTROL_PREFIX}/openapi.json", title="push-emulator")
