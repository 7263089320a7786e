"""Health probes for containers and orchestrators: /livez (process up) and /readyz (can serve)."""

from starlette.requests import Request
from starlette.routing import Route

from emulator.routes.callers import get_runtime
from emulator.storage.db import probe_writable
from emulator.web import JsonResponse


async def livez(_request: Request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


async def readyz(request: Request) -> JsonResponse:
    """Ready when the database takes a write and fixtures are loaded; 503 says which is not."""
    runtime = await get_runtime(request)
    problems: list[str] = []
    try:
        await runtime.writer.run(probe_writable)
    except Exception as error:
        problems.append(f"database {runtime.settings.db} is not writable: {error}")
    fixtures = runtime.fixtures
    if not fixtures.api_users:
        problems.append(f"fixtures {runtime.settings.fixtures}: no API users are loaded")
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JsonResponse(
        {
            "status": "ready",
            "fixtures": {name: len(records) for name, records in fixtures.to_json().items()},
        }
    )


routes = [
    Route("/livez", livez, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
]
