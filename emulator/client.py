"""A small typed client of the /_emulator API, for test suites and the CLI."""

import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, TypedDict, cast

import httpx
import orjson

from emulator import CONTROL_PREFIX
from emulator.filters import PAGE_PARAMS, REQUEST_FILTERS, SEND_FILTERS, keyword_params

DEFAULT_URL = "http://127.0.0.1:8080"

# Python keyword names of the filters, to the API's query parameters.
_FILTER_NAMES = keyword_params(SEND_FILTERS, REQUEST_FILTERS, PAGE_PARAMS)


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
    kind: str  # "instant" or "transactional"
    # SendTransactionalPush's own (null or empty on an instant send):
    contactKey: str | None
    traceId: str | None
    tags: list[str]
    targets: list[dict[str, Any]] | None  # the devices chosen at acceptance
    current: dict[str, Any] | None  # the $Current values it rendered with
    language: str | None
    inboxParams: dict[str, Any] | None
    fallbackChannel: dict[str, Any] | None
    readAt: str | None  # when it was opened in the web inbox (or marked read)


class DeliveryItem(TypedDict):
    id: int
    token: str
    applicationId: str
    platform: str
    contactKey: str | None
    language: str | None  # the content's entry it got (None for single content)
    deviceLanguage: str | None  # the language the device has
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
    repeatOf: str | None  # a repeated traceId: the transactionId answered again


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

    def dispatch_now(self, tracking_id: str) -> dict[str, Any]:
        """Fan a Scheduled send out now, without moving the clock (EmulatorError 409 if it is
        not Scheduled); wait for it with wait_for_sends(tracking_id=...)."""
        return cast(dict[str, Any], self._call("POST", f"/sends/{tracking_id}/dispatch"))
