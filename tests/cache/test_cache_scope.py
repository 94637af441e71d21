"""The cache scope holds everything a response depends on: two viewers share cached responses
only if every decision of what to show them is the same.

The decisions read a few attributes of the viewer (its role, teams, own employee record, API
key and its scopes), directly or through ``Viewer``'s properties. The code is read for every
attribute it reads of a viewer, so that a rule that starts reading another one fails here
until the scope holds it too.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from services.authentication import Viewer
from services.gamification import shown_by_name
from services.users import UserRole

ROOT = Path(__file__).resolve().parents[2]
# Who the viewer is: read by PRIVATE fields (``viewer``), whose responses are kept per user
# (the user id is added to the key), by writes (audit entries, who resolved or paused), and
# by the check of a token (a request whose credentials are refused is never answered from the
# cache); never by a decision of what to show.
IDENTITY = {"user_id", "email", "stamp"}
# What decisions of what to show read: the scope must tell apart viewers who differ in any.
VISIBILITY = ("role", "team_ids", "employee_id", "api_key_id", "scopes", "display_team_id")
# ``Viewer``'s properties and methods that code reads, with the attributes they read.
DERIVED = {
    "is_authenticated": {"role"},
    "is_device": {"api_key_id"},
    "is_admin": {"role"},
    "may_see_employee": {"role", "team_ids", "employee_id"},
    "permissions": {"role", "scopes"},
    "cache_scope": set(VISIBILITY),
}
READ = re.compile(r"\bviewer\.([a-z_]+)\b")
READ_IN_SERVICES = re.compile(r"\b(?:viewer|actor)\.([a-z_]+)\b")  # services: ``actor: Viewer``


def viewers() -> list[Viewer]:
    """Every combination of a few values of each attribute."""
    values: dict[str, list[Any]] = {
        "user_id": [None, 1, 2],
        "email": [None, "a@example.com"],
        "role": [None, *UserRole],
        "team_ids": [frozenset(), frozenset({1}), frozenset({2}), frozenset({1, 2})],
        "employee_id": [None, 1, 2],
        "api_key_id": [None, 1, 2],
        "scopes": [frozenset(), frozenset({"INGEST"}), frozenset({"DISPLAY"})],
        "display_team_id": [None, 1],
    }
    names = list(values)
    return [
        Viewer(**dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*values.values())
    ]


def decisions(viewer: Viewer) -> tuple[Any, ...]:
    """Every decision of what to show this viewer, for a few employees and teams."""
    employees = [(e, t) for e in (1, 2, 3) for t in (1, 2, 3, None)]
    return (
        viewer.is_authenticated,
        viewer.is_device,
        viewer.is_admin,
        tuple(viewer.permissions),
        viewer.role,
        viewer.team_ids,
        viewer.employee_id,
        viewer.display_team_id,
        tuple(viewer.may_see_employee(e, t) for e, t in employees),
        tuple(
            shown_by_name(viewer, employee_id=e, opted_out=o)
            for e in (1, 2, 3)
            for o in (False, True)
        ),
    )


def test_the_attributes_of_a_viewer_are_each_either_visibility_or_identity() -> None:
    fields = {f.name for f in dataclasses.fields(Viewer)}

    assert set(VISIBILITY) <= fields
    assert fields - set(VISIBILITY) <= IDENTITY
    assert not set(VISIBILITY) & IDENTITY
    assert set().union(*DERIVED.values()) <= set(VISIBILITY)


def test_the_code_reads_of_a_viewer_only_what_the_scope_holds() -> None:
    """Every ``viewer.<x>`` (and in services ``actor.<x>``) in the application is an attribute
    or property this test knows; a new one must be added to VISIBILITY (and the scope) or
    DERIVED."""
    read: dict[str, set[str]] = defaultdict(set)
    for package in ("services", "loaders", "resolvers", "schema", "prodhub", "tasks"):
        for path in (ROOT / package).rglob("*.py"):
            reads = READ_IN_SERVICES if package == "services" else READ
            for name in reads.findall(path.read_text(encoding="utf-8")):
                read[name].add(str(path.relative_to(ROOT)))

    unknown = {name: sorted(paths) for name, paths in read.items()
               if name not in DERIVED and name not in VISIBILITY and name not in IDENTITY}  # fmt: skip
    assert unknown == {}
    # the identity: the token itself, writes (users' own too: who changes their password, an
    # admin who may not demote themselves), the PRIVATE ``viewer`` field, the key of PRIVATE
    # responses and the check of a token
    assert set().union(*(read.get(name, set()) for name in IDENTITY)) <= {
        "services/authentication.py", "services/audit.py", "services/flags.py", "services/jobs.py",
        "services/user_admin.py", "resolvers/users.py",
        "schema/users.py", "prodhub/graphql_app.py", "prodhub/credentials.py",
    }  # fmt: skip
    assert {"role", "team_ids", "employee_id", "is_admin", "may_see_employee"} <= set(read)


def test_viewers_who_differ_in_any_visibility_attribute_never_share_a_scope() -> None:
    scopes: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for viewer in viewers():
        scopes[viewer.cache_scope].add(tuple(getattr(viewer, name) for name in VISIBILITY))

    shared = {scope: sorted(map(str, found)) for scope, found in scopes.items() if len(found) > 1}
    assert shared == {}


def test_viewers_equal_in_every_visibility_attribute_share_their_scope() -> None:
    """Whoever they are: the user is added to the key of PRIVATE responses only."""
    by_attributes: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for viewer in viewers():
        by_attributes[tuple(getattr(viewer, name) for name in VISIBILITY)].add(viewer.cache_scope)

    assert {len(scopes) for scopes in by_attributes.values()} == {1}


def test_viewers_who_share_a_scope_get_the_same_decisions() -> None:
    found: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for viewer in viewers():
        found[viewer.cache_scope].add(decisions(viewer))

    assert {scope: len(d) for scope, d in found.items() if len(d) > 1} == {}


def test_a_manager_linked_to_an_employee_record_has_a_scope_of_their_own() -> None:
    """The leak this guards against: such a manager sees their own name on a leaderboard where
    they opted out, and another manager of the same teams must not be answered from it."""
    teams = frozenset({1, 2})
    linked = Viewer(user_id=2, role=UserRole.MANAGER, team_ids=teams, employee_id=7)
    other = Viewer(user_id=3, role=UserRole.MANAGER, team_ids=teams)

    assert shown_by_name(linked, employee_id=7, opted_out=True) is True
    assert shown_by_name(other, employee_id=7, opted_out=True) is False
    assert (linked.cache_scope, other.cache_scope) == (
        "manager/teams:1,2/record:7",
        "manager/teams:1,2",
    )
    assert [
        Viewer(role=UserRole.ADMIN).cache_scope,
        Viewer(role=UserRole.EMPLOYEE, employee_id=7).cache_scope,
        Viewer(api_key_id=3, scopes=frozenset({"INGEST"})).cache_scope,
        Viewer(api_key_id=4, scopes=frozenset({"DISPLAY"}), display_team_id=2).cache_scope,
        Viewer().cache_scope,
    ] == [
        "admin",
        "employee/record:7",
        "device/key:3/scopes:INGEST",
        "device/key:4/scopes:DISPLAY/board:2",
        "anonymous",
    ]
