"""EmulatorClient: reads and controls a running emulator through /_emulator."""

from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Any, cast

import httpx
import orjson

from emulator import CONTROL_PREFIX
from emulator.client.controls import ClockControl, Faults, RateLimitControl, Webhooks
from emulator.client.devices import DeviceMethods
from emulator.client.errors import EmulatorError, WaitTimeout
from emulator.client.keywords import query_params
from emulator.client.shapes import (
    ApiUserItem,
    Engagement,
    Event,
    ExportedSend,
    Fixtures,
    NewApiUser,
    RequestItem,
    RequestsPage,
    SendDetail,
    SendItem,
    SendsPage,
)
from emulator.filters import (
    EVENT_PARAMS,
    MAX_LIMIT,
    PAGE_PARAMS,
    REQUEST_FILTERS,
    SEND_FILTERS,
)
from emulator.urls import default_url


class EmulatorClient(DeviceMethods):
    """Reads and controls a running emulator: `sends()`, `last_send()`, `wait_for_sends()`,
    `reset()`, and the controls `faults`, `rate_limits`, `clock`, `webhooks`, `seed()`; the
    device registry and outcome rules (`devices()`, `set_outcomes()`, ...: client/devices.py).

    Filters are keywords in snake_case (`contact_key="c-001"`) or the API's camelCase; an
    unknown one is a TypeError before any call. Lists page through every match.
    """

    def __init__(
        self,
        url: str | None = None,
        admin_token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        api_user: str | None = None,
    ) -> None:
        self.url = (url or default_url()).rstrip("/")
        # With `api_user`, every read, wait and clear is that API user's alone (see scoped()).
        self.api_user = api_user
        self._settings = (admin_token, timeout, transport)
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._http = httpx.Client(
            base_url=self.url + CONTROL_PREFIX,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )
        self.faults = Faults(self._call)
        self.rate_limits = RateLimitControl(self._call)
        self.clock = ClockControl(self._call)
        self.webhooks = Webhooks(self._call)

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
        return self._json(self._http.request(method, path, **kwargs))

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

    def _scoped(self, filters: Mapping[str, Any]) -> dict[str, Any]:
        """The filters, limited to this client's API user when it has one."""
        if self.api_user is None:
            return dict(filters)
        given = filters.get("api_user", filters.get("apiUser"))
        if given is not None and given != self.api_user:
            raise ValueError(f"this client is scoped to API user {self.api_user!r}, not {given!r}")
        rest = {k: v for k, v in filters.items() if k not in {"api_user", "apiUser"}}
        return {**rest, "api_user": self.api_user}

    def _scope_params(self) -> dict[str, str]:
        return {"apiUser": self.api_user} if self.api_user is not None else {}

    def _every_page(self, path: str, params: dict[str, str]) -> list[Any]:
        """Items of every page (at most `limit` of them, if given), following nextCursor."""
        wanted = int(params.pop("limit")) if "limit" in params else None
        items: list[Any] = []
        while wanted is None or len(items) < wanted:
            size = MAX_LIMIT if wanted is None else min(MAX_LIMIT, wanted - len(items))
            page = self._call("GET", path, params={**params, "limit": str(size)})
            items += page["items"]
            if page["nextCursor"] is None:
                break
            params["cursor"] = page["nextCursor"]
        return items

    # Sends

    def sends(self, **filters: Any) -> list[SendItem]:
        """Every matching send, newest first, through as many pages as it takes
        (`limit=N`: the newest N)."""
        params = query_params("sends", self._scoped(filters), SEND_FILTERS, PAGE_PARAMS)
        return cast(list[SendItem], self._every_page("/sends", params))

    def sends_page(self, **filters: Any) -> SendsPage:
        """One page only (`limit`, default 50): {"items", "nextCursor"}; pass `cursor=`."""
        params = query_params("sends_page", self._scoped(filters), SEND_FILTERS, PAGE_PARAMS)
        return cast(SendsPage, self._call("GET", "/sends", params=params))

    def send(self, tracking_id: str) -> SendDetail:
        """The newest send with this tracking id (a unique prefix, as the inbox shows, or a
        transaction id work too), with its deliveries."""
        return cast(
            SendDetail,
            self._call("GET", f"/sends/{tracking_id}", params=self._scope_params()),
        )

    def last_send(self, **filters: Any) -> SendDetail:
        """The newest matching send with its deliveries; AssertionError when there is none."""
        params = query_params("last_send", self._scoped(filters), SEND_FILTERS)
        page = self._call("GET", "/sends", params={**params, "limit": "1"})
        if not page["items"]:
            raise AssertionError(
                f"no send recorded{' matching ' + str(filters) if filters else ''}"
            )
        # The newest send overall is also the newest with its own tracking id.
        return self.send(page["items"][0]["trackingId"])

    def wait_for_sends(
        self, count: int = 1, timeout: float = 10.0, **filters: Any
    ) -> list[SendItem]:
        """Block until `count` matching sends are Completed (or in the `status` given);
        raise WaitTimeout, with the near misses, after `timeout` seconds. Lists at most
        500 of the sends matched."""
        params = query_params("wait_for_sends", self._scoped(filters), SEND_FILTERS)
        params |= {"count": str(count), "timeout": str(timeout)}
        response = self._http.get("/sends/wait", params=params, timeout=timeout + 30.0)
        if response.status_code == 408:
            raise WaitTimeout(response.json())
        return cast(list[SendItem], self._json(response)["items"])

    def clear_sends(self) -> int:
        """Delete the sends (a scoped client: only its user's) and their deliveries."""
        return int(self._call("DELETE", "/sends", params=self._scope_params())["deleted"])

    def export(self, **filters: Any) -> Generator[ExportedSend, None, None]:
        """Every matching send with its deliveries, oldest first, read as it streams."""
        params = query_params("export", self._scoped(filters), SEND_FILTERS)
        with self._http.stream("GET", "/export", params=params) as response:
            if not response.is_success:
                response.read()
                self._json(response)
            for line in response.iter_lines():
                if line:
                    yield cast(ExportedSend, orjson.loads(line))

    # Journal

    def requests(self, **filters: Any) -> list[RequestItem]:
        """Every journaled /rest request, newest first, through as many pages as it takes;
        filters `status` (429 or 4xx), `path`, `api_user`, `since`, `limit`."""
        params = query_params("requests", self._scoped(filters), REQUEST_FILTERS, PAGE_PARAMS)
        return cast(list[RequestItem], self._every_page("/requests", params))

    def requests_page(self, **filters: Any) -> RequestsPage:
        """One page only (`limit`, default 50): {"items", "nextCursor"}; pass `cursor=`."""
        params = query_params("requests_page", self._scoped(filters), REQUEST_FILTERS, PAGE_PARAMS)
        return cast(RequestsPage, self._call("GET", "/requests", params=params))

    def clear_requests(self) -> int:
        """Delete the journal (a scoped client: only its user's rows)."""
        return int(self._call("DELETE", "/requests", params=self._scope_params())["deleted"])

    # Events

    def events(self, **filters: Any) -> Generator[Event, None, None]:
        """The live event stream (`kinds="send,send.status"` narrows it), until the server
        stops or the iterator is closed."""
        params = query_params("events", self._scoped(filters), EVENT_PARAMS)
        # No read timeout: the server sends a keep-alive comment every 15 s.
        timeout = httpx.Timeout(self._http.timeout.connect, read=None)
        with self._http.stream("GET", "/events", params=params, timeout=timeout) as response:
            if not response.is_success:
                response.read()
                self._json(response)
            kind, data = "", ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line.removeprefix("data: ")
                elif not line and kind:
                    yield Event(kind, orjson.loads(data or "{}"))
                    kind, data = "", ""

    # Control

    def reset(self, keep_tokens: bool = False) -> None:
        """Clear sends, deliveries and the journal; reset clock, seed, buckets, faults and
        tokens (`keep_tokens=True` leaves access tokens from /rest/login valid); reload the
        fixtures. A scoped client refuses: on a shared emulator, clear your own sends."""
        if self.api_user is not None:
            raise TypeError(
                f"this client is scoped to API user {self.api_user!r}: reset() would clear "
                "every user's data; use clear_sends() and clear_requests()"
            )
        self._call("POST", "/reset", json={"keepTokens": keep_tokens})

    def seed(self, seed: int | None) -> int | None:
        """Restart generated ids and tokens from `seed` (None: random again)."""
        return cast(int | None, self._call("PUT", "/seed", json={"seed": seed})["seed"])

    def get_seed(self) -> int | None:
        return cast(int | None, self._call("GET", "/seed")["seed"])

    def fixtures(self) -> Fixtures:
        return cast(Fixtures, self._call("GET", "/fixtures"))

    def load_fixtures(self, data: Mapping[str, Any]) -> Fixtures:
        """Replace the fixtures ({"api_users": [...], "devices": [...], ...}); until reset."""
        return cast(Fixtures, self._call("PUT", "/fixtures", json=dict(data)))

    def open(self, delivery: int | Mapping[str, Any]) -> Engagement:
        """Mark a delivery (its id, or the delivery itself) opened; its device is engaged."""
        return cast(Engagement, self._call("POST", f"/deliveries/{_id_of(delivery)}/open"))

    def click(self, delivery: int | Mapping[str, Any]) -> Engagement:
        """Mark a delivery clicked (and so opened); its device is engaged."""
        return cast(Engagement, self._call("POST", f"/deliveries/{_id_of(delivery)}/click"))

    def dispatch_now(self, tracking_id: str) -> dict[str, Any]:
        """Fan a Scheduled send out now, without moving the clock (EmulatorError 409 if it is
        not Scheduled); wait for it with wait_for_sends(tracking_id=...)."""
        return cast(dict[str, Any], self._call("POST", f"/sends/{tracking_id}/dispatch"))

    # API users: one per test on a shared emulator

    def create_user(self, **fields: Any) -> NewApiUser:
        """A new API user (userkey, password, permissions, tokens, allowedIps, rateLimit,
        transactionalRateLimit; whatever is left out is generated). Its password and token
        are shown here only."""
        return cast(NewApiUser, self._call("POST", "/api-users", json=fields))

    def users(self) -> list[ApiUserItem]:
        """Every API user, the fixtures' and those created at run time; no secrets."""
        return cast(list[ApiUserItem], self._call("GET", "/api-users")["items"])

    def delete_user(self, userkey: str, purge: bool = False) -> dict[str, Any]:
        """Remove a created API user, its tokens and buckets; `purge` also deletes its sends
        and journal rows."""
        params = {"purge": "true" if purge else "false"}
        return cast(dict[str, Any], self._call("DELETE", f"/api-users/{userkey}", params=params))

    def scoped(self, userkey: str) -> "EmulatorClient":
        """A client of the same emulator whose every read, wait and clear is `userkey`'s
        alone (close it on its own)."""
        admin_token, timeout, transport = self._settings
        return EmulatorClient(self.url, admin_token, timeout, transport, api_user=userkey)


def _id_of(delivery: int | Mapping[str, Any]) -> int:
    return int(delivery if isinstance(delivery, int) else delivery["id"])
