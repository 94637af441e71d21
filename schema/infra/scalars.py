"""``Date`` and ``DateTime`` as this API reads them: ISO 8601, refused with a short message when
malformed or out of range (an instant that cannot be converted to UTC, or a date outside
1900-2999, is refused here, not found out by date arithmetic or the driver as a 500)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from schema.infra.relay import shown

MAX_LENGTH = 40  # "2026-11-22T10:05:00.123456+05:30" is 32


def _reader(name: str, parse: Callable[[str], Any]) -> Callable[[object], object]:
    def read(value: object) -> object:
        if not isinstance(value, str) or len(value) > MAX_LENGTH:
            raise StrawberryInputCoercionError(f"Value cannot represent a {name}: {_brief(value)}")
        try:
            return parse(value)
        except (ValueError, OverflowError) as exc:  # messages quote at most the short value
            raise StrawberryInputCoercionError(
                f"Value cannot represent a {name}: {shown(value)}. {exc}"
            ) from None

    return read


def _instant(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed.astimezone(dt.UTC)  # OverflowError near the ends of the calendar
    return parsed


# What a work date may be: wide enough for any history or plan, far enough from the ends of
# the calendar that date arithmetic (weeks back, days ahead, a day's hours) cannot overflow.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def parse_day(value: str) -> dt.date:
    parsed = dt.date.fromisoformat(value)
    if not FIRST_DAY <= parsed <= LAST_DAY:
        raise ValueError(f"a date is from {FIRST_DAY} to {LAST_DAY}")
    return parsed


def _brief(value: object) -> str:
    return shown(value) if isinstance(value, str) else f"a {type(value).__name__}"


def _isoformat(value: Any) -> str:
    return value.isoformat()  # type: ignore[no-any-return]


DATE = ScalarDefinition(
    name="Date",
    description="Date (isoformat)",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=_reader("Date", parse_day),
    parse_literal=None,
    origin=dt.date,
)
DATE_TIME = ScalarDefinition(
    name="DateTime",
    description="Date with time (isoformat)",
    specified_by_url=None,
    serialize=_isoformat,
    parse_value=_reader("DateTime", _instant),
    parse_literal=None,
    origin=dt.datetime,
)
SCALARS: dict[object, Any] = {dt.date: DATE, dt.datetime: DATE_TIME}
