"""Failed sign-ins: limited per (account, client address) and per client address, spaced per
account; the client address behind trusted proxies; limits kept in memory while Redis is away.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from core.settings import Settings
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import Resources, build_resources
from services import users
from services.login_limits import LoginLimits
from services.users import UserRole
from tests.helpers import NOW, Backend

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token viewer { email } errors { code message } }
}
"""
PASSWORD = "correct horse battery"
WRONG = "wrong password!"
ADMIN = "boss@example.com"
HOME = "198.51.100.7"  # where the admin signs in from
LIMITED = {"code": "RATE_LIMITED", "message": "too many failed sign-ins; try again later"}


class FakeTime:
    """The clock and the sleep the login limits space attempts with: sleeping moves the clock
    (unless ``frozen``: then attempts that wait seem to wait at once, as concurrent ones do)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []
        self.frozen = frozen

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if not self.frozen:
            self.now += seconds


async def _admin(db: Database, email: str = ADMIN) -> None:
    async with db.session() as session, session.begin():
        await users.create_user(
            session=session, email=email, password=PASSWORD, role=UserRole.ADMIN
        )


async def _login(
    app: Any, email: str, password: str, *, address: str, forwarded: str | None = None
) -> dict[str, Any]:
    """``login`` as a client at ``address`` (the TCP peer the server sees)."""
    transport = httpx.ASGITransport(app=app, client=(address, 50123))
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"email": email, "password": password}},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()["data"]["login"]
    return answer


def _outcome(answer: dict[str, Any]) -> str:
    """SIGNED_IN, or the refusal's code."""
    if answer["token"] is not None:
        return "SIGNED_IN"
    code: str = answer["errors"][0]["code"]
    return code


def _spaced(resources: Resources, fake: FakeTime) -> Any:
    """The app on ``resources`` with login limits that wait on ``fake`` time."""
    resources.limiter = LoginLimits(resources.cache_redis, None, clock=fake.clock, sleep=fake.sleep)
    return create_app(resources, clock=lambda: NOW)


# --- per (account, address) and per address --------------------------------------------------


async def test_failures_are_limited_per_account_and_address(
    db: Database, resources: Resources
) -> None:
    await _admin(db)
    app = create_app(resources, clock=lambda: NOW)

    failures = [await _login(app, ADMIN, WRONG, address="203.0.113.5") for _ in range(5)]
    right_but_late = await _login(app, ADMIN, PASSWORD, address="203.0.113.5")
    elsewhere = await _login(app, ADMIN, PASSWORD, address=HOME)

    assert [_outcome(f) for f in failures] == ["INVALID_CREDENTIALS"] * 5
    assert right_but_late == {"token": None, "viewer": None, "errors": [LIMITED]}
    assert (_outcome(elsewhere), elsewhere["viewer"]) == ("SIGNED_IN", {"email": ADMIN})


async def test_failures_are_limited_per_client_address_but_not_for_its_known_accounts(
    db: Database, resources: Resources
) -> None:
    """The admin signed in from the office before; someone in the office guesses emails."""
    await _admin(db)
    app = create_app(resources, clock=lambda: NOW)
    office = "203.0.113.5"
    earlier = await _login(app, ADMIN, PASSWORD, address=office)

    codes = [
        _outcome(await _login(app, f"guess{n}@example.com", WRONG, address=office))
        for n in range(31)
    ]
    admin = await _login(app, ADMIN, PASSWORD, address=office)

    assert _outcome(earlier) == "SIGNED_IN"
    assert codes == ["INVALID_CREDENTIALS"] * 30 + ["RATE_LIMITED"]
    assert _outcome(admin) == "SIGNED_IN"


async def test_an_ipv6_client_is_limited_by_its_64_bit_prefix(
    db: Database, resources: Resources
) -> None:
    """One IPv6 host holds a whole /64: its addresses are one client."""
    await _admin(db)
    app = create_app(resources, clock=lambda: NOW)

    failures = [await _login(app, ADMIN, WRONG, address=f"2001:db8::{n}") for n in range(1, 6)]
    same_prefix = await _login(app, ADMIN, PASSWORD, address="2001:db8::ffff")
    other_prefix = await _login(app, ADMIN, PASSWORD, address="2001:db8:0:1::1")

    assert [_outcome(f) for f in failures] == ["INVALID_CREDENTIALS"] * 5
    assert (_outcome(same_prefix), _outcome(other_prefix)) == ("RATE_LIMITED", "SIGNED_IN")


# --- a stranger cannot lock the admin out ----------------------------------------------------


async def test_a_strangers_failures_from_one_address_do_not_lock_the_admin_out(
    db: Database, resources: Resources
) -> None:
    await _admin(db)
    app = create_app(resources, clock=lambda: NOW)

    stranger = [await _login(app, ADMIN, WRONG, address="203.0.113.5") for _ in range(40)]
    admin = await _login(app, ADMIN, PASSWORD, address=HOME)

    assert [_outcome(s) for s in stranger] == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 35
    assert (_outcome(admin), admin["viewer"]) == ("SIGNED_IN", {"email": ADMIN})


async def test_failures_on_an_account_space_its_attempts_but_the_admin_gets_in(
    db: Database, resources: Resources
) -> None:
    """From many addresses, past 10 failures in an hour each attempt on the account waits its
    turn: 0.5 s after the previous one, doubling with each further failure up to 4 s."""
    await _admin(db)
    fake = FakeTime()
    app = _spaced(resources, fake)

    stranger = [await _login(app, ADMIN, WRONG, address=f"203.0.113.{n}") for n in range(1, 16)]
    waited_by_stranger = list(fake.slept)
    admin = await _login(app, ADMIN, PASSWORD, address=HOME)

    assert [_outcome(s) for s in stranger] == ["INVALID_CREDENTIALS"] * 15
    # The 12th attempt (11 failures) opens the queue; the 13th waits 1 s after it, then 2, 4.
    assert waited_by_stranger == [1.0, 2.0, 4.0]
    assert fake.slept == [1.0, 2.0, 4.0, 4.0]
    assert (_outcome(admin), admin["viewer"]) == ("SIGNED_IN", {"email": ADMIN})


async def test_a_full_queue_refuses_strangers_but_not_an_address_the_admin_signed_in_from(
    db: Database, resources: Resources
) -> None:
    """Attempts that would wait more than 5 s for their turn are refused (concurrent ones:
    the clock stands still while they wait); an address this account signed in from lately
    skips the queue."""
    await _admin(db)
    fake = FakeTime(frozen=True)
    app = _spaced(resources, fake)
    earlier = await _login(app, ADMIN, PASSWORD, address=HOME)

    stranger = [await _login(app, ADMIN, WRONG, address=f"203.0.113.{n}") for n in range(1, 17)]
    waited_by_stranger = list(fake.slept)
    newcomer = await _login(app, ADMIN, PASSWORD, address="192.0.2.44")
    admin = await _login(app, ADMIN, PASSWORD, address=HOME)

    assert _outcome(earlier) == "SIGNED_IN"
    assert [_outcome(s) for s in stranger] == ["INVALID_CREDENTIALS"] * 14 + ["RATE_LIMITED"] * 2
    assert waited_by_stranger == [1.0, 3.0]  # turns at +1 s and +3 s; +7 s is too late
    assert _outcome(newcomer) == "RATE_LIMITED"
    assert (_outcome(admin), fake.slept) == ("SIGNED_IN", [1.0, 3.0])


async def test_processes_share_counts_and_turns_through_redis(mariadb: Backend) -> None:
    """Two web processes on one Redis: the failures one saw space the other's attempts, and
    the turns are one queue."""
    await _admin(mariadb.db)
    fake = FakeTime()
    first, second = (build_resources(mariadb.settings, db=mariadb.db) for _ in range(2))
    try:
        one, other = _spaced(first, fake), _spaced(second, fake)
        stranger = [await _login(one, ADMIN, WRONG, address=f"203.0.113.{n}") for n in range(15)]
        admin = await _login(other, ADMIN, PASSWORD, address=HOME)
    finally:
        await first.aclose()
        await second.aclose()

    assert [_outcome(s) for s in stranger] == ["INVALID_CREDENTIALS"] * 15
    assert (_outcome(admin), fake.slept) == ("SIGNED_IN", [1.0, 2.0, 4.0, 4.0])


# --- the client address behind proxies -------------------------------------------------------


@pytest.fixture
async def behind_proxy(backend: Backend) -> AsyncIterator[Any]:
    """The app as deployed behind proxies on 10.0.0.0/8."""
    settings = backend.settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    resources = build_resources(settings, db=backend.db)
    yield create_app(resources, clock=lambda: NOW)
    await resources.aclose()


async def test_a_trusted_proxy_names_the_first_untrusted_hop_from_the_right(
    db: Database, behind_proxy: Any
) -> None:
    await _admin(db)
    proxy = "10.0.0.2"

    # The client writes the left part as it likes; the proxies append what they saw.
    chains = [f"192.0.2.{n}, 203.0.113.9, 10.0.0.7" for n in range(5)]

    failures = [
        await _login(behind_proxy, ADMIN, WRONG, address=proxy, forwarded=chain) for chain in chains
    ]
    same_hop = await _login(
        behind_proxy, ADMIN, PASSWORD, address=proxy, forwarded="192.0.2.99, 203.0.113.9"
    )
    other_hop = await _login(
        behind_proxy, ADMIN, PASSWORD, address=proxy, forwarded="203.0.113.9, 203.0.113.10"
    )

    assert [_outcome(f) for f in failures] == ["INVALID_CREDENTIALS"] * 5
    assert (_outcome(same_hop), _outcome(other_hop)) == ("RATE_LIMITED", "SIGNED_IN")


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    db: Database, behind_proxy: Any
) -> None:
    await _admin(db)
    outsider = "192.0.2.1"  # not one of the proxies: its X-Forwarded-For is its own say

    failures = [
        await _login(behind_proxy, ADMIN, WRONG, address=outsider, forwarded=f"203.0.113.{n}")
        for n in range(5)
    ]
    again = await _login(behind_proxy, ADMIN, PASSWORD, address=outsider, forwarded="203.0.113.77")

    assert [_outcome(f) for f in failures] == ["INVALID_CREDENTIALS"] * 5
    assert _outcome(again) == "RATE_LIMITED"


def test_trusted_proxies_are_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODHUB_TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.1 ,::1,")
    read = Settings().trusted_proxies
    refused = []
    for value in ("10.0.0.0/33", "10.0.0.1/8", "*", "proxy.internal"):
        monkeypatch.setenv("PRODHUB_TRUSTED_PROXIES", value)
        with pytest.raises(ValidationError) as error:
            Settings()
        refused.append(error.value.errors()[0]["msg"])

    assert read == ["10.0.0.0/8", "192.168.1.1", "::1"]
    assert Settings.model_fields["trusted_proxies"].default == []
    assert refused == [
        "Value error, 10.0.0.0/33 is not an IP address or network",
        "Value error, 10.0.0.1/8 is not an IP address or network",
        "Value error, * is not an IP address or network",
        "Value error, proxy.internal is not an IP address or network",
    ]


# --- Redis away ------------------------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a black-holed Redis."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("redis_is", ["closed", "black-holed"])
async def test_without_redis_the_limits_hold_in_memory_and_sign_in_stays_fast(
    backend: Backend, db: Database, request: pytest.FixtureRequest, redis_is: str
) -> None:
    port = request.getfixturevalue("closed_port" if redis_is == "closed" else "silent_port")
    settings = backend.settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    resources = build_resources(settings, db=db)
    app = create_app(resources, clock=lambda: NOW)
    await _admin(db)
    try:
        timed = []
        for password in [WRONG] * 5 + [PASSWORD]:
            started = time.perf_counter()
            answer = await _login(app, ADMIN, password, address="203.0.113.5")
            timed.append((_outcome(answer), time.perf_counter() - started))
        elsewhere = await _login(app, ADMIN, PASSWORD, address=HOME)
    finally:
        await resources.aclose()

    assert [outcome for outcome, _ in timed] == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]
    assert _outcome(elsewhere) == "SIGNED_IN"
    assert max(seconds for _, seconds in timed) < 1.0, timed
