"""Prometheus metrics: one registry per runtime, fed as things happen and read when scraped.

Never the library's global registry: two apps in one test process each count their own.
Counters that follow events (requests, sends, deliveries, commits) are fed as they happen;
what is a state (rows stored, queue depths, subscribers, webhook and fault counts) is read
from its owner at each scrape, so nothing on the send's path keeps it up to date.
"""

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from emulator import REST_PREFIX, __version__
from emulator.events import SEND, SEND_STATUS, Event
from emulator.storage.deliveries import DeliveryRow
from emulator.storage.stats import database_bytes, outcome_counts, row_counts
from emulator.webhooks.log import RESULTS

if TYPE_CHECKING:
    from emulator.runtime import Runtime

log = logging.getLogger("emulator.metrics")

CONTENT_TYPE = CONTENT_TYPE_LATEST
PREFIX = "push_emulator"
# A send event names its kind (`sendKind`: instant or transactional); one that does not is
# a SendInstantPush.
DEFAULT_SEND_KIND = "instant"
# Request latencies from a sub-millisecond send to a long wait on /_emulator/sends/wait.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
UNMATCHED = "unmatched"  # a request no route took (404s, and /rest requests faulted early)
OTHER_USER = "other"  # an API user not in the fixtures: label values stay bounded


def send_kind(data: Mapping[str, Any]) -> str:
    return str(data.get("sendKind", DEFAULT_SEND_KIND))


class Metrics:
    """The registry and the instruments fed as things happen."""

    def __init__(self, runtime: "Runtime") -> None:
        self.runtime = runtime
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            f"{PREFIX}_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            f"{PREFIX}_request_duration_seconds",
            "Time to answer a request, by method and route.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.rate_limited = Counter(
            f"{PREFIX}_rate_limited",
            "/rest requests answered 429, by API user and cause (bucket or fault).",
            ["api_user", "cause"],
            registry=registry,
        )
        self.sends = Counter(
            f"{PREFIX}_sends",
            "Sends that reached each status, by kind.",
            ["kind", "status"],
            registry=registry,
        )
        self.deliveries = Counter(
            f"{PREFIX}_deliveries",
            "Deliveries written by the fan-out, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.commit_seconds = Histogram(
            f"{PREFIX}_writer_commit_duration_seconds",
            "Time the writer took to commit one batch durably.",
            buckets=COMMIT_BUCKETS,
            registry=registry,
        )
        # Children by label values: `labels()` validates and locks on every call, which the
        # hot path (every request, every event) need not pay again.
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._send_children: dict[tuple[str, str], Any] = {}
        registry.register(_StateCollector(runtime))
        runtime.events.listen(self.on_event)
        runtime.writer.on_commit = self.on_commit
        runtime.dispatcher.on_deliveries = self.on_deliveries

    # -- fed as things happen -------------------------------------------------------

    def on_request(
        self, method: str, route: str, path: str, status: int, seconds: float, state: Any
    ) -> None:
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.request_seconds.labels(method, route),
            )
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if status == 429 and path.startswith(REST_PREFIX):
            user = state.get("api_user") if isinstance(state, dict) else None
            known = {api_user.userkey for api_user in self.runtime.fixtures.api_users}
            cause = "fault" if isinstance(state, dict) and state.get("fault") else "bucket"
            self.rate_limited.labels(user if user in known else OTHER_USER, cause).inc()

    def on_event(self, event: Event) -> None:
        if event.kind in (SEND, SEND_STATUS):
            key = (send_kind(event.data), str(event.data.get("status")))
            child = self._send_children.get(key)
            if child is None:
                child = self._send_children[key] = self.sends.labels(*key)
            child.inc()

    def on_commit(self, seconds: float, _size: int) -> None:
        self.commit_seconds.observe(seconds)

    def on_deliveries(self, rows: list[DeliveryRow]) -> None:
        for outcome, count in outcome_counts(rows).items():
            self.deliveries.labels(outcome).inc(count)

    # -- read when scraped ----------------------------------------------------------

    def render(self) -> bytes:
        """The text format; reads the database, so call it off the event loop."""
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """What is read from its owner at each scrape."""

    def __init__(self, runtime: "Runtime") -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        runtime = self.runtime
        info = GaugeMetricFamily(f"{PREFIX}_info", "This emulator's version.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info

        try:
            with runtime.engine.connect() as connection:
                counts = row_counts(connection)
        except SQLAlchemyError:
            # A database that cannot be read is /readyz's to report; the rest still scrapes.
            log.exception("metrics: the stored rows could not be counted")
            counts = {}
        rows = GaugeMetricFamily(
            f"{PREFIX}_stored_rows", "Rows stored, by table.", labels=["table"]
        )
        for table, count in counts.items():
            rows.add_metric([table], count)
        yield rows
        yield GaugeMetricFamily(
            f"{PREFIX}_database_size_bytes",
            "The SQLite database on disk, with its write-ahead log.",
            value=database_bytes(runtime.settings.db),
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_writer_queue_depth",
            "Writes queued for the next batch.",
            value=runtime.writer.queue_depth,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_sse_subscribers",
            "Open /_emulator/events streams.",
            value=runtime.events.stream_count,
        )

        fired = CounterMetricFamily(
            f"{PREFIX}_faults_fired",
            "Fault rules fired since they were set, by rule.",
            labels=["rule"],
        )
        for index, status in enumerate(runtime.faults.status()):
            fired.add_metric([status["rule"].get("name") or f"rules[{index}]"], status["fired"])
        yield fired

        webhooks = runtime.webhooks
        attempts = CounterMetricFamily(
            f"{PREFIX}_webhook_attempts",
            "Webhook attempts, by result (delivered, failed and retried, gave_up).",
            labels=["result"],
        )
        for result in RESULTS:
            attempts.add_metric([result], webhooks.attempts[result])
        yield attempts
        yield CounterMetricFamily(
            f"{PREFIX}_webhook_events_dropped",
            "Events dropped from a full webhook queue (the oldest waiting).",
            value=webhooks.dropped,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_webhook_events_queued",
            "Events waiting for their webhook.",
            value=webhooks.queued,
        )
