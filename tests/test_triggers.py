"""A rule's trigger: the next N, a seeded chance, a TTL, and how often it fired."""

from emulator.triggers import ArmedTrigger, Trigger


def fired(trigger: ArmedTrigger, events: int, now: float = 0.0) -> list[bool]:
    return [trigger.fires(now) for _ in range(events)]


def test_without_limits_every_event_fires() -> None:
    armed = ArmedTrigger(Trigger(), now=0)
    assert fired(armed, 3) == [True, True, True]
    assert armed.status(0) == {"fired": 3, "remaining": None, "expiresAt": None, "active": True}


def test_the_next_n_events_fire_then_none() -> None:
    armed = ArmedTrigger(Trigger(times=2), now=0)
    assert fired(armed, 4) == [True, True, False, False]
    assert (armed.fired, armed.remaining, armed.live(0)) == (2, 0, False)


def test_a_seeded_chance_fires_the_same_events_every_time() -> None:
    def pattern(seed: int) -> list[bool]:
        return fired(ArmedTrigger(Trigger(probability=0.5, seed=seed), now=0), 40)

    assert pattern(7) == pattern(7)
    assert pattern(7) != pattern(8)
    assert 10 < sum(pattern(7)) < 30


def test_a_ttl_counts_from_when_the_rule_was_set() -> None:
    armed = ArmedTrigger(Trigger(ttlSeconds=60), now=1000)
    assert armed.fires(1059.9)
    assert not armed.fires(1060)
    assert armed.status(1060)["expiresAt"] == "1970-01-01T00:17:40+00:00"
