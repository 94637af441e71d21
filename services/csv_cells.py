"""CSV text a spreadsheet opens as data, never as formulas: the one writer of every CSV export.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return (and, in East Asian locales, their full-width forms) as a formula,
and which characters split cells depends on the reader's locale (``;`` where the decimal
separator is a comma, a tab or ``|`` for some imports). So text is neutralized wherever a
cell might start: at its start and after each of ``,`` ``;`` tab ``|`` and a line break,
a formula character gets an apostrophe before it (the spreadsheet's "this is text"), and a
cell so changed, or holding a separator, a quote or a line break, is quoted (RFC 4180:
quotes doubled). Numbers are written as numbers; None is an empty cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

FORMULA_STARTS = "=+-@\t\r\n\0\uff1d\uff0b\uff0d\uff20"  # the last four: full-width = + - @
SEPARATORS = ",;\t|\r\n"

_FORMULA = re.compile(
    "(?:^|(?<=[" + re.escape(SEPARATORS) + "]))(?=[" + re.escape(FORMULA_STARTS) + "])"
)
_QUOTED = re.compile("[" + re.escape(SEPARATORS + '"') + "]")


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """``rows`` as CSV, one line each (``\\n``), every cell through ``csv_cell``."""
    return "".join(",".join(csv_cell(value) for value in row) + "\n" for row in rows)


def csv_cell(value: object) -> str:
    """One cell: a number as written by Python, text neutralized and quoted as needed."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    text = str(value)
    safe = neutralized(text)
    if safe != text or _QUOTED.search(text):
        return '"' + safe.replace('"', '""') + '"'
    return text


def neutralized(text: str) -> str:
    """``text`` with an apostrophe before each formula character that starts it or follows a
    separator."""
    return _FORMULA.sub("'", text)
