"""`publisher bounces fetch`: read the bounce mailbox, record what it says, apply the rules.

Whom a report is about: with VERP on (`bounce_address`), only the token in
the return path it was sent to (or carries) counts, so a bounce or complaint
anybody could write by hand, naming a subscriber's address, changes nothing;
a report with a forged token is ignored. Without VERP, the recipients the
report names are taken, and its edition is found from the original copy's
Message-ID. Every message read is marked handled, whatever it held.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publisher import ConfigError, Destination
from publisher_email.bounce_mailbox import BounceMailbox, open_mailbox
from publisher_email.bounce_reports import Report, read_report
from publisher_email.bounce_store import BounceBook, BounceEvent, Rules
from publisher_email.outgoing import verp_for
from publisher_email.render import list_name
from publisher_email.settings import EmailSettings
from publisher_email.tokens import SigningKey
from publisher_email.verp import Verp, subscriber_address

log = logging.getLogger("publisher.email")


@dataclass
class FetchSummary:
    """What one fetch found, for a line of output."""

    where: str
    read: int = 0
    bounces: int = 0
    complaints: int = 0
    repeated: int = 0
    ignored: int = 0  # not a bounce, a forged token, or a subscriber nobody can tell
    stopped: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        stopped = ", ".join(f"{address} {status}" for address, status in self.stopped.items())
        return (
            f"{self.read} message(s) read from {self.where}: {self.bounces} bounce(s), "
            f"{self.complaints} complaint(s), {self.repeated} already counted, "
            f"{self.ignored} ignored" + (f"; now stopped: {stopped}" if stopped else "")
        )


def fetch_bounces(
    destination: Destination[EmailSettings],
    opener: Callable[[str, Path], BounceMailbox] = open_mailbox,
) -> FetchSummary:
    settings = destination.settings
    if settings.bounce_mailbox is None:
        raise ConfigError(f"{destination.name}: no bounce_mailbox is configured")
    try:
        url = settings.bounce_mailbox.reveal()
    except ConfigError as error:
        raise ConfigError(f"{destination.name}.bounce_mailbox: {error}") from None
    list_ = list_name(destination)
    book = BounceBook(destination.state.engine, list_, Rules.of(settings))
    verp = verp_for(destination, SigningKey(settings.signing_key))
    box = opener(url, destination.root)
    summary = FetchSummary(box.describe())
    try:
        for key, raw in box.unread():
            summary.read += 1
            try:
                report = read_report(raw)
            except Exception as error:  # a message no parser expected: one line, go on
                log.warning(
                    "%s: message %s is unreadable (%s: %s); counted as ignored and marked read",
                    box.describe(),
                    key,
                    type(error).__name__,
                    error,
                )
                report = None
            events = _events(report, verp, book) if report is not None else []
            if report is None or not events:
                summary.ignored += 1
            else:
                recorded = book.record(events)
                kind = "complaints" if report.form == "arf" else "bounces"
                setattr(summary, kind, getattr(summary, kind) + recorded.new)
                summary.repeated += recorded.repeated
                summary.ignored += recorded.unknown
                summary.stopped.update(recorded.stopped)
            box.done(key)
    finally:
        box.close()
    return summary


def _events(report: Report, verp: Verp | None, book: BounceBook) -> list[BounceEvent]:
    source = report.form  # dsn, arf or bounce: where the event came from, as recorded
    if verp is None:
        return [
            BounceEvent(
                failure.address or next(iter(report.original_to), ""),
                failure.kind,
                source,
                f"{source}:{report.reference}:{failure.address}",
                failure.detail,
                message_id=report.original_message_id,
            )
            for failure in report.failures
            if failure.address or report.original_to
        ]
    named = _verp_recipient(report, verp, book)
    if named is None:
        return []
    address, send_id = named
    # The token names the recipient; the report says what happened (the worst it says).
    failure = max(report.failures, key=lambda f: ("soft", "hard", "complaint").index(f.kind))
    return [
        BounceEvent(
            address,
            failure.kind,
            source,
            f"{source}:{report.reference}:{address}",
            failure.detail,
            send_id=send_id,
        )
    ]


def _verp_recipient(report: Report, verp: Verp, book: BounceBook) -> tuple[str, int] | None:
    for candidate in report.return_paths:
        read = verp.read(candidate)
        if read is None:
            continue
        subscriber_id, send_id = read
        address = subscriber_address(book.engine, book.list, subscriber_id)
        if address is not None and book.send_exists(send_id):
            return address, send_id
    log.info("%s: a report without a valid return-path token was ignored", book.list)
    return None
