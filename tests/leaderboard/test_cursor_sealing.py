"""A leaderboard cursor carries its entry's employee id sealed with the secret: it reads back
as the id, but says nothing of whose entry it is to anyone without the secret, and the same
employee's cursors on two boards do not match."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date

import pytest

from services.errors import BadCursor
from services.keyset import Keyset
from services.leaderboard import Board, Metric

SECRET = b"a secret of at least thirty-two bytes"
DAY = date(2026, 11, 20)


@dataclass(frozen=True)
class Entry:
    value: float
    employee_id: int


def shown(cursor: str) -> list[object]:
    body = cursor.split(".")[0]
    values: list[object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return values


@pytest.mark.parametrize("employee_id", [1, 2, 3, 4_242, 2**31 - 1, 2**63 - 1])
def test_a_cursor_reads_back_as_its_entry_and_shows_no_id(employee_id: int) -> None:
    keyset = Board(DAY, DAY).keyset
    cursor = keyset.cursor(Entry(80.0, employee_id), secret=SECRET)

    assert keyset.decode(cursor, secret=SECRET) == (80.0, employee_id)
    version, kind, value, sealed = shown(cursor)
    assert (version, kind, value) == (1, "leaderboard/POINTS/2026-11-20/2026-11-20/", 80.0)
    assert sealed != employee_id and isinstance(sealed, int) and 0 <= sealed < 2**64


def test_the_same_employee_is_sealed_apart_on_other_boards_and_secrets() -> None:
    boards = [Board(DAY, DAY), Board(DAY, DAY, Metric.ITEMS), Board(DAY, DAY, team_id=1),
              Board(date(2026, 11, 19), DAY)]  # fmt: skip
    sealed = [shown(b.keyset.cursor(Entry(1.0, 7), secret=SECRET))[-1] for b in boards]
    other_secret = shown(boards[0].keyset.cursor(Entry(1.0, 7), secret=b"x" * 32))[-1]

    assert len({*sealed, other_secret}) == 5
    # and apart from the neighbours' on one board: no order to read ids from
    neighbours = [shown(boards[0].keyset.cursor(Entry(1.0, i), secret=SECRET))[-1] for i in (6, 8)]
    assert sealed[0] not in neighbours


def test_a_signed_cursor_whose_sealed_id_is_out_of_range_is_refused() -> None:
    """Only this server signs cursors; were one made with a value no seal gives, it is a
    BAD_CURSOR, not an error."""
    board = Board(DAY, DAY)
    plain = Keyset(board.keyset.kind, board.keyset.keys)
    forged = plain.cursor(Entry(1.0, -1), secret=SECRET)

    with pytest.raises(BadCursor):
        board.keyset.decode(forged, secret=SECRET)
