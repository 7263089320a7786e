"""The one settings class: every value is an EMULATOR_* variable and a `serve` flag."""

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from emulator.fanout.timing import parse_delay
from emulator.ids import Seed

# The bundled demo account is package data, so a wheel, an editable install and the container
# all find it where the code is (fixtures/README.md documents the format).
BUNDLED_FIXTURES = Path(__file__).resolve().parent / "demo_account"

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> object:
    """'3600', '90s', '30m', '24h' or '7d' as whole seconds; other values pass to validation."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError("must be a duration such as 3600, 90s, 30m, 24h or 7d")
        return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return value


# At most a hundred years: the clock's cut-off for an age must stay a real date.
Duration = Annotated[int, BeforeValidator(parse_duration), Field(ge=1, le=100 * 365 * 86400)]
# A duration that may be zero (no wait at all).
Wait = Annotated[int, BeforeValidator(parse_duration), Field(ge=0)]


def _check_delay(value: str) -> str:
    parse_delay(value)
    return value.strip()


DelaySetting = Annotated[str, AfterValidator(_check_delay)]
Rate = Annotated[float, Field(ge=0, le=1)]


class Settings(BaseSettings):
    """Start-up configuration, validated before anything is served."""

    model_config = SettingsConfigDict(env_prefix="EMULATOR_", extra="forbid", frozen=True)

    host: str = Field("127.0.0.1", description="Address to bind; 0.0.0.0 only in a container.")
    port: Annotated[int, Field(ge=0, le=65535)] = Field(8080, description="TCP port to serve on.")
    db: Path = Field(
        Path("./data/emulator.db"), description="SQLite file; created with its folder."
    )
    fixtures: Path = Field(
        BUNDLED_FIXTURES, description="Folder of fixture JSON files (default: the bundled demo)."
    )
    strict: bool = Field(False, description="Turn every contract warning into a 400.")
    token_ttl: Annotated[int, Field(ge=1, le=100 * 365 * 86400)] = Field(
        3600, description="Seconds an access token from /rest/login lives."
    )
    # Upper bounds keep every value inside what JSON answers carry (64-bit integers).
    rate_capacity: Annotated[int, Field(ge=1, le=10**12)] = Field(
        30, description="Default token-bucket capacity per API user."
    )
    rate_refill: Annotated[float, Field(ge=0, le=10**12)] = Field(
        30.0, description="Default tokens added per second per API user."
    )
    max_body_bytes: Annotated[int, Field(ge=1)] = Field(
        1024 * 1024, description="Largest request body accepted under /rest (413 above)."
    )
    max_sends: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = Field(
        None, description="Keep at most this many sends; the oldest are pruned (unset: all)."
    )
    max_age: Duration | None = Field(
        None, description="Prune sends and journal rows older than this (e.g. 7d; unset: never)."
    )
    admin_token: SecretStr | None = Field(
        None, description="When set, every /_emulator route needs 'Authorization: Bearer' it."
    )
    seed: Seed | None = Field(
        None, description="Seed for generated ids and tokens, so runs are reproducible."
    )
    faults: Path | None = Field(None, description="JSON file of fault rules to preset at start-up.")
    trace_ttl: Duration = Field(
        86400,
        description="How long a SendTransactionalPush traceId is kept: a repeat within it "
        "gets the first answer again.",
    )
    ready_file: Path | None = Field(
        None, description="Also write serve's ready line (JSON) to this file once serving."
    )
    webhooks: Path | None = Field(None, description="JSON file of webhooks to preset at start-up.")
    instance: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        "push-emulator", description="This emulator's name, sent in every webhook event."
    )
    webhook_timeout: Annotated[float, Field(gt=0, le=60)] = Field(
        5.0, description="Seconds a webhook receiver has to answer one attempt."
    )
    webhook_backoff: Annotated[float, Field(ge=0, le=60)] = Field(
        1.0, description="Seconds before a webhook's second try; doubled before the third."
    )
    webhook_in_flight: Annotated[int, Field(ge=1, le=100)] = Field(
        4, description="Webhook attempts under way at once, across all webhooks."
    )
    webhook_queue: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        1000, description="Events a webhook keeps waiting; past that the oldest are dropped."
    )
    webhook_log: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        1000, description="Webhook attempts kept in the deliveries log (the newest)."
    )
    metrics: bool = Field(
        False, description="Serve Prometheus metrics at /metrics (behind the admin token)."
    )
    allowed_hosts: str | None = Field(
        None,
        description="More host names to answer to, comma-separated ('*': any); IP addresses, "
        "localhost, the machine's name and push-emulator always are.",
    )
    max_header_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = Field(
        64 * 1024, description="Largest total size of a request's headers (431 above)."
    )
    request_timeout: Annotated[float, Field(gt=0, le=3600)] = Field(
        30.0,
        description="Seconds a client has to send a request's headers and body; a slower or "
        "silent connection is closed.",
    )
    delivery_delay: DelaySetting = Field(
        "0",
        description="Milliseconds until a delivery is final (500), or a range drawn per "
        "delivery (100-2000); until then it is Sent.",
    )
    open_rate: Rate = Field(
        0.0, description="Share of delivered pushes that get opened (0 to 1), drawn per delivery."
    )
    click_rate: Rate = Field(
        0.0, description="Share of delivered pushes that get clicked, and so opened (0 to 1)."
    )
    open_window: Wait = Field(
        3600,
        description="Opens and clicks happen at a seeded moment within this long after the "
        "delivery (0: at once).",
    )
    token_cleanup: bool = Field(
        True,
        description="A device whose delivery comes back unregistered or invalidToken is "
        "unregistered for later sends, as the real service cleans up tokens.",
    )

    @field_validator("host")
    @classmethod
    def _host_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("admin_token")
    @classmethod
    def _admin_token_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # `EMULATOR_ADMIN_TOKEN=` (a typo, an unset shell variable) once meant "no
        # authentication" while looking like a token was set.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty; leave it unset to serve without an admin token")
        return value

    def allowed_host_names(self) -> frozenset[str]:
        """EMULATOR_ALLOWED_HOSTS as lower-case names ('*' among them: any host)."""
        names = (self.allowed_hosts or "").split(",")
        return frozenset(name.strip().lower().rstrip(".") for name in names if name.strip())
