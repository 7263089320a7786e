"""The OpenAPI schema and its docs page, behind the admin token like all of /_emulator.

The page is Swagger UI vendored into the package (static/swagger, swagger-ui-dist 5.35.0),
so it works with no network; it keeps the inbox's strict policy, with `data:` images allowed
for the icons Swagger UI's stylesheet draws with them.
"""

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from emulator import CONTROL_PREFIX
from emulator.ui.html import render
from emulator.ui.layout import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, STATIC
from emulator.web import JsonResponse

router = APIRouter(include_in_schema=False)

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
    return JsonResponse(request.app.openapi())


@router.get("/docs")
async def docs() -> HTMLResponse:
    page = render(PAGE, static=STATIC, openapi=f"{CONTROL_PREFIX}/openapi.json")
    return HTMLResponse(page, headers=DOCS_HEADERS)
