"""`publisher subscribers import|add|remove|list|export|show` and `publisher bounces fetch`.

Each email destination sends to one list (its own name unless its
`subscribers` setting names a shared one); `--to DEST` picks the destination
when more than one is configured. Names and addresses come from files and
people: what is printed shows their control characters escaped, never obeyed.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from publisher import InputError, pass_workspace
from publisher_email.statuses import STATUSES, Status

# What a command's body needs is imported in its body: the subscriber tables (SQLAlchemy)
# load when a command reads them, not for `publisher --help`.
if TYPE_CHECKING:
    from publisher import Destination
    from publisher_email.subscribers import Subscribers

if TYPE_CHECKING:
    from publisher_email.settings import EmailSettings


def _to_option(function):
    return click.option(
        "--to",
        "to",
        metavar="DEST",
        help="The email destination whose list this is [default: the only one].",
    )(function)


def _destination(workspace, to: str | None) -> Destination[EmailSettings]:
    emails = [d for d in workspace.destinations() if d.channel == "email"]
    names = ", ".join(d.name for d in emails) or "none"
    if to is not None:
        for destination in emails:
            if destination.name == to:
                return destination
        raise click.BadParameter(
            f"'{to}' is not an email destination (configured: {names})", param_hint="--to"
        )
    if len(emails) == 1:
        return emails[0]
    if not emails:
        raise click.UsageError("no email destination is configured")
    raise click.UsageError(f"several email destinations ({names}): choose one with --to")


def _list(workspace, to: str | None) -> tuple[Destination[EmailSettings], Subscribers]:
    from publisher_email.render import list_name
    from publisher_email.subscribers import Subscribers

    destination = _destination(workspace, to)
    return destination, Subscribers(destination.state.engine, list_name(destination))


def _echo(text: str, err: bool = False) -> None:
    """Print one line built from the database, a file or a person: control characters and
    bidirectional overrides escaped (`publisher.text.one_line`), never obeyed."""
    from publisher.text import one_line  # loaded by a command, not by `publisher --help`

    click.echo(one_line(text), err=err)


def _mailbox(text: str) -> tuple[str, str]:
    """(address, display name) from ADDRESS, which may be 'Name <address>'."""
    from publisher.text import one_line
    from publisher_email.subscribers import parse_mailbox

    try:
        return parse_mailbox(text)
    except ValueError as error:
        raise click.BadParameter(one_line(f"'{text}': {error}"), param_hint="ADDRESS") from None


@click.group()
def subscribers() -> None:
    """Manage the subscribers of email destinations."""


@subscribers.command("import")
# Paths stay strings until a command runs: pathlib is not imported for `publisher --help`.
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_to_option
@pass_workspace
def import_(workspace, file: str, to: str | None) -> None:
    """Add the addresses in a CSV file (columns email, name, status; or address first).

    The file is UTF-8, or UTF-16 with a byte order mark. Bad rows are reported
    by line number (exit code 2) and the rest are imported. Addresses already
    on the list keep their status: an import never re-subscribes anyone.
    """
    from pathlib import Path

    from publisher_email.importing import import_rows, read_rows, read_text

    _, into = _list(workspace, to)
    report = import_rows(read_rows(read_text(Path(file))), into)
    for line, reason in report.refused:
        _echo(f"{file}:{line}: {reason}", err=True)
    _echo(
        f"Imported {report.added} new subscriber(s) into list '{into.list}'; "
        f"{report.existing} already there."
    )
    if report.refused:
        raise InputError(
            f"{len(report.refused)} row(s) refused (listed above); the other rows were imported"
        )


@subscribers.command()
@click.argument("address")
@click.option("--name", default="", help="The subscriber's name [default: ADDRESS's display name].")
@_to_option
@pass_workspace
def add(workspace, address: str, name: str, to: str | None) -> None:
    """Subscribe ADDRESS, such as ada@example.org or 'Ada Lovelace <ada@example.org>'
    (again, if it had unsubscribed or bounced)."""
    from publisher_email.subscribers import check_name

    _, into = _list(workspace, to)
    address, display_name = _mailbox(address)
    try:
        name = check_name(name or display_name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--name") from None
    if into.add(address, name):
        _echo(f"Added {address} to list '{into.list}'.")
        return
    known = into.get(address)
    if known is not None and known.status == "active":
        _echo(f"{address} is already subscribed to list '{into.list}'.")
        return
    into.set_status(address, "active", name or None)
    was = f" (was {known.status})" if known is not None else ""
    _echo(f"Subscribed {address} to list '{into.list}' again{was}.")


@subscribers.command()
@click.argument("address", required=False)
@click.option("--token", help="An unsubscribe token from a link, instead of ADDRESS.")
@click.option("--bounced", is_flag=True, help="Mark the address bounced, not unsubscribed.")
@_to_option
@pass_workspace
def remove(
    workspace, address: str | None, token: str | None, bounced: bool, to: str | None
) -> None:
    """Unsubscribe ADDRESS (kept on the list as unsubscribed, so no import brings it back)."""
    from publisher_email.links import unsubscribe_holder
    from publisher_email.tokens import signing_key

    destination, into = _list(workspace, to)
    if (address is None) == (token is None):
        raise click.UsageError("give either ADDRESS or --token")
    if token is not None:
        signing_key(destination.settings)  # the demo key reads no token outside an outbox
        holder = unsubscribe_holder(destination, token)
        if holder is None:
            raise click.BadParameter(
                f"not a token of list '{into.list}' signed with this destination's key",
                param_hint="--token",
            )
        if holder.address is None:
            raise click.BadParameter(
                f"the token's subscriber is no longer on list '{into.list}'", param_hint="--token"
            )
        address = holder.address
    else:
        assert address is not None  # one of ADDRESS and --token, as checked above
        address, _ = _mailbox(address)
    status: Status = "bounced" if bounced else "unsubscribed"
    if not into.set_status(address, status):
        raise click.BadParameter(f"{address} is not on list '{into.list}'", param_hint="ADDRESS")
    _echo(f"{address} is now {status} on list '{into.list}'.")


@subscribers.command()
@click.argument("address")
@_to_option
@pass_workspace
def show(workspace, address: str, to: str | None) -> None:
    """Show ADDRESS: its status and the record of its consent (when and where it signed up,
    confirmed and left)."""
    from publisher_email.consent import records
    from publisher_email.signups import Signups

    _, of = _list(workspace, to)
    address, _ = _mailbox(address)
    zone = workspace.config.site.zone
    known = of.get(address)
    pending = Signups(of.engine, of.list, timedelta(hours=1)).pending(address)
    if known is None and pending is None:
        raise click.BadParameter(f"{address} is not on list '{of.list}'", param_hint="ADDRESS")
    _echo(f"{address} on list '{of.list}'")
    if known is not None:
        _echo(f"  status:   {known.status} (since {_when(known.updated_at, zone)})")
        _echo(f"  name:     {known.name or '-'}")
        _echo(f"  added:    {_when(known.created_at, zone)}")
    elif pending is not None:
        _echo("  status:   not subscribed: waiting for the sign-up to be confirmed")
        _echo(f"  name:     {pending.name or '-'}")
    if pending is not None:
        mailed = (
            f"confirmation mailed {_when(pending.mailed_at, zone)}, not yet used"
            if pending.mailed_at
            else "the confirmation email could not be sent; the next sign-up tries again"
        )
        _echo(f"  waiting:  {mailed}")
    lines = [
        _consent_line(event.at, event.event, event.detail, event.page, event.client, zone)
        for event in records(of.engine, of.list, address)
    ]
    if pending is not None:
        lines.append(
            _consent_line(
                pending.requested_at,
                "requested",
                "not confirmed yet",
                pending.page,
                pending.client,
                zone,
            )
        )
    if not lines:
        _echo("  consent:  none recorded (added with subscribers add or import)")
        return
    _echo("  consent:")
    for line in lines:
        _echo(f"    {line}")


def _consent_line(
    at: datetime, event: str, how: str | None, page: str | None, client: str | None, zone
) -> str:
    where = f" on {page}" if page else ""
    source = f" from {client}" if client else ""
    detail = f" ({how})" if how else ""
    return f"{_when(at, zone)}  {event}{detail}{where}{source}"


def _when(moment: datetime, zone) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}"


@subscribers.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@_to_option
@pass_workspace
def list_(workspace, status: Status | None, to: str | None) -> None:
    """Print the subscribers of a list, one a line: address, status, name."""
    from publisher_email.subscribers import STATUSES, clean_name

    _, of = _list(workspace, to)
    for subscriber in of.stream(status):
        name = clean_name(subscriber.name)  # names stored before names were cleaned, too
        _echo(f"{subscriber.address:<40} {subscriber.status:<12} {name}".rstrip())
    counts = of.counts()
    total = sum(counts.values())
    if total == 0:
        _echo(
            f"List '{of.list}' has no subscribers yet "
            "(publisher subscribers add ADDRESS, or import FILE.csv).",
            err=True,
        )
        return
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    _echo(f"{total} on list '{of.list}': {summary}", err=True)


@subscribers.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@_to_option
@pass_workspace
def export(workspace, file: str | None, status: Status | None, to: str | None) -> None:
    """Write a list as CSV (email, name, status, joined) to FILE, or to the screen.

    Cells that a spreadsheet would run as a formula (starting with =, +, -, @)
    get a leading single quote; `publisher subscribers import` removes it, so
    the file imports back as the same list.
    """
    from publisher_email.exporting import write_csv

    _, of = _list(workspace, to)
    if file is None:
        write_csv(of.stream(status), sys.stdout)
        return
    count = _write_whole(file, lambda out: write_csv(of.stream(status), out))
    _echo(f"Exported {count} subscriber(s) of list '{of.list}' to {file}.", err=True)


def _write_whole(name: str, write) -> int:
    """Write through a temporary file beside the file `name`, so that a failed export never leaves
    half a file (or replaces a good one)."""
    import tempfile  # with shutil, random and the compressors: only for an export
    from pathlib import Path

    path = Path(name)
    folder = path.parent if str(path.parent) else Path()

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            count = write(out)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


@click.group()
def bounces() -> None:
    """Read bounces and complaints into the subscriber lists."""


@bounces.command()
@click.option(
    "--to",
    "to",
    metavar="DEST",
    help="Only this email destination [default: every one with a bounce_mailbox].",
)
@pass_workspace
def fetch(workspace, to: str | None) -> None:
    """Read the bounce mailbox: bounces and complaints stop mail to their addresses.

    Messages read are marked, so fetching again counts nothing twice.
    """
    from publisher_email.bounce_fetch import fetch_bounces  # imaplib and flufl only when used

    chosen = (
        [_destination(workspace, to)]
        if to is not None
        else [d for d in workspace.destinations() if d.channel == "email"]
    )
    readable = [d for d in chosen if d.settings.bounce_mailbox is not None]
    if not readable:
        names = ", ".join(d.name for d in chosen) or "none"
        raise InputError(
            f"no bounce_mailbox is configured (email destinations: {names}); set one, such as "
            'bounce_mailbox = "${BOUNCE_IMAP_URL}" (imaps://user:password@host/INBOX)'
        )
    for destination in readable:
        _echo(f"{destination.name}: {fetch_bounces(destination).line()}")
