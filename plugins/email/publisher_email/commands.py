"""`publisher subscribers import|add|remove|list|export|show` and `publisher bounces fetch`.

Each email destination sends to one list (its own name unless its
`subscribers` setting names a shared one); `--to DEST` picks the destination
when more than one is configured. Names and addresses come from files and
people: what is printed shows their control characters escaped, never obeyed.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
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

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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


def _shown(text: str) -> str:
    """Text from a file or a person, with control characters escaped: one inert line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _mailbox(text: str) -> tuple[str, str]:
    """(address, display name) from ADDRESS, which may be 'Name <address>'."""
    from publisher_email.subscribers import parse_mailbox

    try:
        return parse_mailbox(text)
    except ValueError as error:
        raise click.BadParameter(_shown(f"'{text}': {error}"), param_hint="ADDRESS") from None


@click.group()
def subscribers() -> None:
    """Manage the subscribers of email destinations."""


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_to_option
@pass_workspace
def import_(workspace, file: Path, to: str | None) -> None:
    """Add the addresses in a CSV file (columns email, name, status; or address first).

    The file is UTF-8, or UTF-16 with a byte order mark. Bad rows are reported
    by line number (exit code 2) and the rest are imported. Addresses already
    on the list keep their status: an import never re-subscribes anyone.
    """
    from publisher_email.importing import import_rows, read_rows, read_text

    _, into = _list(workspace, to)
    report = import_rows(read_rows(read_text(file)), into)
    for line, reason in report.refused:
        click.echo(_shown(f"{file}:{line}: {reason}"), err=True)
    click.echo(
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
        click.echo(f"Added {address} to list '{into.list}'.")
        return
    known = into.get(address)
    if known is not None and known.status == "active":
        click.echo(f"{address} is already subscribed to list '{into.list}'.")
        return
    into.set_status(address, "active", name or None)
    was = f" (was {known.status})" if known is not None else ""
    click.echo(f"Subscribed {address} to list '{into.list}' again{was}.")


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
    click.echo(f"{address} is now {status} on list '{into.list}'.")


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
    waiting = Signups(of.engine, of.list, timedelta(hours=1)).waiting(address)
    if known is None and waiting is None:
        raise click.BadParameter(f"{address} is not on list '{of.list}'", param_hint="ADDRESS")
    click.echo(f"{address} on list '{of.list}'")
    if known is not None:
        click.echo(f"  status:   {known.status} (since {_when(known.updated_at, zone)})")
        click.echo(f"  name:     {known.name or '-'}")
        click.echo(f"  added:    {_when(known.created_at, zone)}")
    if waiting is not None:
        click.echo(f"  waiting:  confirmation mailed {_when(waiting, zone)}, not yet used")
    events = records(of.engine, of.list, address)
    if not events:
        click.echo("  consent:  none recorded (added with subscribers add or import)")
        return
    click.echo("  consent:")
    for event in events:
        where = f" on {event.page}" if event.page else ""
        client = f" from {event.client}" if event.client else ""
        how = f" ({event.detail})" if event.detail else ""
        click.echo(f"    {_when(event.at, zone)}  {event.event}{how}{where}{client}")


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
        click.echo(f"{subscriber.address:<40} {subscriber.status:<12} {name}".rstrip())
    counts = of.counts()
    total = sum(counts.values())
    if total == 0:
        click.echo(
            f"List '{of.list}' has no subscribers yet "
            "(publisher subscribers add ADDRESS, or import FILE.csv).",
            err=True,
        )
        return
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    click.echo(f"{total} on list '{of.list}': {summary}", err=True)


@subscribers.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@_to_option
@pass_workspace
def export(workspace, file: Path | None, status: Status | None, to: str | None) -> None:
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
    click.echo(f"Exported {count} subscriber(s) of list '{of.list}' to {file}.", err=True)


def _write_whole(path: Path, write) -> int:
    """Write through a temporary file beside `path`, so that a failed export never leaves
    half a file (or replaces a good one)."""
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
        click.echo(f"{destination.name}: {fetch_bounces(destination).line()}")
