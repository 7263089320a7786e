"""The two OpenAPI documents and the docs page, behind the admin token like all of /_emulator.

The page is Swagger UI vendored into the package (static/swagger, swagger-ui-dist 5.35.0),
so it works with no network; it keeps the inbox's strict policy, with `data:` images allowed
for the icons Swagger UI's stylesheet draws with them.
"""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.responses import HTMLResponse

from emulator import CONTROL_PREFIX
from emulator.openapi import finish
from emulator.push.openapi import rest_document
from emulator.ui.html import render
from emulator.ui.layout import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, STATIC
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


SWAGGER_UI_VERSION = "5.35.0"
DOCS_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' http: https:", "img-src 'self' data:"
    ),
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>push-emulator · API docs</title>
<link rel="icon" href="{static}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{static}/swagger/swagger-ui.css">
<script src="{static}/swagger/swagger-ui-bundle.js" defer></script>
<script src="{static}/docs.js" defer></script>
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
</body>
</html>
"""


@router.get("/openapi.json")
async def openapi(request: Request) -> JsonResponse:
    return JsonResponse(control_document(request.app))


@router.get("/openapi-rest.json")
async def openapi_rest() -> JsonResponse:
    return JsonResponse(rest_document())


@router.get("/docs")
async def docs() -> HTMLResponse:
    page = render(PAGE, static=STATIC, openapi=f"{CONTROL_PREFIX}/openapi.json")
    return HTMLResponse(page, headers=DOCS_HEADERS)
