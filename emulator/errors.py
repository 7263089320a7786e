"""The error hierarchy: each error sets only its status, code and message."""

from typing import Any, ClassVar

# Messages the vendor's own page gives for each status; they are what clients match on.
NOT_AUTHENTICATED = "Not authenticated. Please re-login."
NOT_AUTHORIZED = "The operation is not allowed. Your api user is not authorized to use this api."
TEMPLATE_NOT_FOUND = "The template id you have set not found."
TOO_MANY_REQUESTS = "TooManyRequest"
# SendTransactionalPush's own texts (CONTRACT §4).
TRANSACTIONAL_NOT_AUTHENTICATED = (
    "Not authenticated. The request lacks valid authentication credentials."
)
TRANSACTIONAL_NOT_AUTHORIZED = (
    "Forbidden. The API user is not authorized to use this endpoint or lacks the required "
    "TransactionalPush.Manage permission."
)
TRANSACTIONAL_TOO_MANY_REQUESTS = "The concurrent request limit has been exceeded."


class ApiError(Exception):
    """An answer in the contract's error envelope: `{"code": <non-zero>, "message": ...}`."""

    status: ClassVar[int] = 500
    message: str = "Internal error."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)

    @property
    def code(self) -> int:
        # The real service's numeric codes are unknown [guess]: the HTTP status is non-zero
        # and lets a client tell errors apart without reading the text.
        return self.status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(ApiError):
    """A body that breaks a rule of the contract; the message names the field and the rule."""

    status = 400

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))

    def body(self) -> dict[str, Any]:
        return {**super().body(), "errors": self.problems}


class NotAuthenticated(ApiError):
    status = 401
    message = NOT_AUTHENTICATED


class Forbidden(ApiError):
    status = 403
    message = NOT_AUTHORIZED


class IpNotAllowed(ApiError):
    """The allowlist refusal comes before credentials are read, naming the caller's address."""

    status = 403

    def __init__(self, ip: str) -> None:
        super().__init__(f"Your IP address is not whitelisted for this account: {ip}")

    def body(self) -> dict[str, Any]:
        return {**super().body(), "actionResult": self.message}


class NotFound(ApiError):
    status = 404
    message = "Not found."


class TemplateNotFound(NotFound):
    message = TEMPLATE_NOT_FOUND


class Conflict(BadRequest):
    """Well formed, but what it names is not in a state that allows it (the problems say why):
    a userkey or device token taken, a contact key the table holds, a fixture user to delete;
    nothing was changed."""

    status = 409


class PayloadTooLarge(ApiError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"body: must be at most {limit} bytes")


class UnsupportedMediaType(ApiError):
    status = 415


class TooManyRequests(ApiError):
    status = 429
    message = TOO_MANY_REQUESTS

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class ServiceUnavailable(ApiError):
    status = 503
    message = "The emulator's storage is unavailable; nothing was recorded."
