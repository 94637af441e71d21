"""The gate's rules, on the test's loop: slots first come first served, a bounded queue, a
bounded wait, and no slot lost to a waiter that gave up."""

from __future__ import annotations

import asyncio

import pytest

from prodhub.admission import QUEUE_FULL, WAITED, Gate, Overloaded


async def test_a_released_slot_goes_to_the_first_waiter() -> None:
    gate = Gate(2, max_queued=2, wait_seconds=30)
    await gate.acquire()
    await gate.acquire()
    first = asyncio.create_task(gate.acquire())
    second = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)

    gate.release()
    await first

    assert (first.done(), second.done(), gate.running, gate.queued) == (True, False, 2, 1)
    gate.release()
    await second
    assert (gate.running, gate.queued) == (2, 0)


async def test_a_full_queue_sheds_at_once() -> None:
    gate = Gate(1, max_queued=1, wait_seconds=30)
    await gate.acquire()
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)

    with pytest.raises(Overloaded) as shed:
        await gate.acquire()

    assert (shed.value.reason, gate.running, gate.queued) == (QUEUE_FULL, 1, 1)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)


async def test_a_wait_without_a_slot_ends_shed_and_leaves_the_queue() -> None:
    gate = Gate(1, max_queued=5, wait_seconds=0.05)
    await gate.acquire()

    with pytest.raises(Overloaded) as shed:
        await gate.acquire()

    assert (shed.value.reason, gate.running, gate.queued) == (WAITED, 1, 0)


async def test_a_waiter_that_gives_up_keeps_no_slot() -> None:
    gate = Gate(1, max_queued=5, wait_seconds=30)
    await gate.acquire()
    gone = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)

    gate.release()

    assert (gate.running, gate.queued) == (0, 0)
    await gate.acquire()  # the slot is free for the next one
    assert gate.running == 1


async def test_a_waiter_cancelled_after_it_was_given_a_slot_passes_it_on() -> None:
    gate = Gate(1, max_queued=5, wait_seconds=30)
    await gate.acquire()
    given = asyncio.create_task(gate.acquire())
    after = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)

    gate.release()  # the slot is ``given``'s, which is cancelled before it runs
    given.cancel()
    await asyncio.gather(given, return_exceptions=True)
    await after

    assert (given.cancelled(), after.done(), gate.running, gate.queued) == (True, True, 1, 0)


async def test_no_limit_never_waits() -> None:
    gate = Gate(0, max_queued=0, wait_seconds=0)

    for _ in range(50):
        await gate.acquire()

    assert (gate.running, gate.queued) == (50, 0)
