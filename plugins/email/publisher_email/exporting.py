"""Exporting subscribers as CSV that a spreadsheet opens safely and an import reads back.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read
by spreadsheets as a formula, so a name such as `=HYPERLINK(...)` would run
when the file is opened. As OWASP advises, such cells get a leading single
quote, and every cell is quoted. An import removes that quote again, so that
exporting a list and importing the file gives the same list.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from publisher_email.subscribers import Subscriber, clean_name

COLUMNS = ("email", "name", "status", "joined")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: quoted when it would start a formula.

    Cells that only look so once their leading quotes are gone get one more, so
    that `restore` is its exact inverse.
    """
    return "'" + cell if cell.lstrip("'").startswith(_FORMULA_START) else cell


def restore(cell: str) -> str:
    """The cell as it was before `neutralise`."""
    if cell.startswith("'") and cell.lstrip("'").startswith(_FORMULA_START):
        return cell[1:]
    return cell


def write_csv(subscribers: Iterable[Subscriber], out: TextIO) -> int:
    """Write a header and one row per subscriber; returns how many rows were written."""
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for subscriber in subscribers:
        joined = subscriber.created_at.isoformat(timespec="seconds")
        cells = (subscriber.address, clean_name(subscriber.name), subscriber.status, joined)
        writer.writerow([neutralise(cell) for cell in cells])
        count += 1
    return count
