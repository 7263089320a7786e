"""One webhook attempt: the event's JSON body, its signature, and the POST with a time limit."""

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from emulator import __version__
from emulator.events import Event
from emulator.storage.paging import iso
from emulator.webhooks.rules import WebhookRule

if TYPE_CHECKING:
    import httpx

SIGNATURE_HEADER = "X-Push-Emulator-Signature"
EVENT_HEADER = "X-Push-Emulator-Event"
# A receiver's answer is not read past this: its status is what counts, a snippet explains.
ANSWER_CAP = 1024
SNIPPET = 200


def event_body(event: Event, instance: str) -> bytes:
    """The SSE event's data, with the event's id, kind and time, and this emulator's name."""
    return orjson.dumps(
        {
            "id": event.id,
            "kind": event.kind,
            "at": iso(event.at),
            "instance": instance,
            "data": event.data,
        }
    )


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body, keyed with the secret>`, as receivers check it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request_headers(rule: WebhookRule, event: Event, body: bytes) -> dict[str, str]:
    headers = {
        **rule.headers,
        "Content-Type": "application/json",
        "User-Agent": f"push-emulator/{__version__}",
        EVENT_HEADER: event.kind,
    }
    if rule.secret is not None:
        headers[SIGNATURE_HEADER] = signature(rule.secret, body)
    return headers


@dataclass(frozen=True)
class Outcome:
    status: int | None
    latency_ms: float
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _answer_snippet(status: int, answer: bytes) -> str:
    text = answer[:SNIPPET].decode("utf-8", errors="replace").strip()
    redirect = " (redirects are not followed)" if 300 <= status < 400 else ""
    return f"HTTP {status}{redirect}" + (f": {text}" if text else "")


async def post(
    client: "httpx.AsyncClient", url: str, body: bytes, headers: dict[str, str], timeout: float
) -> Outcome:
    """POST once; every failure is an Outcome naming it, never an exception."""
    import httpx  # loaded with the first attempt: the server starts without it

    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        # The whole attempt, not each phase: a receiver that trickles its answer is cut off.
        async with asyncio.timeout(timeout):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                status = response.status_code
                answer = bytearray()
                async for chunk in response.aiter_bytes():
                    answer.extend(chunk)
                    if len(answer) >= ANSWER_CAP:
                        break
        if not 200 <= status < 300:
            error = _answer_snippet(status, bytes(answer))
    except (TimeoutError, httpx.TimeoutException):
        status, error = None, f"no answer within {timeout:g} s"
    except httpx.HTTPError as failure:
        status, error = (
            None,
            f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__,
        )
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    return Outcome(status, latency_ms, error)
