"""The running emulator's state: settings, fixtures, clock, ids, buckets, tokens, storage."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from emulator.auth import TokenStore
from emulator.clock import Clock
from emulator.db import open_database
from emulator.dispatcher import Dispatcher
from emulator.events import EventBus
from emulator.faults import FaultBook, load_fault_file
from emulator.fixtures import FixtureSet, load_fixtures
from emulator.ids import IdGenerator
from emulator.ratelimit import BucketConfig, RateLimiter
from emulator.settings import Settings
from emulator.writer import Writer


def _bucket_overrides(fixtures: FixtureSet) -> dict[str, BucketConfig]:
    return {
        user.userkey: BucketConfig(user.rateLimit.capacity, user.rateLimit.refillPerSecond)
        for user in fixtures.api_users
        if user.rateLimit is not None
    }


@dataclass
class Runtime:
    """Everything a request may touch, built once per app so each test gets its own."""

    settings: Settings
    fixtures: FixtureSet
    engine: Engine
    writer: Writer
    clock: Clock = field(default_factory=Clock)
    ids: IdGenerator = field(default_factory=IdGenerator)
    events: EventBus = field(default_factory=EventBus)
    tokens: TokenStore = field(init=False)
    limiter: RateLimiter = field(init=False)
    dispatcher: Dispatcher = field(init=False)  # started and stopped by the app's lifespan
    faults: FaultBook = field(init=False)
    # Components with run-time state of their own (fault rules, ...) register how to clear it.
    reset_hooks: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.settings.token_ttl, self.clock, self.ids)
        self.limiter = RateLimiter(
            self.default_bucket(), self.clock, _bucket_overrides(self.fixtures)
        )
        self.dispatcher = Dispatcher(
            self.engine, self.writer, self.clock, self.events, lambda: self.fixtures
        )
        # Moving the clock may make scheduled sends due: look at once rather than at the next tick.
        self.clock.on_change(self.dispatcher.wake)
        self.faults = FaultBook(self.clock)
        # A reset brings back the EMULATOR_FAULTS presets (no rules without a file).
        self.reset_hooks.append(self.faults.reset)

    @classmethod
    def start(cls, settings: Settings) -> "Runtime":
        """Load fixtures and fault presets and open the database; any failing stops start-up."""
        fixtures = load_fixtures(settings.fixtures)
        presets = load_fault_file(settings.faults) if settings.faults else []
        engine = open_database(settings.db)
        runtime = cls(
            settings=settings,
            fixtures=fixtures,
            engine=engine,
            writer=Writer(engine),
            ids=IdGenerator(settings.seed),
        )
        runtime.faults.preset(presets)
        return runtime

    def default_bucket(self) -> BucketConfig:
        return BucketConfig(self.settings.rate_capacity, self.settings.rate_refill)

    def replace_fixtures(self, fixtures: FixtureSet) -> None:
        self.fixtures = fixtures
        self.limiter.configure(self.limiter.default, _bucket_overrides(fixtures))

    def reset_state(self) -> None:
        """Run-time state back to start-up: real clock, seed, full buckets, no issued tokens."""
        self.clock.set_real()
        self.ids.reseed(self.settings.seed)
        self.tokens.clear()
        self.limiter.configure(self.default_bucket(), _bucket_overrides(self.fixtures))
        for hook in self.reset_hooks:
            hook()

    def close(self) -> None:
        self.dispatcher.stop()
        self.writer.close()
        self.engine.dispose()
