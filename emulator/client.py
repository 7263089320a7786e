"""A small typed client of the /_emulator API, for test suites and the CLI."""

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, cast

import httpx
import orjson

# typing_extensions' (pydantic's own dependency): on 3.11 pydantic documents only this kind, and
# the API's schema of a webhook attempt is the client's WebhookAttempt.
from typing_extensions import TypedDict

from emulator import CONTROL_PREFIX
from emulator.filters import (
    PAGE_PARAMS,
    REQUEST_FILTERS,
    SEND_FILTERS,
    WEBHOOK_LOG_FILTERS,
    keyword_params,
)

DEFAULT_URL = "http://127.0.0.1:8080"

# Python keyword names of the filters, to the API's query parameters.
_FILTER_NAMES = keyword_params(SEND_FILTERS, REQUEST_FILTERS, WEBHOOK_LOG_FILTERS, PAGE_PARAMS)


def default_url() -> str:
    """Where a running emulator is: $PUSH_EMULATOR_URL, else 127.0.0.1 on $EMULATOR_PORT
    (inside the server's own container), else DEFAULT_URL."""
    port = os.environ.get("EMULATOR_PORT")
    return os.environ.get("PUSH_EMULATOR_URL") or (
        f"http://127.0.0.1:{port}" if port else DEFAULT_URL
    )


class SendItem(TypedDict):
    id: int
    trackingId: str
    transactionId: str
    status: str
    receivedAt: str
    updatedAt: str
    scheduleAt: str | None
    completedAt: str | None
    apiUser: str
    clientIp: str
    request: Any
    content: dict[str, Any]
    applicationIds: list[str]
    allApplications: bool
    segmentId: str | None
    tableId: str | None
    templateIds: list[str]
    useOnlyEngagedTokens: bool
    warnings: list[str]
    response: dict[str, Any]
    deliveryCount: int


class DeliveryItem(TypedDict):
    id: int
    token: str
    applicationId: str
    platform: str
    contactKey: str | None
    language: str | None
    deviceType: str | None
    browser: str | None
    title: str | None
    message: str | None
    targetUrl: str | None
    mediaUrl: str | None
    extra: dict[str, Any]
    status: str
    reason: str | None
    createdAt: str
    openedAt: str | None
    clickedAt: str | None


class OtherSend(TypedDict):
    transactionId: str
    status: str
    receivedAt: str


class SendDetail(SendItem):
    deliveries: list[DeliveryItem]
    others: list[OtherSend]


class RequestItem(TypedDict):
    id: int
    receivedAt: str
    method: str
    path: str
    query: str
    status: int
    apiUser: str | None
    clientIp: str
    latencyMs: float
    headers: dict[str, str]
    body: str
    bodyTruncated: bool
    error: str | None
    trackingId: str | None
    fault: str | None


class WebhookAttempt(TypedDict):
    """One attempt in the webhook deliveries log (also the API's documented shape)."""

    id: int
    at: str
    webhook: int
    url: str
    eventId: int
    eventKind: str
    attempt: int
    result: str  # delivered, failed (another try follows) or gave_up
    status: int | None
    latencyMs: float
    error: str | None


class EmulatorError(RuntimeError):
    """The emulator answered with an error; `status` and the envelope's message."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.body = body


class WaitTimeout(AssertionError):
    """Not enough sends matched in time; the message shows the near misses.

    An AssertionError, so a test that waits reads as a failed expectation, not a crash."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.matched: int = body.get("matched", 0)
        self.near_misses: list[SendItem] = body.get("nearMisses", [])
        lines = [str(body.get("message", "timed out"))]
        if self.near_misses:
            lines.append("Most recent sends that did not match:")
            for item in self.near_misses:
                lines.append(
                    f"  {item['receivedAt']} {item['status']:<9} trackingId={item['trackingId']} "
                    f"apiUser={item['apiUser']} deliveries={item['deliveryCount']} "
                    f"title={_title(item)!r}"
                )
        else:
            lines.append("No other sends were recorded.")
        super().__init__("\n".join(lines))


class WebhookWaitTimeout(AssertionError):
    """Not enough webhook attempts matched in time; the message shows the newest others."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.matched: int = body.get("matched", 0)
        self.near_misses: list[WebhookAttempt] = body.get("nearMisses", [])
        lines = [str(body.get("message", "timed out"))]
        lines.append("Most recent attempts that did not match:" if self.near_misses else "")
        for item in self.near_misses:
            lines.append(
                f"  {item['at']} webhook={item['webhook']} event={item['eventId']} "
                f"{item['eventKind']} try {item['attempt']}: {item['result']} "
                f"status={item['status']} {item['error'] or ''}".rstrip()
            )
        super().__init__("\n".join(line for line in lines if line))


def _title(item: Mapping[str, Any]) -> str | None:
    content = item.get("content") or {}
    if "content" in content:
        return cast(str | None, content["content"].get("title"))
    contents = content.get("multiLangContent", {}).get("contents", [])
    return cast(str | None, contents[0].get("title")) if contents else None


def query_params(filters: Mapping[str, Any]) -> dict[str, str]:
    """Keyword filters (snake_case or the API's camelCase) as query parameters."""
    params: dict[str, str] = {}
    for name, value in filters.items():
        if value is None:
            continue
        key = _FILTER_NAMES.get(name, name)
        if isinstance(value, datetime):
            params[key] = value.isoformat()
        elif isinstance(value, bool):
            params[key] = "true" if value else "false"
        else:
            params[key] = str(value)
    return params


class EmulatorClient:
    """Reads and controls a running emulator: `sends()`, `last_send()`, `wait_for_sends()`…"""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        admin_token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._http = httpx.Client(
            base_url=self.url + CONTROL_PREFIX,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> "EmulatorClient":
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        return self._json(response)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.is_success:
            return body
        message = body.get("message") if isinstance(body, dict) else str(body)
        raise EmulatorError(response.status_code, str(message), body)

    # Sends

    def sends_page(self, **filters: Any) -> dict[str, Any]:
        """One page: {"items": [...], "nextCursor": ...}; pass `cursor=` to get the next."""
        return cast(dict[str, Any], self._call("GET", "/sends", params=query_params(filters)))

    def sends(self, **filters: Any) -> list[SendItem]:
        """Matching sends, newest first (`limit`, default 50)."""
        return cast(list[SendItem], self.sends_page(**filters)["items"])

    def send(self, tracking_id: str) -> SendDetail:
        """The newest send with this tracking id (or transaction id), with its deliveries."""
        return cast(SendDetail, self._call("GET", f"/sends/{tracking_id}"))

    def last_send(self, **filters: Any) -> SendDetail:
        """The newest matching send with its deliveries; AssertionError when there is none."""
        items = self.sends(**filters, limit=1)
        if not items:
            raise AssertionError(
                f"no send recorded{' matching ' + str(filters) if filters else ''}"
            )
        # The newest send overall is also the newest with its own tracking id.
        return self.send(items[0]["trackingId"])

    def wait_for_sends(
        self, count: int = 1, timeout: float = 10.0, **filters: Any
    ) -> list[SendItem]:
        """Block until `count` matching sends are Completed (or in the `status` given);
        raise WaitTimeout, with the near misses, after `timeout` seconds."""
        params = {**query_params(filters), "count": str(count), "timeout": str(timeout)}
        response = self._http.get("/sends/wait", params=params, timeout=timeout + 30.0)
        if response.status_code == 408:
            raise WaitTimeout(response.json())
        return cast(list[SendItem], self._json(response)["items"])

    def clear_sends(self) -> int:
        return int(self._call("DELETE", "/sends")["deleted"])

    def export(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every matching send with its deliveries, oldest first, read as it streams."""
        with self._http.stream("GET", "/export", params=query_params(filters)) as response:
            if not response.is_success:
                response.read()
                self._json(response)
            for line in response.iter_lines():
                if line:
                    yield cast(dict[str, Any], orjson.loads(line))

    # Journal

    def requests(self, **filters: Any) -> list[RequestItem]:
        """Requests under /rest, newest first; filters `status` (429 or 4xx), `path`,
        `api_user`, `since`, `limit`."""
        page = self._call("GET", "/requests", params=query_params(filters))
        return cast(list[RequestItem], page["items"])

    def clear_requests(self) -> int:
        return int(self._call("DELETE", "/requests")["deleted"])

    # Control

    def reset(self) -> None:
        """Clear sends, deliveries and the journal; reset run-time state; reload fixtures."""
        self._call("POST", "/reset")

    def fixtures(self) -> dict[str, list[dict[str, Any]]]:
        return cast(dict[str, list[dict[str, Any]]], self._call("GET", "/fixtures"))

    def load_fixtures(self, data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Replace the fixtures ({"api_users": [...], "devices": [...], ...}); until reset."""
        return cast(dict[str, list[dict[str, Any]]], self._call("PUT", "/fixtures", json=data))

    def open(self, delivery_id: int) -> DeliveryItem:
        return cast(DeliveryItem, self._call("POST", f"/deliveries/{delivery_id}/open"))

    def click(self, delivery_id: int) -> DeliveryItem:
        return cast(DeliveryItem, self._call("POST", f"/deliveries/{delivery_id}/click"))

    # Webhooks

    def webhooks(self) -> list[dict[str, Any]]:
        """The webhooks in force, each with its queue and counts (secrets masked)."""
        return cast(list[dict[str, Any]], self._call("GET", "/webhooks"))

    def set_webhooks(self, webhooks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Replace the webhooks ([{"url": ..., "events": [...], "secret": ...}]); until reset."""
        return cast(list[dict[str, Any]], self._call("PUT", "/webhooks", json=list(webhooks)))

    def clear_webhooks(self) -> None:
        self._call("DELETE", "/webhooks")

    def webhook_deliveries(self, **filters: Any) -> list[WebhookAttempt]:
        """Webhook attempts, newest first; filters `result`, `event_kind`, `event_id`,
        `webhook`, `limit`."""
        page = self._call("GET", "/webhooks/deliveries", params=query_params(filters))
        return cast(list[WebhookAttempt], page["items"])

    def wait_for_webhook_deliveries(
        self, count: int = 1, timeout: float = 10.0, **filters: Any
    ) -> list[WebhookAttempt]:
        """Block until `count` matching attempts are in the log (e.g. `result="delivered"`);
        raise WebhookWaitTimeout after `timeout` seconds."""
        params = {**query_params(filters), "count": str(count), "timeout": str(timeout)}
        response = self._http.get("/webhooks/deliveries/wait", params=params, timeout=timeout + 30)
        if response.status_code == 408:
            raise WebhookWaitTimeout(response.json())
        return cast(list[WebhookAttempt], self._json(response)["items"])
