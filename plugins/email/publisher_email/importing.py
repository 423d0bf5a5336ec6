"""Importing subscribers from CSV: good rows go in, bad rows are reported by line number.

The file may have a header row naming its columns (`email` or `address`, and
optionally `name` and `status`), or no header, with the address in the first
column and a name in the second. An address may carry a display name
('Ada Lovelace <ada@example.org>'), used when there is no name column. The
file is UTF-8, or UTF-16 with a byte order mark, separated by commas, tabs or
semicolons (as Excel writes them). Addresses already on the list are left as
they are: an import never re-subscribes someone who unsubscribed. A file that
`publisher subscribers export` wrote reads back as the list it came from (the
quote it puts before formula-like cells is removed; `joined` is not read).
Names lose their control characters; one too long to store is refused by line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from publisher import InputError
from publisher_email.exporting import restore
from publisher_email.storage import PAGE
from publisher_email.subscribers import (
    STATUSES,
    Status,
    Subscribers,
    check_name,
    is_status,
    parse_mailbox,
)

_ADDRESS_COLUMNS = ("email", "address", "e-mail", "email address", "email_address")


@dataclass(frozen=True)
class Row:
    line: int
    address: str
    name: str
    status: Status


@dataclass
class ImportReport:
    added: int = 0
    existing: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def read_text(path: Path) -> str:
    """The whole file as text, decoded before any row is imported.

    A byte that is not text on line 90,000 must not leave half an import behind.
    UTF-8 (with or without a BOM), or UTF-16 when its BOM says so (Excel's
    "Unicode Text"). Nothing else is guessed: a wrong guess (Windows-1252?
    Latin-1? Mac Roman?) would import mangled names without a word, so such a
    file is refused with the line and what to do.
    """
    data = path.read_bytes()
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encoding, label = ("utf-16", "UTF-16") if utf16 else ("utf-8-sig", "UTF-8")
    if not utf16 and b"\x00" in data:  # valid UTF-8, but in a CSV file: UTF-16 without a BOM
        at = data.index(b"\x00")
        raise _not_text(path, _line(data, at, encoding), "a NUL byte (UTF-16 without a BOM?)")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        problem = f"byte 0x{data[error.start]:02x} is not valid {label}"
        raise _not_text(path, _line(data, error.start, encoding), problem) from None


def _line(data: bytes, offset: int, encoding: str) -> int:
    """The line (from 1) on which byte `offset` of the file lies."""
    return data[:offset].decode(encoding, "replace").count("\n") + 1


def _not_text(path: Path, line: int, problem: str) -> InputError:
    return InputError(
        f"{path}:{line}: {problem}; save the file as UTF-8 (in Excel: Save As, "
        "CSV UTF-8) and import it again. Nothing was imported."
    )


def _delimiter(text: str) -> str:
    """Comma, unless the first line has more tabs (Excel's "Unicode Text") or semicolons
    (Excel where a comma is the decimal mark)."""
    first = text.lstrip().partition("\n")[0]
    return max(",\t;", key=first.count)  # the first of equals: comma


def read_rows(text: str) -> Iterator[Row | tuple[int, str]]:
    """Each data row as a Row, or as (line, reason) when it cannot be one."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    columns = {"address": 0, "name": 1, "status": None}
    first = True
    for cells in reader:
        line = reader.line_num
        cleaned = [restore(cell.strip()) for cell in cells]
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
        address, name = parse_mailbox(raw)
    except ValueError as error:
        return line, f"'{raw}': {error}"
    status = cell("status").lower() or "active"
    if not is_status(status):
        return line, f"unknown status '{status}' (use {', '.join(STATUSES)})"
    try:
        name = check_name(cell("name") or name)
    except ValueError as error:
        return line, str(error)
    return Row(line, address, name, status)


def import_rows(rows: Iterable[Row | tuple[int, str]], into: Subscribers) -> ImportReport:
    """Add good rows a page at a time (one transaction each); collect the bad ones."""
    report = ImportReport()
    page: list[tuple[str, str, Status]] = []

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
