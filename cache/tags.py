"""What a cached response depends on, and what a write changes: tags.

Every table is a tag family. A read of table ``t`` restricted to some work dates depends on
``t`` and on ``t@<date>`` for each date (``t@<month>`` for each month when the range spans
more than ``DAY_TAGS_UP_TO`` days); a read with no such restriction depends on ``t@*``
alone. A write of ``t`` on known dates changes ``t@<date>``, ``t@<month>`` and ``t@*``; a
write whose dates are not declared changes ``t`` and ``t@*``, so every read of the table.
So precision is opt-in and the default is safe: a statement that says nothing about dates
drops (or is dropped by) everything of its table. (Every tag is a key a cache hit reads, so
a read depends on as few as say the same.)

Statements declare their dates with ``dated(statement, table, days)``; the sessions of
``db.sessions`` turn what runs into tags: reads into the ``collecting`` collector of the
request, committed writes into the tags handed to the write listeners.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy.sql.base import Executable

DATES_OPTION = "prodhub_cache_dates"  # execution option: {table: (first, last) | dates}
DAY_TAGS_UP_TO = 31
ANY_DAY = "*"

S = TypeVar("S", bound=Executable)

DateSpec = tuple[date, date] | Collection[date]


def dated(statement: S, table: str, days: DateSpec) -> S:
    """``statement`` (a read or a write of ``table``) touches only these work dates: a pair
    is a range (both ends included), anything else a collection of dates."""
    declared = dict(statement.get_execution_options().get(DATES_OPTION, {}))
    declared[table] = _spec(days)
    return statement.execution_options(**{DATES_OPTION: declared})


def dates_of(**tables: DateSpec) -> dict[str, Any]:
    """``dated``'s declaration as execution options, for a statement built once and shared
    (its dates are bound parameters): ``session.execute(statement, params, execution_options=
    dates_of(activities=days))``."""
    return {DATES_OPTION: {table: _spec(days) for table, days in tables.items()}}


def _spec(days: DateSpec) -> DateSpec:
    return days if isinstance(days, tuple) else frozenset(days)


def _days(spec: DateSpec) -> list[date]:
    if isinstance(spec, tuple):
        first, last = spec
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return sorted(spec)


def read_tags(table: str, spec: DateSpec | None) -> set[str]:
    """What a read of ``table`` on these dates (None: any) depends on."""
    if spec is None:
        return {f"{table}@{ANY_DAY}"}
    if isinstance(spec, tuple) and (spec[1] - spec[0]).days >= DAY_TAGS_UP_TO:
        first, last = spec
        months, month = set(), first.replace(day=1)
        while month <= last:
            months.add(f"{table}@{month:%Y-%m}")
            month = (month + timedelta(days=32)).replace(day=1)
        return {table, *months}
    return {table, *(f"{table}@{day.isoformat()}" for day in _days(spec))}


def write_tags(table: str, spec: DateSpec | None) -> set[str]:
    """What a committed write of ``table`` on these dates (None: undeclared) changes."""
    tags = {f"{table}@{ANY_DAY}"}
    if spec is None:
        return tags | {table}
    for day in _days(spec):
        tags |= {f"{table}@{day.isoformat()}", f"{table}@{day:%Y-%m}"}
    return tags


def statement_tags(tables: Iterable[str], options: dict[str, Any], *, write: bool) -> set[str]:
    declared = options.get(DATES_OPTION, {})
    tagger = write_tags if write else read_tags
    found: set[str] = set()
    for table in tables:
        found |= tagger(table, declared.get(table))
    return found


class ReadTags:
    """The tags of every read made for one request."""

    def __init__(self) -> None:
        self.tags: set[str] = set()


collecting: ContextVar[ReadTags | None] = ContextVar("prodhub_read_tags", default=None)


@contextmanager
def collect() -> Iterator[ReadTags]:
    """Reads made inside (in this task, and in tasks it starts) note their tags here."""
    found = ReadTags()
    token = collecting.set(found)
    try:
        yield found
    finally:
        collecting.reset(token)
