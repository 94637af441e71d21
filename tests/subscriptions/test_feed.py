"""The fan-out without a server: what a write's tags tell the boards, a subscriber that does
not read (one page held, then dropped), and the notices' subscription across a Redis restart."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from graphql import get_named_type

from bench.faults import processes
from schema.build import build_schema
from schema.infra.cache_control import CacheScope, _hint
from services.board_feed import BoardFeed, Slot, SlowConsumer
from services.board_notices import BoardNotices, Changed, changed_of

DAY, EVE = date(2026, 11, 20), date(2026, 11, 19)


def test_a_write_tells_the_work_dates_it_changed_or_everything() -> None:
    refresh = frozenset({"daily_scores@*", "daily_scores@2026-11-20", "daily_scores@2026-11"})
    undeclared = frozenset({"daily_scores", "daily_scores@*"})
    renamed = frozenset({"employees", "employees@*"})
    other = frozenset({"activities@*", "activities@2026-11-20", "activities@2026-11"})

    assert changed_of(refresh, 5.0) == Changed(frozenset({DAY}), at=5.0)
    assert changed_of(undeclared, 5.0) == Changed(everything=True, at=5.0)
    assert changed_of(renamed, 5.0) == Changed(everything=True, at=5.0)
    assert changed_of(other, 5.0) is None
    assert Changed.decode(Changed(frozenset({DAY, EVE}), at=5.0).encode()) == Changed(
        frozenset({DAY, EVE}), at=5.0
    )
    assert Changed(frozenset({DAY})).covers(EVE, DAY) is True
    assert Changed(frozenset({DAY})).covers(EVE, EVE) is False


async def test_a_subscriber_that_does_not_read_holds_the_latest_page_then_is_dropped() -> None:
    now = [0.0]
    slot: Slot[str] = Slot(stall_seconds=30, clock=lambda: now[0])
    slot.put("page 1")
    now[0] = 10.0
    kept = slot.put("page 2")  # replaces page 1: one page held
    taken = await slot.take()
    slot.put("page 3")
    now[0] = 41.0
    dropped = slot.put("page 4")  # page 3 waited 31 s

    assert (kept, taken, dropped) == (True, "page 2", False)
    with pytest.raises(SlowConsumer) as ended:
        await slot.take()
    assert ended.value.code == "SLOW_CONSUMER"
    assert ended.value.message == (
        "updates were not read for over 30 s: the subscription is ended; subscribe again"
    )


async def test_a_group_is_computed_once_for_its_subscribers_and_only_when_covered() -> None:
    feed: BoardFeed[int] = BoardFeed(max_subscriptions=10, stall_seconds=30)
    values = iter([1, 1, 2])

    async def compute(changed: Changed | None) -> int:
        return next(values)

    def covers(changed: Changed) -> bool:
        return changed.covers(DAY, DAY)

    async with (
        feed.subscribe("board", compute, covers) as one,
        feed.subscribe("board", compute, covers) as two,
    ):
        first = [await one.take(), await two.take()]
        feed.changed(Changed(frozenset({EVE})))  # another day: not computed
        feed.changed(Changed(frozenset({DAY})))  # computed: the same value, not sent
        await asyncio.sleep(0.05)
        unchanged = (one.pending, two.pending)
        feed.changed(Changed(frozenset({DAY})))
        second = [await one.take(), await two.take()]
        computed = feed.computations

    assert first == [1, 1]
    assert unchanged == (False, False)
    assert second == [2, 2]
    assert computed == 3
    assert feed.groups == 0  # the last subscriber gone, the group is too


async def test_the_notices_subscribe_again_after_redis_restarts(
    own_redis: processes.Redis,
) -> None:
    notices = BoardNotices(None, redis_url=own_redis.url())
    heard: list[Changed] = []
    notices.add_listener(heard.append)
    notices.listen()
    try:
        async with asyncio.timeout(10):
            await notices.subscribed.wait()
        own_redis.stop()
        own_redis.start()
        for _ in range(400):  # 20 s at most
            if notices.reconnects and notices.subscribed.is_set():
                break
            await asyncio.sleep(0.05)
    finally:
        await notices.aclose()

    assert notices.reconnects == 1
    # each subscription made: every board recomputed, whatever was missed meanwhile
    assert [changed.everything for changed in heard] == [True, True]


def test_subscribers_who_share_an_execution_reach_no_field_private_to_one_user() -> None:
    """Subscribers of one cache scope share an event's execution (``LivePage.executions``), as
    they share cached responses; a PRIVATE field (``cached(private=True)``: one user's) under
    the subscription's type would make that wrong."""
    schema = build_schema()._schema
    seen: set[str] = set()
    todo, private = ["LeaderboardConnection"], []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for field_name, field in getattr(schema.type_map[name], "fields", {}).items():
            hint = _hint(field.extensions)
            if hint is not None and hint.scope is CacheScope.PRIVATE:
                private.append(f"{name}.{field_name}")
            todo.append(get_named_type(field.type).name)

    assert private == []
    assert {"LeaderboardEntry", "Employee", "Team"} <= seen


async def test_a_subscriber_that_stalls_is_dropped_from_its_group_and_told() -> None:
    feed: BoardFeed[int] = BoardFeed(max_subscriptions=10, stall_seconds=0.05)
    values = iter(range(1, 10))

    async def compute(changed: Changed | None) -> int:
        return next(values)

    def covers(changed: Changed) -> bool:
        return True

    async with (
        feed.subscribe("board", compute, covers) as reader,
        feed.subscribe("board", compute, covers) as stalled,
    ):
        await reader.take()
        await stalled.take()
        feed.changed(Changed(everything=True))
        await reader.take()  # the stalled one does not take its page 2
        await asyncio.sleep(0.1)
        feed.changed(Changed(everything=True))  # page 3: page 2 waited too long
        kept = await reader.take()
        with pytest.raises(SlowConsumer):
            await stalled.take()

    assert kept == 3


async def test_a_first_computation_that_failed_fails_its_subscribers_and_the_next_tries_again() -> (
    None
):
    feed: BoardFeed[int] = BoardFeed(max_subscriptions=10, stall_seconds=30)
    outcomes: list[int | Exception] = [ConnectionError("the database is down"), 7]

    async def compute(changed: Changed | None) -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def covers(changed: Changed) -> bool:
        return True

    async with feed.subscribe("board", compute, covers) as failed:
        with pytest.raises(ConnectionError):
            await failed.take()
        async with feed.subscribe("board", compute, covers) as later, asyncio.timeout(5):
            value = await later.take()

    assert value == 7
