"""The running emulator's state: settings, fixtures, clock, ids, buckets, tokens, storage."""

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool

from emulator.clock import Clock
from emulator.events import EventBus
from emulator.fanout.audience import AudienceIndexes
from emulator.fanout.dispatcher import Dispatcher
from emulator.fanout.plan import Defaults, DeviceBehaviour
from emulator.fanout.rules import OutcomeBook
from emulator.faults import FaultBook, load_fault_file
from emulator.ids import IdGenerator
from emulator.push.accept import SendContext
from emulator.push.auth import TRANSACTIONAL_CALL, TokenStore, bucket_key
from emulator.push.fixtures import ApiUser, FixtureFolder, FixtureSet
from emulator.push.ratelimit import BucketConfig, RateLimiter
from emulator.push.registry import unregister_devices
from emulator.push.transactional import TraceLocks
from emulator.push.users import UserDirectory
from emulator.settings import Settings
from emulator.storage.db import open_database
from emulator.storage.writer import Writer
from emulator.webhooks.rules import load_webhook_file
from emulator.webhooks.service import WebhookService

if TYPE_CHECKING:
    from emulator.metrics import Metrics

T = TypeVar("T")


def bucket_overrides(users: Iterable[ApiUser]) -> dict[str, BucketConfig]:
    """The buckets of their own that users' fixtures (or creators) give them."""
    overrides: dict[str, BucketConfig] = {}
    for user in users:
        if user.rateLimit is not None:
            limit = user.rateLimit
            overrides[user.userkey] = BucketConfig(limit.capacity, limit.refillPerSecond)
        if user.transactionalRateLimit is not None:
            limit = user.transactionalRateLimit
            key = bucket_key(user, TRANSACTIONAL_CALL)
            overrides[key] = BucketConfig(limit.capacity, limit.refillPerSecond)
    return overrides


@dataclass
class Runtime:
    """Everything a request may touch, built once per app so each test gets its own."""

    settings: Settings
    fixtures: FixtureSet
    folder: FixtureFolder  # where `fixtures` came from; a reset loads it again
    engine: Engine
    writer: Writer
    clock: Clock = field(default_factory=Clock)
    ids: IdGenerator = field(default_factory=IdGenerator)
    events: EventBus = field(init=False)  # times its events by `clock`
    audiences: AudienceIndexes = field(default_factory=AudienceIndexes)
    trace_locks: TraceLocks = field(default_factory=TraceLocks)
    tokens: TokenStore = field(init=False)
    users: UserDirectory = field(init=False)  # the fixtures' API users and run-time ones
    limiter: RateLimiter = field(init=False)
    dispatcher: Dispatcher = field(init=False)  # started and stopped by the app's lifespan
    faults: FaultBook = field(init=False)
    webhooks: WebhookService = field(init=False)  # delivers while the app's lifespan runs
    metrics: "Metrics | None" = field(init=False, default=None)  # with EMULATOR_METRICS only
    outcomes: OutcomeBook = field(init=False)  # the device outcome rules in force
    # How each component with run-time state goes back to start-up; a reset runs them all.
    reset_hooks: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.events = EventBus(self.clock.now)
        # Fixture changes (registry calls, engagement, token clean-up from the dispatcher's
        # thread, replacement) read the set in force and write a new one: one at a time.
        self._fixtures_lock = threading.Lock()
        self.tokens = TokenStore(self.settings.token_ttl, self.clock, self.ids)
        self.users = UserDirectory(lambda: self.fixtures)
        self.limiter = RateLimiter(self.default_bucket(), self.clock, self._overrides())
        self.outcomes = OutcomeBook(self.clock)
        behaviour = DeviceBehaviour(
            Defaults.from_settings(self.settings), self.outcomes, lambda: self.ids.seed
        )
        self.dispatcher = Dispatcher(
            self.engine,
            self.writer,
            self.clock,
            self.events,
            lambda: self.fixtures,
            self.audiences,
            behaviour,
            self.unregister_devices,
        )
        # Moving the clock may make scheduled sends due: look at once rather than at the next tick.
        self.clock.on_change(self.dispatcher.wake)
        self.faults = FaultBook(self.clock)
        self.webhooks = WebhookService(self.settings, self.events, self.clock)
        if self.settings.metrics:
            from emulator.metrics import Metrics  # prometheus_client only when asked for

            self.metrics = Metrics(self)
        self.reset_hooks += [
            self.clock.set_real,
            lambda: self.ids.reseed(self.settings.seed),
            self.users.clear,  # run-time API users go; the fixtures' stay
            # Full buckets, with the limits of the fixtures in force (reloaded just before).
            lambda: self.limiter.configure(self.default_bucket(), self._overrides()),
            # Back to the EMULATOR_FAULTS presets (no rules without a file).
            self.faults.reset,
            # Back to the EMULATOR_WEBHOOKS presets, with an empty deliveries log.
            self.webhooks.reset,
            self.outcomes.clear,
        ]

    @classmethod
    def start(cls, settings: Settings) -> "Runtime":
        """Load fixtures, fault and webhook presets and open the database; any failing stops
        start-up."""
        folder = FixtureFolder(settings.fixtures)
        fixtures = folder.load()
        presets = load_fault_file(settings.faults) if settings.faults else []
        webhooks = load_webhook_file(settings.webhooks) if settings.webhooks else []
        engine = open_database(settings.db)
        runtime = cls(
            settings=settings,
            fixtures=fixtures,
            folder=folder,
            engine=engine,
            writer=Writer(engine),
            ids=IdGenerator(settings.seed),
        )
        runtime.faults.preset(presets)
        runtime.webhooks.preset(webhooks)
        # Index the fixtures now, before requests arrive, rather than in the first fan-out
        # (a large fixture set takes a while, and the dispatcher would hold the GIL meanwhile).
        runtime.audiences.of(fixtures)
        return runtime

    def send_context(
        self, api_user: str, client_ip: str, content_type: str | None = "application/json"
    ) -> SendContext:
        """What accepting a send needs from the runtime, at this moment, for this caller."""
        return SendContext(
            fixtures=self.fixtures,
            strict=self.settings.strict,
            now=self.clock.now(),
            api_user=api_user,
            client_ip=client_ip,
            tracking_id=self.ids.uuid4(),
            transaction_id=self.ids.uuid4(),
            content_type=content_type,
            new_id=self.ids.uuid4,
        )

    def default_bucket(self) -> BucketConfig:
        return BucketConfig(self.settings.rate_capacity, self.settings.rate_refill)

    def replace_fixtures(self, fixtures: FixtureSet) -> None:
        """A whole new fixture set (PUT /_emulator/fixtures, reset): buckets restart full."""
        with self._fixtures_lock:
            self.fixtures = fixtures
        self.limiter.configure(self.limiter.default, self._overrides())

    def _overrides(self) -> dict[str, BucketConfig]:
        return bucket_overrides([*self.fixtures.api_users, *self.users.created()])

    def change_fixtures(self, change: Callable[[FixtureSet], tuple[FixtureSet | None, T]]) -> T:
        """Apply a registry change (push/registry.py) to the fixtures in force: `change` gets
        the set in force and answers the new one (None: unchanged) and its result. Devices and
        contacts only, so the API users' buckets are left as they are."""
        with self._fixtures_lock:
            changed, result = change(self.fixtures)
            if changed is not None:
                self.fixtures = changed
        return result

    def unregister_devices(self, pairs: set[tuple[str, str]]) -> None:
        """Token clean-up after deliveries that came back unregistered or invalid."""
        if self.settings.token_cleanup:
            self.change_fixtures(lambda fixtures: (unregister_devices(fixtures, pairs), None))

    def reset_state(self, keep_tokens: bool = False) -> None:
        """Run-time state back to start-up: real clock, seed, full buckets, no issued tokens
        (unless `keep_tokens`), preset faults, and whatever else registered a reset hook."""
        if not keep_tokens:
            self.tokens.clear()
        for hook in self.reset_hooks:
            hook()

    async def read(self, read: Callable[[Connection], T]) -> T:
        """Read after every earlier write has committed (read-your-writes), off the loop."""
        await self.writer.barrier()

        def run() -> T:
            with self.engine.connect() as connection:
                return read(connection)

        return await run_in_threadpool(run)

    def close(self) -> None:
        self.dispatcher.stop()
        self.writer.close()
        self.engine.dispose()
