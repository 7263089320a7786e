"""The metrics middleware's route labels: templates, the control prefix, and no route at all."""

from types import SimpleNamespace
from typing import Any

from starlette.routing import Route

from emulator.middleware.metrics import route_label


async def _endpoint(_request: Any) -> None:
    return None


ROUTES = [Route("/rest/push/sendInstant", _endpoint, methods=["POST"])]


def scope(path: str, **extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "root_path": "", **extra}


def test_a_routed_request_is_labelled_by_its_template() -> None:
    routed = scope("/_emulator/sends/abc", route=SimpleNamespace(path="/_emulator/sends/{key}"))
    assert route_label(routed, ROUTES, "/_emulator") == "/_emulator/sends/{key}"


def test_a_route_of_an_included_router_gets_its_prefix_back() -> None:
    routed = scope("/_emulator/webhooks", route=SimpleNamespace(path="/webhooks"))
    assert route_label(routed, ROUTES, "/_emulator") == "/_emulator/webhooks"
    assert route_label(scope("/metrics", route=SimpleNamespace(path="/metrics")), [], "/_emulator")


def test_a_request_answered_before_routing_is_labelled_by_the_route_it_was_for() -> None:
    assert route_label(scope("/rest/push/sendInstant"), ROUTES, "/_emulator") == (
        "/rest/push/sendInstant"
    )
    assert route_label(scope("/rest/unknown"), ROUTES, "/_emulator") == "unmatched"
