"""The JSON the /_emulator API answers with, typed once: the client's types and the schemas."""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, WithJsonSchema, with_config
from typing_extensions import TypedDict  # pydantic reads these on Python < 3.12

# Times travel as ISO 8601 text in UTC; the client hands them over as the text they are.
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
SendStatus = Literal["Queued", "Scheduled", "Sending", "Completed"]
# Documented answers are exact: a key a shape leaves out fails its schema and its examples.
_EXACT = ConfigDict(extra="forbid")


@with_config(_EXACT)
class SendItem(TypedDict):
    """A stored send, as GET /_emulator/sends lists it."""

    id: int
    kind: Literal["instant", "transactional"]
    trackingId: str
    transactionId: str
    status: SendStatus
    receivedAt: Time
    updatedAt: Time
    scheduleAt: Time | None
    completedAt: Time | None
    apiUser: str
    clientIp: str
    request: Any  # the body as received (text when it was not JSON)
    content: dict[str, Any]  # the resolved content: templates copied in
    applicationIds: list[str]
    allApplications: bool
    segmentId: str | None
    tableId: str | None
    templateIds: list[str]
    useOnlyEngagedTokens: bool
    warnings: list[str]
    response: dict[str, Any]  # the answer the caller got
    deliveryCount: int
    # SendTransactionalPush's own (null or empty on an instant send):
    contactKey: str | None
    traceId: str | None
    tags: list[str]
    targets: list[dict[str, Any]] | None  # the devices chosen at acceptance
    current: dict[str, Any] | None  # the $Current values it rendered with
    language: str | None
    inboxParams: dict[str, Any] | None
    fallbackChannel: dict[str, Any] | None


@with_config(_EXACT)
class DeliveryItem(TypedDict):
    """What one device was sent: the rendered text in its language, and what it did with it."""

    id: int
    token: str
    applicationId: str
    platform: Literal["android", "ios", "web"]
    contactKey: str | None
    language: str | None
    deviceType: str | None
    browser: str | None
    title: str | None
    message: str | None
    targetUrl: str | None
    mediaUrl: str | None
    extra: dict[str, Any]
    status: Literal["Delivered", "Failed"]
    reason: str | None
    createdAt: Time
    openedAt: Time | None
    clickedAt: Time | None


@with_config(_EXACT)
class OtherSend(TypedDict):
    """An older send that reused the tracking id."""

    transactionId: str
    status: SendStatus
    receivedAt: Time


@with_config(_EXACT)
class SendDetail(SendItem):
    deliveries: list[DeliveryItem]
    others: list[OtherSend]


@with_config(_EXACT)
class ExportedSend(SendItem):
    """One line of the NDJSON export."""

    deliveries: list[DeliveryItem]


@with_config(_EXACT)
class EngagedDelivery(DeliveryItem):
    deviceEngaged: bool  # false when the device is no longer in the fixtures


@with_config(_EXACT)
class RequestItem(TypedDict):
    """One journaled /rest request; secrets in headers and body are masked."""

    id: int
    receivedAt: Time
    method: str
    path: str
    query: str
    status: int  # 0: the connection was dropped by a fault rule
    apiUser: str | None
    clientIp: str
    latencyMs: float
    headers: dict[str, str]
    body: str
    bodyTruncated: bool
    error: str | None
    trackingId: str | None
    fault: str | None  # the fault rule that fired
    repeatOf: str | None  # a repeated traceId: the transactionId answered again
