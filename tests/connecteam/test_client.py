"""The real Connecteam client against a fake Connecteam on loopback: paging past 500, the
rate-limit headers followed on a 429, 5xx and slow answers retried a bounded number of times,
other 4xx reported with Connecteam's message, and the key in no error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from core.settings import Settings
from services.connecteam.client import (
    ConnecteamClient,
    ConnecteamError,
    RetryPolicy,
    from_settings,
)
from tests.helpers_connecteam import API_KEY, FakeConnecteam, Fault, serving, user


class Sleeps:
    """The client's sleep, recorded instead of slept."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def fake() -> FakeConnecteam:
    return FakeConnecteam()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(fake: FakeConnecteam, sleeps: Sleeps) -> AsyncIterator[ConnecteamClient]:
    async with serving(fake) as url, ConnecteamClient(
        api_key=API_KEY, base_url=url, sleep=sleeps, clock=lambda: 1_800_000_000.0,
        policy=RetryPolicy(attempts=4, backoff_seconds=0.5, max_wait_seconds=30),
    ) as connected:  # fmt: skip
        yield connected


async def test_users_page_past_500(fake: FakeConnecteam, client: ConnecteamClient) -> None:
    fake.users = [user(n) for n in range(1, 1202)]

    found = await client.users()

    assert [u.user_id for u in found] == list(range(1, 1202))
    assert found[0].full_name == "First1 Last1"
    assert [params["offset"] for _, params in fake.requests] == ["0", "500", "1000"]
    assert {params["limit"] for _, params in fake.requests} == {"500"}


async def test_a_full_last_page_asks_once_more(
    fake: FakeConnecteam, client: ConnecteamClient
) -> None:
    fake.users = [user(n) for n in range(1, 501)]

    found = await client.users()

    assert len(found) == 500
    assert [params["offset"] for _, params in fake.requests] == ["0", "500"]


async def test_a_429_waits_as_the_rate_limit_headers_say(
    fake: FakeConnecteam, client: ConnecteamClient, sleeps: Sleeps
) -> None:
    fake.time_clocks = [{"id": 7, "name": "Main", "isArchived": False}]
    fake.faults = [
        Fault(429, {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": "2"}),
        Fault(429, {"x-ratelimit-reset": str(1_800_000_012)}),  # an epoch second: 12 s from now
    ]  # fmt: skip

    clocks = await client.time_clocks()

    assert [c.id for c in clocks] == [7]
    assert client.calls == 3
    assert 2 <= sleeps.seconds[0] <= 2.2 and 12 <= sleeps.seconds[1] <= 13.2


async def test_5xx_answers_are_retried_with_backoff(
    fake: FakeConnecteam, client: ConnecteamClient, sleeps: Sleeps
) -> None:
    fake.time_clocks = [{"id": 7, "name": "Main", "isArchived": False}]
    fake.faults = [Fault(500), Fault(503)]

    clocks = await client.time_clocks()

    assert [c.name for c in clocks] == ["Main"]
    assert client.calls == 3
    assert [round(s, 1) for s in sleeps.seconds] in ([0.5, 1.0], [0.5, 1.1], [0.6, 1.0], [0.6, 1.1])


# A read timeout short enough for a test: an answer 0.5 s late is one that timed out.
SHORT = httpx.Timeout(5.0, read=0.1)


async def test_an_answer_slower_than_the_read_timeout_is_retried(
    fake: FakeConnecteam, sleeps: Sleeps
) -> None:
    fake.time_clocks = [{"id": 7, "name": "Main", "isArchived": False}]
    fake.faults = [Fault(200, delay_seconds=0.5)]  # the right answer, too late

    async with serving(fake) as url, ConnecteamClient(
        api_key=API_KEY, base_url=url, sleep=sleeps, timeout=SHORT,
        policy=RetryPolicy(attempts=4, backoff_seconds=0.5, max_wait_seconds=30),
    ) as slow:  # fmt: skip
        clocks = await slow.time_clocks()

    assert [c.name for c in clocks] == ["Main"]
    assert (slow.calls, slow.pages) == (2, 1)
    assert [round(s, 1) for s in sleeps.seconds] in ([0.5], [0.6])


async def test_answers_that_stay_slow_fail_after_the_bounded_attempts(
    fake: FakeConnecteam, sleeps: Sleeps
) -> None:
    fake.time_clocks = [{"id": 7, "name": "Main", "isArchived": False}]
    fake.faults = [Fault(200, delay_seconds=0.5)] * 4

    async with serving(fake) as url, ConnecteamClient(
        api_key=API_KEY, base_url=url, sleep=sleeps, timeout=SHORT,
        policy=RetryPolicy(attempts=4, backoff_seconds=0.5, max_wait_seconds=30),
    ) as slow:  # fmt: skip
        with pytest.raises(ConnecteamError) as failed:
            await slow.time_clocks()

    assert (slow.calls, slow.pages, len(sleeps.seconds)) == (4, 0, 3)
    assert str(failed.value) == (
        "Connecteam /time-clock/v1/time-clocks: gave up after 4 attempts (timed out)"
    )


async def test_a_bounded_number_of_attempts_then_a_clear_failure(
    fake: FakeConnecteam, client: ConnecteamClient, sleeps: Sleeps
) -> None:
    fake.faults = [Fault(502)] * 10

    with pytest.raises(ConnecteamError) as failed:
        await client.time_clocks()

    assert client.calls == 4
    assert len(sleeps.seconds) == 3
    assert str(failed.value) == (
        "Connecteam /time-clock/v1/time-clocks: gave up after 4 attempts (server error 502)"
    )


async def test_a_4xx_is_not_retried_and_names_connecteams_reason(
    fake: FakeConnecteam, sleeps: Sleeps
) -> None:
    async with (
        serving(fake) as url,
        ConnecteamClient(api_key="not-the-key-abcdef", base_url=url, sleep=sleeps) as c,
    ):
        with pytest.raises(ConnecteamError) as refused:
            await c.time_clocks()

    assert refused.value.status == 401
    assert str(refused.value) == (
        "Connecteam /time-clock/v1/time-clocks answered 401: Invalid API key"
    )
    assert "not-the-key" not in repr(refused.value) and sleeps.seconds == []


async def test_time_activities_in_ranges_of_at_most_31_days(
    fake: FakeConnecteam, client: ConnecteamClient
) -> None:
    fake.activities = {
        7: [{"userId": 3, "manualBreaks": [],
             "shifts": [{"id": "s1", "start": {"timestamp": 1_795_000_000,
                                               "timezone": "America/Chicago"}}]}]
    }  # fmt: skip

    found = await client.time_activities(7, date(2026, 11, 1), date(2026, 12, 1))

    assert found[0].shifts[0].end is None  # still clocked in
    assert found[0].shifts[0].start.timezone == "America/Chicago"
    with pytest.raises(ValueError):
        await client.time_activities(7, date(2026, 11, 1), date(2026, 12, 2))


async def test_configured_by_the_environment_or_not_at_all() -> None:
    assert from_settings(Settings()) is None
    configured = from_settings(
        Settings(connecteam_api_key="k" * 32, connecteam_base_url="http://127.0.0.1:9")
    )
    assert configured is not None
    assert configured.policy == RetryPolicy()
    await configured.aclose()
