"""Numbers as the API shows them."""

from __future__ import annotations


def rounded(value: float | None, digits: int = 1) -> float | None:
    """A percent or a rate as the API shows it (one decimal unless said), None kept."""
    return None if value is None else round(value, digits)
