"""Importing subscribers from CSV: good rows go in, bad rows are reported by line number.

The file may have a header row naming its columns (`email` or `address`, and
optionally `name` and `status`), or no header, with the address in the first
column and a name in the second. Addresses already on the list are left as
they are: an import never re-subscribes someone who unsubscribed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from publisher_email.subscribers import PAGE, STATUSES, Subscribers, normalize_address

_ADDRESS_COLUMNS = ("email", "address", "e-mail", "email address", "email_address")


@dataclass(frozen=True)
class Row:
    line: int
    address: str
    name: str
    status: str


@dataclass
class ImportReport:
    added: int = 0
    existing: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def read_rows(file: TextIO) -> Iterator[Row | tuple[int, str]]:
    """Each data row as a Row, or as (line, reason) when it cannot be one."""
    reader = csv.reader(file)
    columns = {"address": 0, "name": 1, "status": None}
    first = True
    for cells in reader:
        line = reader.line_num
        cleaned = [cell.strip() for cell in cells]
        if not any(cleaned) or cleaned[0].startswith("#"):
            continue
        if first:
            first = False
            header = [cell.lower() for cell in cleaned]
            if any(name in header for name in _ADDRESS_COLUMNS):
                columns = {
                    "address": next(header.index(n) for n in _ADDRESS_COLUMNS if n in header),
                    "name": header.index("name") if "name" in header else None,
                    "status": header.index("status") if "status" in header else None,
                }
                continue
        yield _row(line, cleaned, columns)


def _row(line: int, cells: list[str], columns: dict[str, int | None]) -> Row | tuple[int, str]:
    def cell(key: str) -> str:
        index = columns[key]
        return cells[index] if index is not None and index < len(cells) else ""

    raw = cell("address")
    if not raw:
        return line, "no address"
    try:
        address = normalize_address(raw)
    except ValueError as error:
        return line, f"'{raw}': {error}"
    status = cell("status").lower() or "active"
    if status not in STATUSES:
        return line, f"unknown status '{status}' (use {', '.join(STATUSES)})"
    return Row(line, address, cell("name"), status)


def import_rows(rows: Iterable[Row | tuple[int, str]], into: Subscribers) -> ImportReport:
    """Add good rows a page at a time (one transaction each); collect the bad ones."""
    report = ImportReport()
    page: list[tuple[str, str, str]] = []

    def flush() -> None:
        added = into.add_many(page)
        report.added += added
        report.existing += len(page) - added
        page.clear()

    for row in rows:
        if isinstance(row, tuple):
            report.refused.append(row)
            continue
        page.append((row.address, row.name, row.status))
        if len(page) >= PAGE:
            flush()
    flush()
    return report
