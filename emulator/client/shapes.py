"""What the client returns: the /_emulator API's JSON shapes, typed."""

from dataclasses import dataclass
from typing import Any, Literal, TypedDict


class Notification(TypedDict, total=False):
    """A send's own text: the inline content or the default language's entry, as sent."""

    language: str | None  # which entry of multiLangContent; None for a single content
    title: str
    message: str
    targetUrl: str
    mediaUrl: str
    subTitle: str


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
    request: Any  # the body as received
    content: dict[str, Any]  # {"content": ...} or {"multiLangContent": ...}, templates copied in
    notification: Notification
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


class DeliveryItem(TypedDict):
    """One device's push, with the text it was shown (personalised, in its language)."""

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


class Engagement(DeliveryItem):
    deviceEngaged: bool  # whether a loaded device was marked engaged


class OtherSend(TypedDict):
    transactionId: str
    status: str
    receivedAt: str


class SendDetail(SendItem):
    deliveries: list[DeliveryItem]
    others: list[OtherSend]


class ExportedSend(SendItem):
    deliveries: list[DeliveryItem]


class SendsPage(TypedDict):
    items: list[SendItem]
    nextCursor: str | None


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


class RequestsPage(TypedDict):
    items: list[RequestItem]
    nextCursor: str | None


class FaultState(TypedDict):
    id: int  # for client.faults.remove(id)
    rule: dict[str, Any]
    fired: int
    remaining: int | None
    expiresAt: str | None
    active: bool


class Bucket(TypedDict):
    capacity: int
    refillPerSecond: float


class RateLimits(TypedDict):
    default: Bucket
    users: dict[str, Bucket]


class ClockState(TypedDict):
    mode: Literal["real", "frozen", "offset"]
    now: str
    offsetSeconds: float


class Fixtures(TypedDict, total=False):
    api_users: list[dict[str, Any]]
    applications: list[dict[str, Any]]
    templates: list[dict[str, Any]]
    tables: list[dict[str, Any]]
    segments: list[dict[str, Any]]
    devices: list[dict[str, Any]]


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event of /_emulator/events: its kind and JSON data."""

    kind: str
    data: dict[str, Any]
