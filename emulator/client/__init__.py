"""The typed Python client of the /_emulator API, for test suites and the CLI."""

from emulator.client.core import EmulatorClient
from emulator.client.errors import EmulatorError, WaitTimeout
from emulator.client.shapes import (
    Bucket,
    ClockState,
    DeliveryItem,
    Engagement,
    Event,
    ExportedSend,
    FaultState,
    Fixtures,
    Notification,
    OtherSend,
    RateLimits,
    RequestItem,
    RequestsPage,
    SendDetail,
    SendItem,
    SendsPage,
)
from emulator.urls import DEFAULT_URL, default_url

__all__ = [
    "DEFAULT_URL",
    "Bucket",
    "ClockState",
    "DeliveryItem",
    "EmulatorClient",
    "EmulatorError",
    "Engagement",
    "Event",
    "ExportedSend",
    "FaultState",
    "Fixtures",
    "Notification",
    "OtherSend",
    "RateLimits",
    "RequestItem",
    "RequestsPage",
    "SendDetail",
    "SendItem",
    "SendsPage",
    "WaitTimeout",
    "default_url",
]
