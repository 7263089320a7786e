"""JSON responses rendered with orjson, and the contract's error envelope."""

from typing import Any

import orjson
from starlette.responses import Response

from emulator.errors import ApiError


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error_response(error: ApiError) -> JsonResponse:
    return JsonResponse(error.body(), status_code=error.status, headers=error.headers())
