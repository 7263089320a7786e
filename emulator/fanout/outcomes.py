"""What a push provider answers for a delivery, in each platform's own words: one table."""

from dataclasses import dataclass
from typing import Literal, get_args

# The outcomes a device (fixture or registry field `outcome`) or a rule can give a delivery.
OutcomeName = Literal[
    "delivered", "unregistered", "invalidToken", "senderMismatch", "throttled", "providerError"
]
OUTCOME_NAMES: tuple[str, ...] = get_args(OutcomeName)
DELIVERED_OUTCOME: OutcomeName = "delivered"
UNREGISTERED_OUTCOME: OutcomeName = "unregistered"
INVALID_TOKEN_OUTCOME: OutcomeName = "invalidToken"  # noqa: S105 - an outcome, not a secret


@dataclass(frozen=True)
class Outcome:
    name: str
    permanent: bool  # a bounce in the delivery report, not an error
    cleans_token: bool  # the device counts as unregistered for later sends
    # The provider's own answer on each platform; None for a delivered push.
    android: str | None
    ios: str | None
    web: str | None

    def reason(self, platform: str) -> str | None:
        """The text a failed delivery records; an unknown platform answers as FCM does."""
        if platform == "ios":
            return self.ios
        if platform == "web":
            return self.web
        return self.android


# Permanent failures: the token will never work again (the report's bounces); the others
# (quota, provider trouble) are errors worth a retry.
_PERMANENT = {"unregistered", "invalidToken", "senderMismatch"}
# The real service removes these tokens: later sends treat the device as unregistered.
_CLEANS = {"unregistered", "invalidToken"}
# The provider's own answer per platform: FCM's error code, APNs' status and reason, the web
# push service's HTTP status.
# (A table reads best aligned.)
# fmt: off
_REASONS: dict[str, tuple[str | None, str | None, str | None]] = {
    #                 Android (FCM)         iOS (APNs)                    web push
    "delivered":      (None,                 None,                         None),
    "unregistered":   ("UNREGISTERED",       "410 Unregistered",           "410 Gone"),
    "invalidToken":   ("INVALID_ARGUMENT",   "400 BadDeviceToken",         "404 Not Found"),
    "senderMismatch": ("SENDER_ID_MISMATCH", "400 DeviceTokenNotForTopic", "403 Forbidden"),
    "throttled":      ("QUOTA_EXCEEDED",     "429 TooManyRequests",        "429 Too Many Requests"),
    "providerError":  ("UNAVAILABLE",        "503 ServiceUnavailable",     "503 Service Unavailable"),  # noqa: E501
}
# fmt: on
OUTCOMES: dict[str, Outcome] = {
    name: Outcome(name, name in _PERMANENT, name in _CLEANS, *reasons)
    for name, reasons in _REASONS.items()
}
assert tuple(OUTCOMES) == OUTCOME_NAMES, "every outcome name has its row, in order"

# Permanent failures: the report's bounces.
BOUNCES = frozenset(name for name, outcome in OUTCOMES.items() if outcome.permanent)
# Outcomes after which the real service stops sending to the token.
CLEANED = frozenset(name for name, outcome in OUTCOMES.items() if outcome.cleans_token)
