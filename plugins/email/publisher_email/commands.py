"""`publisher subscribers import|add|remove|list` and `publisher bounces fetch`.

Each email destination sends to one list (its own name unless its
`subscribers` setting names a shared one); `--to DEST` picks the destination
when more than one is configured.
"""

from __future__ import annotations

from pathlib import Path

import click

from publisher import Destination, pass_workspace
from publisher.errors import InputError
from publisher_email.importing import import_rows, read_rows, read_text
from publisher_email.render import list_name
from publisher_email.subscribers import STATUSES, Subscribers, parse_mailbox
from publisher_email.tokens import SigningKey


def _to_option(function):
    return click.option(
        "--to",
        "to",
        metavar="DEST",
        help="The email destination whose list this is [default: the only one].",
    )(function)


def _destination(workspace, to: str | None) -> Destination:
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


def _list(workspace, to: str | None) -> tuple[Destination, Subscribers]:
    destination = _destination(workspace, to)
    return destination, Subscribers(destination.state.engine, list_name(destination))


def _mailbox(text: str) -> tuple[str, str]:
    """(address, display name) from ADDRESS, which may be 'Name <address>'."""
    try:
        return parse_mailbox(text)
    except ValueError as error:
        raise click.BadParameter(f"'{text}': {error}", param_hint="ADDRESS") from None


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
    _, into = _list(workspace, to)
    report = import_rows(read_rows(read_text(file)), into)
    for line, reason in report.refused:
        click.echo(f"{file}:{line}: {reason}", err=True)
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
    _, into = _list(workspace, to)
    address, display_name = _mailbox(address)
    name = name or display_name
    if into.add(address, name):
        click.echo(f"Added {address} to list '{into.list}'.")
        return
    known = into.get(address)
    if known is not None and known.status == "active":
        click.echo(f"{address} is already subscribed to list '{into.list}'.")
        return
    into.set_status(address, "active", name or None)
    click.echo(f"Subscribed {address} to list '{into.list}' again (was {known.status}).")


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
    destination, into = _list(workspace, to)
    if (address is None) == (token is None):
        raise click.UsageError("give either ADDRESS or --token")
    if token is not None:
        address = SigningKey(destination.settings.signing_key).address(into.list, token)
        if address is None:
            raise click.BadParameter(
                f"not a token of list '{into.list}' signed with this destination's key",
                param_hint="--token",
            )
    else:
        address, _ = _mailbox(address)
    status = "bounced" if bounced else "unsubscribed"
    if not into.set_status(address, status):
        raise click.BadParameter(f"{address} is not on list '{into.list}'", param_hint="ADDRESS")
    click.echo(f"{address} is now {status} on list '{into.list}'.")


@subscribers.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only subscribers with this status.")
@_to_option
@pass_workspace
def list_(workspace, status: str | None, to: str | None) -> None:
    """Print the subscribers of a list, one a line: address, status, name."""
    _, of = _list(workspace, to)
    for subscriber in of.stream(status):
        click.echo(f"{subscriber.address:<40} {subscriber.status:<12} {subscriber.name}".rstrip())
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
