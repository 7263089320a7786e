"""What the client returns: the /_emulator API's JSON shapes, typed; the routes document
their answers with these too (routes/schemas.py), so the two cannot drift."""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, WithJsonSchema, with_config
from typing_extensions import TypedDict  # pydantic reads these on Python < 3.12

from emulator.fanout.outcomes import OutcomeName as DeliveryOutcome

# Times travel as ISO 8601 text in UTC; the client hands them over as the text they are.
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
SendStatus = Literal["Queued", "Scheduled", "Sending", "Completed"]
# Documented answers are exact: a key a shape leaves out fails its schema and its examples.
_EXACT = ConfigDict(extra="forbid")


class Notification(TypedDict, total=False):
    """A send's own text: the inline content or the default language's entry, as sent."""

    language: str | None  # which entry of multiLangContent; None for a single content
    title: str
    message: str
    targetUrl: str
    mediaUrl: str
    subTitle: str


@with_config(_EXACT)
class SendItem(TypedDict):
    """A stored send, as GET /_emulator/sends lists it."""

    id: int
    trackingId: str
    transactionId: str
    status: SendStatus
    receivedAt: Time
    updatedAt: Time
    scheduleAt: Time | None
    completedAt: Time | None
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
    kind: Literal["instant", "transactional"]
    # SendTransactionalPush's own (null or empty on an instant send):
    contactKey: str | None
    traceId: str | None
    tags: list[str]
    targets: list[dict[str, Any]] | None  # the devices chosen at acceptance
    current: dict[str, Any] | None  # the $Current values it rendered with
    language: str | None
    inboxParams: dict[str, Any] | None
    fallbackChannel: dict[str, Any] | None
    readAt: Time | None  # when it was opened in the web inbox (or marked read)


@with_config(_EXACT)
class DeliveryItem(TypedDict):
    """One device's push, with the text it was shown (personalised, in its language)."""

    id: int
    token: str
    applicationId: str
    platform: Literal["android", "ios", "web"]
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
    status: Literal["Sent", "Delivered", "Failed"]  # Sent: on its way (a delivery delay)
    outcome: DeliveryOutcome | None  # what the provider answered; None while Sent
    reason: str | None  # the platform's own words for a failure
    createdAt: Time
    finalAt: Time | None  # when it became final (while Sent: when it will)
    openedAt: Time | None
    clickedAt: Time | None


@with_config(_EXACT)
class Engagement(DeliveryItem):
    deviceEngaged: bool  # whether a loaded device was marked engaged


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
class SendsPage(TypedDict):
    items: list[SendItem]
    nextCursor: str | None


@with_config(_EXACT)
class RequestItem(TypedDict):
    """One journaled /rest request; secrets in headers and body are masked."""

    id: int
    receivedAt: Time
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


@with_config(_EXACT)
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


class NewApiUser(TypedDict):
    """A user as POST /_emulator/api-users made it: the only time its secrets are shown."""

    userkey: str
    password: str
    permissions: list[str]
    tokens: list[str]


class ApiUserItem(TypedDict):
    """A user as GET /_emulator/api-users lists it: no password, tokens masked."""

    userkey: str
    source: str  # "fixtures" or "runtime"
    permissions: list[str]
    tokens: list[str]
    allowedIps: list[str] | None
    rateLimit: dict[str, Any] | None
    transactionalRateLimit: dict[str, Any] | None


class Fixtures(TypedDict, total=False):
    api_users: list[dict[str, Any]]
    applications: list[dict[str, Any]]
    templates: list[dict[str, Any]]
    tables: list[dict[str, Any]]
    segments: list[dict[str, Any]]
    devices: list[dict[str, Any]]


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


class WebhookState(TypedDict):
    index: int
    webhook: dict[str, Any]  # url, events, secret, delayMs, headers; secrets masked
    queued: int
    delivered: int
    failed: int
    gaveUp: int
    dropped: int


# The device registry, its contacts, outcome rules and device feeds (client/devices.py).


@with_config(_EXACT)
class DeviceRecord(TypedDict):
    """A device as devices.json spells it: POST /_emulator/devices takes it back."""

    token: str
    applicationId: str
    contactKey: str | None
    language: str | None
    engaged: bool
    deviceType: str | None
    browser: str | None
    status: Literal["active", "unregistered"]
    outcome: DeliveryOutcome  # what its deliveries get


@with_config(_EXACT)
class DevicePage(TypedDict):
    items: list[DeviceRecord]
    nextCursor: str | None


@with_config(_EXACT)
class ContactItem(TypedDict):
    """A contact of a table: its key and the fields personalisation reads."""

    tableId: str
    contactKey: str
    fields: dict[str, Any]


@with_config(_EXACT)
class ContactPage(TypedDict):
    items: list[ContactItem]
    nextCursor: str | None


@with_config(_EXACT)
class PushItem(TypedDict):
    """A push as its device showed it: an inbox item, or a device feed's `push` event."""

    deliveryId: int  # for POST /_emulator/deliveries/{id}/open or /click
    sendId: int
    trackingId: str
    transactionId: str
    kind: Literal["instant", "transactional"]
    token: str
    applicationId: str
    platform: str
    contactKey: str | None
    language: str | None
    title: str | None
    message: str | None
    targetUrl: str | None
    mediaUrl: str | None
    extra: dict[str, Any]
    shownAt: Time | None  # when it was delivered
    openedAt: Time | None
    clickedAt: Time | None


@with_config(_EXACT)
class PushPage(TypedDict):
    items: list[PushItem]
    nextCursor: str | None


class OutcomeRuleState(TypedDict):
    id: int
    rule: dict[str, Any]
    fired: int
    remaining: int | None
    expiresAt: str | None
    active: bool


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event of /_emulator/events: its kind and JSON data."""

    kind: str
    data: dict[str, Any]
