"""Checks of input values, each refusing with ``BadInput`` naming the field at fault."""

from __future__ import annotations

import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.errors import BadInput

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def key(field: str, value: str) -> str:
    """A machine key: lower-case letters, digits, ``-`` and ``_``, at most 64."""
    if not _KEY.fullmatch(value):
        raise BadInput(
            "use 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit",
            field=field,
        )
    return value


def code(field: str, value: str) -> str:
    """A badge code: letters, digits, ``-`` and ``_``, at most 64."""
    if not _CODE.fullmatch(value):
        raise BadInput("use 1 to 64 letters, digits, '-' or '_'", field=field)
    return value


def text(field: str, value: str, *, longest: int = 200) -> str:
    stripped = value.strip()
    if not 1 <= len(stripped) <= longest:
        raise BadInput(f"give 1 to {longest} characters", field=field)
    return stripped


def email(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    address = value.strip().lower()
    local, at, domain = address.partition("@")
    if not (at and local and "." in domain and len(address) <= 320 and " " not in address):
        raise BadInput("not an email address", field=field)
    return address


def amount(field: str, value: float, *, largest: float = 1_000_000) -> float:
    if not (math.isfinite(value) and 0 <= value <= largest):
        raise BadInput(f"give a number from 0 to {largest:,.0f}", field=field)
    return float(value)


def timezone(field: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput("not an IANA timezone, e.g. America/Chicago", field=field) from None
    return value
