"""What the client raises: the emulator's error answers, and waits that timed out."""

from typing import Any

from emulator.client.shapes import SendItem, WebhookAttempt


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
            lines += [f"  {describe(item)}" for item in self.near_misses]
        else:
            lines.append("No other sends were recorded.")
        super().__init__("\n".join(lines))


def describe(item: SendItem) -> str:
    """One line per send, for failure messages."""
    return (
        f"{item['receivedAt']} {item['status']:<9} trackingId={item['trackingId']} "
        f"apiUser={item['apiUser']} deliveries={item['deliveryCount']} "
        f"title={item['notification'].get('title')!r}"
    )


class WebhookWaitTimeout(AssertionError):
    """Not enough webhook attempts matched in time; the message shows the newest others."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.matched: int = body.get("matched", 0)
        self.near_misses: list[WebhookAttempt] = body.get("nearMisses", [])
        lines = [str(body.get("message", "timed out"))]
        if self.near_misses:
            lines.append("Most recent attempts that did not match:")
            lines += [f"  {describe_attempt(item)}" for item in self.near_misses]
        super().__init__("\n".join(lines))


def describe_attempt(item: WebhookAttempt) -> str:
    return (
        f"{item['at']} webhook={item['webhook']} event={item['eventId']} {item['eventKind']} "
        f"try {item['attempt']}: {item['result']} status={item['status']} {item['error'] or ''}"
    ).rstrip()
